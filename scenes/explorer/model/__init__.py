"""The explorer's model parts."""
