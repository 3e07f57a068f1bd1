"""The explorer scene and its parts."""
