"""IDX files (the MNIST container format), raw or gzip-compressed, read with full validation.

Layout: two zero bytes, a type code, the number of dimensions, one big-endian uint32 per
dimension, then the data in C order. Every way a file can be wrong becomes one IdxError line
that names the file: a bad header can never turn into a MemoryError or an IndexError.
"""
from __future__ import annotations

import gzip
import math
import struct
import zlib
from pathlib import Path

import numpy as np

from latentwalk.vae.errors import IdxError
from latentwalk.vae.safeio import file_size, open_regular, size_text

# type code -> big-endian numpy dtype
IDX_TYPES = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
MAX_DIMS = 8
MAX_IDX_BYTES = 1 << 30  # EMNIST's largest split is ~550 MB; nothing sensible is bigger


def read_idx_bytes(path: str | Path, limit: int | None = None) -> bytes:
    """The file's (decompressed, for a .gz name or a gzip signature) bytes. Only regular files are
    read; a file or stream longer than `limit` (default MAX_IDX_BYTES) is refused, and for gzip the
    header's claimed size is judged before the data is inflated."""
    path = Path(path)
    limit = MAX_IDX_BYTES if limit is None else limit
    with open_regular(path, IdxError, what="an IDX file") as handle:
        head = handle.read(2)
        handle.seek(0)
        if head == b"\x1f\x8b" or path.suffix == ".gz":
            return _inflate(handle, path, limit)
        if file_size(handle) > limit:
            raise IdxError(f"{path}: too large ({size_text(file_size(handle))}; the limit is {size_text(limit)})")
        try:
            return handle.read(limit + 1)
        except OSError as exc:
            raise IdxError(f"{path}: cannot read: {exc.strerror or exc}") from None


def _inflate(handle, path: Path, limit: int) -> bytes:
    """Decompress a gzip stream, reading the IDX header first: what it claims is refused when over
    `limit`, and no more than header + claim + 1 bytes are ever inflated."""
    try:
        with gzip.GzipFile(fileobj=handle, mode="rb") as stream:
            data = stream.read(4)
            if len(data) == 4 and 1 <= data[3] <= MAX_DIMS and data[2] in IDX_TYPES:
                data += stream.read(4 * data[3])
                claimed = _claimed_bytes(data)
                if claimed is not None and claimed > limit:
                    raise IdxError(f"{path}: header claims {size_text(claimed)} of data (shape "
                                   f"{_shape_of(data)}), more than the {size_text(limit)} limit")
                wanted = (claimed if claimed is not None else limit) + 1
            else:
                wanted = limit + 1
            data += stream.read(wanted)
    except EOFError:
        raise IdxError(f"{path}: truncated gzip stream") from None
    except (OSError, zlib.error) as exc:
        raise IdxError(f"{path}: not a valid gzip file ({exc})") from None
    if len(data) > limit + 4 + 4 * MAX_DIMS:
        raise IdxError(f"{path}: decompresses to more than the {size_text(limit)} limit")
    return data


def _shape_of(header: bytes) -> tuple[int, ...]:
    ndim = header[3]
    return struct.unpack(f">{ndim}I", header[4:4 + 4 * ndim])


def _claimed_bytes(header: bytes) -> int | None:
    """Data bytes an IDX header (magic + dims) claims, or None when it is too short to say."""
    ndim = header[3]
    if len(header) < 4 + 4 * ndim:
        return None
    return IDX_TYPES[header[2]].itemsize * math.prod(_shape_of(header))


def parse_idx(data: bytes, name: str = "<bytes>") -> np.ndarray:
    """Parse IDX bytes into an array in native byte order; `name` goes into error messages."""
    if len(data) < 4:
        raise IdxError(f"{name}: truncated: {len(data)} bytes, shorter than the 4-byte IDX magic")
    zero0, zero1, type_code, ndim = data[0], data[1], data[2], data[3]
    if zero0 or zero1:
        raise IdxError(f"{name}: wrong magic number 0x{data[:4].hex()} (expected 0x0000TTDD)")
    if type_code not in IDX_TYPES:
        raise IdxError(f"{name}: wrong magic number 0x{data[:4].hex()}: unknown type code 0x{type_code:02x}")
    if not 1 <= ndim <= MAX_DIMS:
        raise IdxError(f"{name}: wrong magic number 0x{data[:4].hex()}: {ndim} dimensions")
    header_size = 4 + 4 * ndim
    if len(data) < header_size:
        raise IdxError(f"{name}: truncated header: {len(data)} bytes, need {header_size} for {ndim} dimensions")
    shape = struct.unpack(f">{ndim}I", data[4:header_size])
    dtype = IDX_TYPES[type_code]
    expected = dtype.itemsize * int(np.prod(shape, dtype=object))
    actual = len(data) - header_size
    if actual < expected:
        raise IdxError(f"{name}: truncated: shape {shape} needs {expected} data bytes, file has {actual}")
    if actual > expected:
        raise IdxError(f"{name}: {actual - expected} unexpected bytes after the data of shape {shape}")
    array = np.frombuffer(data, dtype=dtype, offset=header_size).reshape(shape)
    return array.astype(dtype.newbyteorder("="))  # a writable copy that owns its memory


def read_idx(path: str | Path) -> np.ndarray:
    """Read one IDX file (raw or .gz), validating magic, dimensions and size."""
    return parse_idx(read_idx_bytes(path), str(path))


def read_image_label_pair(images_path: str | Path, labels_path: str | Path) -> tuple[np.ndarray, np.ndarray]:
    """uint8 images (N, H, W) and labels (N,), checked against each other."""
    images = read_idx(images_path)
    labels = read_idx(labels_path)
    if images.ndim != 3 or images.dtype != np.uint8:
        raise IdxError(f"{images_path}: expected uint8 images of shape (N, H, W), got {images.dtype} {images.shape}")
    if labels.ndim != 1 or labels.dtype != np.uint8:
        raise IdxError(f"{labels_path}: expected uint8 labels of shape (N,), got {labels.dtype} {labels.shape}")
    if 0 in images.shape[1:]:
        raise IdxError(f"{images_path}: images of shape {images.shape[1:]} have no pixels")
    if len(images) != len(labels):
        raise IdxError(f"{labels_path}: {len(labels)} labels but {images_path} has {len(images)} images")
    return images, labels


def encode_idx(array: np.ndarray) -> bytes:
    """IDX bytes for an array (used to write small data sets, e.g. in tests and subsets)."""
    array = np.ascontiguousarray(array)
    for code, dtype in IDX_TYPES.items():
        if dtype.kind == array.dtype.kind and dtype.itemsize == array.dtype.itemsize:
            header = bytes([0, 0, code, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
            return header + array.astype(dtype, copy=False).tobytes()
    raise ValueError(f"no IDX type for dtype {array.dtype}")
