"""The explorer's view parts."""
