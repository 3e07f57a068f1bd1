"""Reading files that may be hostile: every failure is one line of the caller's error type naming the
file, and nothing is allocated before the file's real length backs what its header claims.

- only regular files are opened, and without blocking (a FIFO or /dev/zero is refused, never read);
- JSON is read with a size cap; deep nesting and absurdly long numbers are refused, not raised;
- a .npy header and a safetensors header are checked against the file's length (and any caller
  limits) before a single data byte is read.
"""
from __future__ import annotations

import contextlib
import json
import math
import os
import stat
from pathlib import Path
from typing import BinaryIO, Callable, Iterator

import numpy as np

MAX_JSON_BYTES = 8 << 20
MAX_JSON_DIGITS = 40  # no number a model file needs has more digits than this
MAX_NPY_BYTES = 4 << 30
MAX_SAFETENSORS_HEADER = 16 << 20
# a picture given to encode: its pixels are counted from the header, before it is decoded (a
# 13000x13000 RGBA PNG is under Pillow's own bomb limit and would take 0.7 GB, then 2.7 GB as floats)
MAX_PICTURE_PIXELS = 25_000_000
MAX_NPY_HEADER = 10_000  # numpy's own default max_header_size
NPY_MAGIC = b"\x93NUMPY"
ZIP_MAGIC = b"PK\x03\x04"
SAFETENSORS_DTYPES = {"F64": 8, "F32": 4, "F16": 2, "BF16": 2, "I64": 8, "I32": 4, "I16": 2, "I8": 1,
                      "U64": 8, "U32": 4, "U16": 2, "U8": 1, "BOOL": 1, "F8_E5M2": 1, "F8_E4M3": 1}


def first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _kind(mode: int) -> str:
    for test, name in ((stat.S_ISFIFO, "a FIFO"), (stat.S_ISCHR, "a character device"),
                       (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"), (stat.S_ISDIR, "a folder")):
        if test(mode):
            return name
    return "not a regular file"


def size_text(count: int) -> str:
    for unit, scale in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if count >= scale:
            return f"{count / scale:.3g} {unit}"
    return f"{count} bytes"


@contextlib.contextmanager
def open_regular(path: str | os.PathLike, error: type[Exception], *, missing: str = "no such file",
                 what: str = "a file") -> Iterator[BinaryIO]:
    """The file opened for binary reading, or `error` when it is missing, unreadable or anything but
    a regular file (checked before opening: a FIFO would block and /dev/zero never ends)."""
    path = Path(path)
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise error(f"{path}: {missing}") from None
    except OSError as exc:
        raise error(f"{path}: cannot read ({exc.strerror or exc})") from None
    if not stat.S_ISREG(info.st_mode):
        raise error(f"{path}: is {_kind(info.st_mode)}, not {what}") from None
    try:
        # O_NONBLOCK: a path swapped for a FIFO after the stat must not hang the open either
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise error(f"{path}: cannot read ({exc.strerror or exc})") from None
    handle = os.fdopen(fd, "rb")
    with handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            raise error(f"{path}: is not a regular file, not {what}")
        yield handle


def file_size(handle: BinaryIO) -> int:
    return os.fstat(handle.fileno()).st_size


def read_limited(path: str | os.PathLike, error: type[Exception], limit: int, *, missing: str = "no such file",
                 what: str = "a file") -> bytes:
    """The whole file, refused when longer than `limit` bytes (judged by its length, then by what is read)."""
    with open_regular(path, error, missing=missing, what=what) as handle:
        if file_size(handle) > limit:
            raise error(f"{path}: too large ({size_text(file_size(handle))}; the limit is {size_text(limit)})")
        try:
            data = handle.read(limit + 1)
        except OSError as exc:
            raise error(f"{path}: cannot read ({exc.strerror or exc})") from None
    if len(data) > limit:
        raise error(f"{path}: too large (more than {size_text(limit)})")
    return data


def _bounded_int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_JSON_DIGITS:
        raise ValueError(f"a number with {len(text.lstrip('-'))} digits")
    return int(text)


def parse_json(data: bytes | str, where: str | os.PathLike, error: type[Exception]) -> object:
    """JSON text -> object; bad text, deep nesting and huge numbers are one line naming `where`."""
    try:
        text = data.decode("utf-8") if isinstance(data, bytes) else data
    except UnicodeDecodeError as exc:
        raise error(f"{where}: not UTF-8 text (byte {exc.start})") from None
    try:
        return json.loads(text, parse_int=_bounded_int)
    except json.JSONDecodeError as exc:
        raise error(f"{where}: bad JSON at line {exc.lineno} column {exc.colno}: {exc.msg}") from None
    except RecursionError:
        raise error(f"{where}: bad JSON: nested too deeply") from None
    except (ValueError, OverflowError, MemoryError) as exc:
        raise error(f"{where}: bad JSON: {first_line(exc)}") from None


def load_json_file(path: str | os.PathLike, error: type[Exception], *, limit: int = MAX_JSON_BYTES,
                   missing: str = "no such file") -> object:
    return parse_json(read_limited(path, error, limit, missing=missing, what="a JSON file"), path, error)


# ------------------------------------------------------------------------------------------- .npy

def read_npy(path: str | os.PathLike, error: type[Exception], *, max_bytes: int = MAX_NPY_BYTES,
             check: Callable[[tuple, np.dtype], None] | None = None) -> np.ndarray:
    """One array from a .npy file, never unpickled. The header's shape and dtype are checked (by
    `check`, which raises, and against the file's length and `max_bytes`) before the data is read."""
    path = Path(path)
    with open_regular(path, error, what="a .npy file") as handle:
        shape, dtype = _npy_header(handle, path, error)
        if check is not None:
            check(shape, dtype)
        needed = math.prod(shape) * dtype.itemsize
        available = file_size(handle) - handle.tell()
        if needed > available:
            raise error(f"{path}: not a valid .npy array (truncated: shape {shape} of {dtype} needs "
                        f"{needed} data bytes, the file has {max(available, 0)})")
        if needed > max_bytes:
            raise error(f"{path}: too large: shape {shape} of {dtype} is {size_text(needed)} "
                        f"(the limit is {size_text(max_bytes)})")
        handle.seek(0)
        try:
            return np.load(handle, allow_pickle=False)
        except OSError as exc:
            raise error(f"{path}: cannot read ({exc.strerror or exc})") from None
        except (ValueError, EOFError, TypeError) as exc:
            raise error(f"{path}: not a valid .npy array ({first_line(exc)})") from None


def npy_header(path: str | os.PathLike, error: type[Exception]) -> tuple[tuple, np.dtype, int]:
    """(shape, dtype, data bytes in the file) from the header alone."""
    path = Path(path)
    with open_regular(path, error, what="a .npy file") as handle:
        shape, dtype = _npy_header(handle, path, error)
        return shape, dtype, file_size(handle) - handle.tell()


def _npy_header(handle: BinaryIO, path: Path, error: type[Exception]) -> tuple[tuple, np.dtype]:
    from numpy.lib import format as npy_format

    try:
        head = handle.read(len(NPY_MAGIC))
    except OSError as exc:
        raise error(f"{path}: cannot read ({exc.strerror or exc})") from None
    if head.startswith(ZIP_MAGIC):
        raise error(f"{path}: not a single .npy array (an .npz archive?)")
    if head != NPY_MAGIC:
        raise error(f"{path}: not a valid .npy array ({'empty file' if not head else 'no .npy header'})")
    version_and_length = handle.read(6)
    length_bytes = 2 if version_and_length[:1] == b"\x01" else 4
    header_len = int.from_bytes(version_and_length[2:2 + length_bytes], "little")
    if header_len > min(file_size(handle), MAX_NPY_HEADER):  # numpy would read it all before judging
        raise error(f"{path}: not a valid .npy array (header claims {header_len} bytes)")
    handle.seek(0)
    try:
        version = npy_format.read_magic(handle)
        if version == (1, 0):
            shape, fortran, dtype = npy_format.read_array_header_1_0(handle)
        elif version == (2, 0):
            shape, fortran, dtype = npy_format.read_array_header_2_0(handle)
        else:
            raise ValueError(f"unsupported .npy format version {version[0]}.{version[1]}")
    except Exception as exc:  # numpy parses the header with ast: SyntaxError, tokenize.TokenError, ...
        raise error(f"{path}: not a valid .npy array ({first_line(exc)})") from None
    if dtype.hasobject:
        raise error(f"{path}: not a readable .npy array (it holds Python objects, which are never unpickled)")
    if not all(isinstance(n, int) and n >= 0 for n in shape):
        raise error(f"{path}: not a valid .npy array (shape {shape!r})")
    return tuple(int(n) for n in shape), dtype


# ------------------------------------------------------------------------------------ safetensors

def safetensors_shapes(path: str | os.PathLike, error: type[Exception], *, max_bytes: int,
                       missing: str = "missing") -> dict[str, tuple[str, tuple[int, ...]]]:
    """name -> (dtype, shape) of every tensor, from a header checked against the file's length:
    every tensor's bytes lie inside the file, match its shape and dtype, and nothing overlaps."""
    path = Path(path)

    def corrupt(problem: str) -> Exception:
        return error(f"{path}: corrupt or truncated safetensors ({problem})")

    with open_regular(path, error, missing=missing, what="a safetensors file") as handle:
        size = file_size(handle)
        if size > max_bytes:
            raise error(f"{path}: too large ({size_text(size)}; the limit is {size_text(max_bytes)})")
        prefix = handle.read(8)
        if len(prefix) < 8:
            raise corrupt(f"{size} bytes, shorter than the 8-byte header length")
        header_len = int.from_bytes(prefix, "little")
        if header_len > min(size - 8, MAX_SAFETENSORS_HEADER):
            raise corrupt(f"header claims {header_len} bytes, the file has {size - 8} after the length")
        raw = handle.read(header_len)
    header = parse_json(raw, path, lambda message: corrupt(f"header: {message.split(': ', 1)[-1]}"))
    if not isinstance(header, dict):
        raise corrupt("header is not a JSON object")
    data_len = size - 8 - header_len
    tensors: dict[str, tuple[str, tuple[int, ...]]] = {}
    spans = []
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        try:
            dtype, shape, (begin, end) = entry["dtype"], tuple(entry["shape"]), entry["data_offsets"]
            if dtype not in SAFETENSORS_DTYPES or not all(_is_count(n) for n in shape + (begin, end)):
                raise ValueError
        except (KeyError, TypeError, ValueError):
            raise corrupt(f"malformed entry for tensor {str(name)[:60]!r}") from None
        needed = math.prod(shape) * SAFETENSORS_DTYPES[dtype]
        if not begin <= end <= data_len or end - begin != needed:
            raise corrupt(f"tensor {name} claims bytes {begin}..{end} for {needed} bytes of data, "
                          f"the file holds {data_len}")
        tensors[name] = (dtype, shape)
        spans.append((begin, end))
    spans.sort()
    if any(a_end > b_begin for (_, a_end), (b_begin, _) in zip(spans, spans[1:])):
        raise corrupt("tensors overlap")
    return tensors


def _is_count(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0
