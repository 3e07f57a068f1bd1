"""What every command shares: the exit statuses, argparse value types (a bad value is argparse's one-line
usage error), the help formatter and the one-line parser."""
from __future__ import annotations

import argparse
import signal
from contextlib import contextmanager
from typing import Iterator

from latentwalk.scenes.errors import UsageError

# The one rule for every command's exit status.
EXIT_OK = 0
EXIT_FAILURE = 1  # the work could not be done: a bad file, a full disk, a missing device
EXIT_USAGE = 2  # an argument is wrong: argparse's own errors and UsageError
EXIT_INTERRUPTED = 128 + signal.SIGINT  # Ctrl+C
EXIT_TERMINATED = 128 + signal.SIGTERM


def usage_line(prog: str, message: str) -> str:
    """The one line of a usage error, the same for argparse's and a command's own."""
    return f"{prog}: error: {message} (see `{prog} --help`)"


@contextmanager
def argument_check(argument: str, *errors: type[Exception]) -> Iterator[None]:
    """Turn the `errors` a check raises about an argument's value into a UsageError naming it."""
    try:
        yield
    except errors as exc:
        raise UsageError(f"{argument} {exc}") from None


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {value}")
    return value


def positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"expected a positive finite number, got {text}")
    return value


def seed(text: str) -> int:
    """A generator seed: a whole number every generator we seed takes (numpy refuses negatives, torch
    anything past 64 bits)."""
    from latentwalk.scenes.limits import MAX_SEED

    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if not 0 <= value <= MAX_SEED:
        raise argparse.ArgumentTypeError(f"expected a seed from 0 to {MAX_SEED}, got {text}")
    return value


def check_at_most(argument: str, value: float, cap: float, unit: str = "") -> None:
    """UsageError when `value` is over `cap` (a limit of latentwalk.scenes.limits)."""
    if not value <= cap:
        raise UsageError(f"{argument} {_number(value)} is over the limit of {_number(cap)}{unit}")


def _number(value: float) -> str:
    if float(value).is_integer() and abs(value) < 1e15:
        return f"{int(value):,}"
    return f"{value:g}"


def check_render_size(argument: str, size: tuple[int, int]) -> None:
    """UsageError for a frame larger than MAX_RENDER_SIZE either way."""
    from latentwalk.scenes.limits import MAX_RENDER_SIZE

    if size[0] > MAX_RENDER_SIZE[0] or size[1] > MAX_RENDER_SIZE[1]:
        raise UsageError(f"{argument} {size[0]}x{size[1]} is over the limit of "
                         f"{MAX_RENDER_SIZE[0]}x{MAX_RENDER_SIZE[1]}")


def path_ending_in(*suffixes: str):
    """An argparse type: a path whose name ends in one of `suffixes` (any case), since that suffix
    decides what is written."""
    wanted = " or ".join(suffixes)

    def check(text: str) -> str:
        if not any(text.lower().endswith(suffix) for suffix in suffixes):
            raise argparse.ArgumentTypeError(f"{text!r} must end in {wanted}")
        return text

    check.__name__ = f"path ending in {wanted}"
    return check


npy_path = path_ending_in(".npy")


class DefaultsHelpFormatter(argparse.HelpFormatter):
    """Every option's help ends with its default, unless it has none worth showing: None (the help
    says in words what happens without it), or a flag (store_true / store_false: the flag's
    name says what giving it does; its stored default is the opposite and reads as a contradiction)."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        default = action.default
        if (not action.option_strings or action.nargs == 0 or default is None or default == argparse.SUPPRESS
                or "default" in text.lower()):
            return text
        shown = "x".join(map(str, default)) if isinstance(default, tuple) else str(default)
        return f"{text} (default: {shown.replace('%', '%%')})".lstrip()


class OneLineParser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line (argparse prints a usage block first) and whose
    help shows defaults; subcommand parsers made from it are of the same kind."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("formatter_class", DefaultsHelpFormatter)
        super().__init__(*args, **kwargs)

    def error(self, message: str):
        self.exit(EXIT_USAGE, usage_line(self.prog, message) + "\n")


def attach_dash_values(argv: list[str]) -> list[str]:
    """`--through -1,5` -> `--through=-1,5`: argparse takes a value starting with '-' for an option
    unless it is one plain negative number, so a list like -1,5 would be "expected one argument"
    instead of reaching the command's own check."""
    joined: list[str] = []
    index = 0
    while index < len(argv):
        token = argv[index]
        following = argv[index + 1] if index + 1 < len(argv) else None
        if (token.startswith("--") and "=" not in token and len(token) > 2 and following is not None
                and following.startswith("-") and "," in following
                and following[1:2].isdigit() and not following.startswith("--")):
            joined.append(f"{token}={following}")
            index += 2
            continue
        joined.append(token)
        index += 1
    return joined
