"""Atomic writes through temporary files and folders beside the target, named so that leftovers of a
killed writer can be recognised and swept by the next write to the same folder.

Our temporaries are `.<target>.<pid>.<random>.tmp` (files and bundle staging folders) and
`.<target>.<pid>.<random>.old` (a bundle being replaced). One whose process is gone is stale; one
of a running process is never touched, whoever it belongs to. Names without a pid (written by
older versions) count as stale after STALE_LEGACY_S.
"""
from __future__ import annotations

import contextlib
import os
import re
import shutil
import tempfile
import time
from pathlib import Path
from typing import Iterator

from latentwalk.vae.errors import BundleError
from latentwalk.vae.safeio import first_line

STALE_LEGACY_S = 3600.0
_OURS = re.compile(r"^\.(?P<target>.+)\.(?P<pid>\d+)\.[A-Za-z0-9_]{8}\.(?P<kind>tmp|old)$")
_LEGACY = re.compile(r"^\..+\.[A-Za-z0-9_]{8}\.(?:tmp|old)$")
_PROBE = re.compile(r"^\.latentwalk-probe\.(?P<pid>\d+)\.[A-Za-z0-9_]{8}$")


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def publish_mode(path: Path, directory: bool = False) -> None:
    """mkstemp/mkdtemp create private (0600/0700) entries; what we publish gets the usual mode."""
    os.chmod(path, (0o777 if directory else 0o666) & ~_umask())


def temp_prefix(target: Path) -> str:
    return f".{target.name}.{os.getpid()}."


def _process_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, ValueError):
        return pid > 0  # another user's live process (or a pid this OS cannot even name)
    return True


def is_stale(name: str, mtime: float, now: float | None = None) -> bool:
    """Whether `name` is a temporary of ours whose writer is gone."""
    match = _OURS.match(name) or _PROBE.match(name)
    if match:
        return not _process_alive(int(match.group("pid")))
    if _LEGACY.match(name):
        return (time.time() if now is None else now) - mtime > STALE_LEGACY_S
    return False


def sweep_stale(folder: str | os.PathLike) -> list[str]:
    """Remove the stale temporaries of ours in `folder`; best effort (never raises). Returns their names."""
    removed = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    for entry in entries:
        if not entry.name.startswith(".") or not (entry.name.endswith((".tmp", ".old")) or
                                                  entry.name.startswith(".latentwalk-probe.")):
            continue
        try:
            info = entry.stat(follow_symlinks=False)
            if not is_stale(entry.name, info.st_mtime):
                continue
            ours = _OURS.match(entry.name)
            if ours and ours.group("kind") == "old" and not os.path.lexists(os.path.join(folder, ours.group("target"))):
                # killed between moving the old bundle aside and moving the new one in: the old
                # one is the only copy, so it goes back, not away
                os.rename(entry.path, os.path.join(folder, ours.group("target")))
                continue
            if entry.is_dir(follow_symlinks=False):
                shutil.rmtree(entry.path)
            else:
                os.unlink(entry.path)
            removed.append(entry.name)
        except OSError:
            continue
    return removed


@contextlib.contextmanager
def atomic_file(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside `path`; rename it onto `path` only if the block succeeds."""
    path = Path(path)
    sweep_stale(path.parent)
    handle, temp_name = tempfile.mkstemp(prefix=temp_prefix(path), suffix=".tmp", dir=path.parent)
    os.close(handle)
    temp = Path(temp_name)
    try:
        yield temp
        publish_mode(temp)
        os.replace(temp, path)
    finally:
        temp.unlink(missing_ok=True)


def staging_folder(target: Path, suffix: str = ".tmp") -> Path:
    """A new private folder beside `target` (for building a bundle), after sweeping stale ones."""
    sweep_stale(target.parent)
    return Path(tempfile.mkdtemp(prefix=temp_prefix(target), suffix=suffix, dir=target.parent))


def probe_writable(folder: Path) -> None:
    """Create and remove one file in `folder`: the OSError says why it cannot be written."""
    handle, probe = tempfile.mkstemp(prefix=f".latentwalk-probe.{os.getpid()}.", suffix="", dir=folder)
    os.close(handle)
    os.unlink(probe)


_SAFETENSORS_IO = re.compile(r"I/O error: (.*?)(?: \(os error \d+\))?(?: at path .*)?$")


def _write_reason(exc: BaseException) -> str:
    """`No space left on device`, from an OSError or a safetensors serializing error alike."""
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    text = first_line(exc)
    match = _SAFETENSORS_IO.search(text)
    return match.group(1) if match else text


@contextlib.contextmanager
def write_errors(path: str | Path, error: type[Exception] = BundleError) -> Iterator[None]:
    """A failed write in the block (disk full, read-only, I/O error) becomes one line naming `path`.

    safetensors reports I/O failures as SafetensorError, not OSError, so both are caught.
    """
    from safetensors import SafetensorError

    try:
        yield
    except (OSError, SafetensorError) as exc:
        raise error(f"{path}: cannot write ({_write_reason(exc)})") from None


def check_writable_folder(folder: str | Path, error: type[Exception] = BundleError,
                          subject: str | Path | None = None) -> None:
    """Fail in one line, before any work, if files cannot be created in `folder`, or (while it
    does not exist yet) in the nearest existing folder above it, where it would be made. The
    message names `subject` (default: the folder)."""
    folder = Path(folder).absolute()
    subject = folder if subject is None else subject
    existing = folder
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise error(f"{subject}: cannot write ({existing} is not a folder)")
    try:
        probe_writable(existing)
    except OSError as exc:
        raise error(f"{subject}: cannot write ({_write_reason(exc)})") from None
