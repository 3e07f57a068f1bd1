"""Files a person keeps (saved sessions, videos, screenshots, written paths): never replaced unasked.

- `free_path(path)`: `path` when nothing is there, else the first free numbered name beside it:
  walk.json -> walk-2.json, walk-3.json, ...; a name that already ends in a small number counts on
  from it (walk-2.json taken -> walk-3.json), so saving again never grows walk-2-2-2.json.
- `WrittenFiles`: the files this run wrote. `target(path)` is `path` itself when this run wrote it (a
  second save updates its own file) or nothing is there, else `free_path(path)`: a file from another
  run, or from anyone else, is never the target unless the person confirms (`claim`).
- `refuse_existing(path, error)`: for a path named on a command line, which has no one to ask: one line
  naming the file.
"""
from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Callable

from latentwalk.engine.errors import EngineError

# "-N" at the end of a name, N from 1 to 999 without a leading zero: a timestamp's "-140509" is not a count
_COUNT = re.compile(r"^(?P<base>.+)-(?P<count>[1-9][0-9]{0,2})$")


def numbered(path: Path, number: int) -> Path:
    """`path` with "-number" before its extension (a folder or a name without one: at the end)."""
    return path.with_name(f"{path.stem}-{number}{path.suffix}")


def free_path(path: str | os.PathLike, taken: Callable[[Path], bool] | None = None) -> Path:
    """`path`, or the first numbered name beside it that is not `taken` (default: exists)."""
    path = Path(path)
    taken = taken or (lambda candidate: os.path.lexists(candidate))
    if not taken(path):
        return path
    match = _COUNT.match(path.stem)
    base, number = (path.with_name(match["base"] + path.suffix), int(match["count"]) + 1) if match else (path, 2)
    while taken(numbered(base, number)):
        number += 1
    return numbered(base, number)


def refuse_existing(path: str | os.PathLike, error: type[Exception] = EngineError) -> None:
    """Raise `error` in one line when something is already at `path`."""
    if os.path.lexists(path):
        raise error(f"{path}: already exists; choose another name or remove it first (it is not replaced)")


class WrittenFiles:
    """The files one run wrote, by absolute path: those it may update without asking."""

    def __init__(self) -> None:
        self._written: set[str] = set()

    @staticmethod
    def _key(path: str | os.PathLike) -> str:
        return os.path.abspath(os.path.expanduser(path))

    def wrote(self, path: str | os.PathLike) -> bool:
        return self._key(path) in self._written

    def claim(self, path: str | os.PathLike) -> None:
        """This run wrote `path`, or the person confirmed replacing it: from now on it is this run's."""
        self._written.add(self._key(path))

    def target(self, path: str | os.PathLike) -> Path:
        """Where a save asked for at `path` goes: `path` if this run wrote it or it is free, else a fresh name."""
        return Path(path) if self.wrote(path) else free_path(path)
