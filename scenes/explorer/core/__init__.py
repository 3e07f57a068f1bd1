"""The explorer's core parts."""
