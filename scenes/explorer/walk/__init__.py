"""The explorer's walk parts."""
