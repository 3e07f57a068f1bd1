"""The explorer's session parts."""
