"""Per-point metadata columns as the TensorFlow Embedding Projector writes them: a TSV with one column
and no header (each row's class), or several columns under a header line, the first naming each row's
class. A bundle keeps every column of such a file, as a TSV with its header, in METADATA_FILE, so the
explorer can search them; it is read and checked whole, never executed or unpickled."""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from latentwalk.vae.errors import BundleError
from latentwalk.vae.safeio import read_limited

METADATA_FILE = "metadata.tsv"  # optional: a header line, then one line per point
MAX_METADATA_BYTES = 256 << 20  # a few hundred bytes of text a point for a million points
MAX_METADATA_COLUMNS = 64  # columns are searched and listed by name; a table wider than this is not metadata
MAX_COLUMN_NAME = 64
MAX_CLASSES = 100_000

Columns = dict[str, list[str]]  # column name -> one text value per point, in point order


def _lines(raw: bytes, path: Path, error: type[Exception]) -> list[str]:
    try:
        lines = raw.decode("utf-8").splitlines()
    except UnicodeDecodeError:
        raise error(f"{path}: not UTF-8 text") from None
    while lines and not lines[-1].strip():
        lines.pop()
    return lines


def parse_metadata(raw: bytes, path: Path, count: int, error: type[Exception], *,
                   header: bool | None = None) -> tuple[list[str], Columns | None]:
    """(the first column's value of each row, every column by name or None for a one-column file
    without a header). `header=None`: there is one when the first line has a tab (the Projector's rule)."""
    lines = _lines(raw, path, error)
    if header is None:
        header = bool(lines) and "\t" in lines[0]
    if not header:
        values = [line.split("\t")[0].strip() for line in lines]
        if len(values) != count:
            raise error(f"{path}: {len(values)} rows of metadata for {count} embeddings")
        return values, None
    if not lines:
        raise error(f"{path}: empty (expected a header line naming the columns)")
    names = [name.strip() for name in lines[0].split("\t")]
    if len(names) > MAX_METADATA_COLUMNS:
        raise error(f"{path}: {len(names)} columns (at most {MAX_METADATA_COLUMNS})")
    for name in names:
        if not name or len(name) > MAX_COLUMN_NAME:
            raise error(f"{path}: line 1: every column needs a name of 1 to {MAX_COLUMN_NAME} characters")
    if len(set(names)) != len(names):
        twice = next(name for name in names if names.count(name) > 1)
        raise error(f"{path}: line 1: column {twice!r} is named twice")
    rows = lines[1:]
    if len(rows) != count:
        raise error(f"{path}: {len(rows)} rows of metadata for {count} embeddings")
    columns: Columns = {name: [] for name in names}
    lists = list(columns.values())
    for number, line in enumerate(rows, start=2):
        fields = line.split("\t")
        if len(fields) != len(names):
            raise error(f"{path}: line {number}: {len(fields)} fields, the header names {len(names)} columns")
        for values, field in zip(lists, fields):
            values.append(field.strip())
    return lists[0], columns


def read_metadata(path: str | Path, count: int, error: type[Exception]) -> tuple[np.ndarray, list[str], Columns | None]:
    """(labels, class names, every column or None) from an Embedding Projector metadata TSV given on
    the command line; the first column names each row's class."""
    path = Path(path)
    raw = read_limited(path, error, MAX_METADATA_BYTES, what="a metadata TSV")
    values, columns = parse_metadata(raw, path, count, error)
    names = sorted(set(values))
    if len(names) > MAX_CLASSES:
        raise error(f"{path}: {len(names)} distinct classes (at most {MAX_CLASSES})")
    index = {name: i for i, name in enumerate(names)}
    return np.array([index[value] for value in values], np.int64), names, columns


def metadata_text(columns: Columns) -> str:
    """The columns as a TSV with a header line, the form METADATA_FILE keeps."""
    names = list(columns)
    rows = zip(*(columns[name] for name in names))
    return "\t".join(names) + "\n" + "".join("\t".join(row) + "\n" for row in rows)


def numeric_columns(columns: Columns | None) -> dict[str, np.ndarray]:
    """The columns whose every value is a finite number, as float32 (one a point): what points can be
    coloured by. Each distinct text is parsed once."""
    found = {}
    for name, texts in (columns or {}).items():
        distinct, codes = np.unique(np.asarray(texts, dtype=object), return_inverse=True)
        try:
            parsed = np.array([float(text) for text in distinct], np.float64)
        except ValueError:
            continue
        if len(parsed) and np.isfinite(parsed).all():
            found[name] = parsed[codes.reshape(-1)].astype(np.float32)
    return found


def read_bundle_metadata(bundle: Path, rows: int) -> Columns | None:
    """A bundle's METADATA_FILE (None when it has none), checked against its point count."""
    path = bundle / METADATA_FILE
    if not os.path.lexists(path):
        return None
    raw = read_limited(path, BundleError, MAX_METADATA_BYTES, what="the bundle's metadata TSV")
    return parse_metadata(raw, path, rows, BundleError, header=True)[1]
