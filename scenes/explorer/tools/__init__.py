"""The explorer's tools parts."""
