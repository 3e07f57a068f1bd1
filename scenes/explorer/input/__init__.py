"""The explorer's input parts."""
