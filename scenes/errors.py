"""Errors of the application layer whose message is a complete one-line diagnosis."""


class SceneError(Exception):
    """A user-facing failure in the explorer or a command (bad session file, bad argument...)."""
