"""The explorer's record parts."""
