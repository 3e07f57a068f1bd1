"""Errors of the application layer whose message is a complete one-line diagnosis."""


class SceneError(Exception):
    """A user-facing failure in the explorer or a command (bad session file, bad argument...)."""


class UsageError(SceneError):
    """A command-line argument whose value is wrong (out of range for the model, a bad combination,
    a malformed list): the CLI prints it in one line and exits with the usage status, like argparse."""
