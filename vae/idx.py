"""IDX files (the MNIST container format), raw or gzip-compressed, read with full validation.

Layout: two zero bytes, a type code, the number of dimensions, one big-endian uint32 per
dimension, then the data in C order. Every way a file can be wrong becomes one IdxError line
that names the file: a bad header can never turn into a MemoryError or an IndexError.
"""
from __future__ import annotations

import gzip
import struct
import zlib
from pathlib import Path

import numpy as np

from latentwalk.vae.errors import IdxError

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


def read_idx_bytes(path: str | Path) -> bytes:
    """The file's (decompressed, for a .gz name or a gzip signature) bytes."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise IdxError(f"{path}: no such file") from None
    except OSError as exc:
        raise IdxError(f"{path}: cannot read: {exc.strerror or exc}") from None
    if raw[:2] == b"\x1f\x8b" or path.suffix == ".gz":
        try:
            return gzip.decompress(raw)
        except EOFError:
            raise IdxError(f"{path}: truncated gzip stream") from None
        except (OSError, zlib.error) as exc:
            raise IdxError(f"{path}: not a valid gzip file ({exc})") from None
    return raw


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
