"""CIFAR-10 from its binary distribution (`cifar-10-binary.tar.gz`), never the pickled Python one.

Each batch file is a run of 3073-byte records: one label byte, then 1024 red, 1024 green and 1024
blue bytes of a 32x32 picture, row by row. The archive is read where it lies (no extraction): its
six batch files are taken by name, as regular members of the expected size, so nothing else in a
tar file is ever written or followed. A folder holding the six .bin files (extracted, or in
`cifar-10-batches-bin/`) is read as well.
"""
from __future__ import annotations

import os
import tarfile
from pathlib import Path

import numpy as np

from latentwalk.vae.errors import DatasetError

ARCHIVE = "cifar-10-binary.tar.gz"
ARCHIVE_MD5 = "c32a1d4ab5d03f1284b67883e8d87530"
MIRRORS = ("https://www.cs.toronto.edu/~kriz/",)
MEMBER_FOLDER = "cifar-10-batches-bin"
TRAIN_FILES = tuple(f"data_batch_{index}.bin" for index in range(1, 6))
TEST_FILE = "test_batch.bin"
RECORD = 3073
MAX_RECORDS = 10_000  # per batch file, as published
CLASS_NAMES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")


def parse_batch(data: bytes, where: str) -> tuple[np.ndarray, np.ndarray]:
    """(uint8 (N, 32, 32, 3) pictures, uint8 (N,) labels) of one batch file's bytes."""
    if not data or len(data) % RECORD or len(data) // RECORD > MAX_RECORDS:
        raise DatasetError(f"{where}: {len(data)} bytes, not a CIFAR-10 batch (a whole number of "
                           f"{RECORD}-byte records, at most {MAX_RECORDS})")
    records = np.frombuffer(data, np.uint8).reshape(-1, RECORD)
    labels = records[:, 0].copy()
    if labels.max() >= len(CLASS_NAMES):
        raise DatasetError(f"{where}: label {labels.max()} (CIFAR-10 has {len(CLASS_NAMES)} classes)")
    pictures = records[:, 1:].reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
    return np.ascontiguousarray(pictures), labels


def find_batches(folder: Path) -> Path | None:
    """Where the batches are under `folder`: the archive, or a folder holding the six .bin files."""
    for candidate in (folder, folder / MEMBER_FOLDER):
        if all((candidate / name).is_file() for name in TRAIN_FILES + (TEST_FILE,)):
            return candidate
    archive = folder / ARCHIVE
    return archive if archive.is_file() else None


def read_batches(source: Path) -> dict[str, np.ndarray]:
    """The training (50,000) and test (10,000) pictures and labels from the archive or a folder."""
    if source.is_dir():
        from latentwalk.vae.safeio import read_limited

        blobs = {name: read_limited(source / name, DatasetError, RECORD * MAX_RECORDS, what="a CIFAR-10 batch")
                 for name in TRAIN_FILES + (TEST_FILE,)}
    else:
        blobs = _read_archive(source)
    train = [parse_batch(blobs[name], f"{source}: {name}") for name in TRAIN_FILES]
    test_images, test_labels = parse_batch(blobs[TEST_FILE], f"{source}: {TEST_FILE}")
    return {"train_images": np.concatenate([images for images, _ in train]),
            "train_labels": np.concatenate([labels for _, labels in train]),
            "test_images": test_images, "test_labels": test_labels}


def _read_archive(path: Path) -> dict[str, bytes]:
    wanted = {f"{MEMBER_FOLDER}/{name}": name for name in TRAIN_FILES + (TEST_FILE,)}
    blobs: dict[str, bytes] = {}
    try:
        with tarfile.open(path, mode="r:gz") as archive:
            for member in archive:
                name = wanted.get(member.name.removeprefix("./"))
                if name is None:
                    continue
                if not member.isreg() or member.size > RECORD * MAX_RECORDS:
                    raise DatasetError(f"{path}: {member.name} is not a CIFAR-10 batch file")
                handle = archive.extractfile(member)
                blobs[name] = handle.read() if handle is not None else b""
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise DatasetError(f"{path}: not a readable {ARCHIVE} ({exc})") from None
    missing = [name for name in wanted.values() if name not in blobs]
    if missing:
        raise DatasetError(f"{path}: has no {MEMBER_FOLDER}/{missing[0]} (is it {ARCHIVE}?)")
    return blobs


def load_cifar10(folder: Path, *, base_url: str | None, download: bool, progress: bool) -> dict[str, np.ndarray]:
    """The batches under `folder`, downloading the archive there (MD5 checked) when none is found."""
    from latentwalk.vae.datasets import DATA_URL_ENV, download_file

    source = find_batches(folder)
    if source is None:
        if not download:
            raise DatasetError(f"{folder}: data set 'cifar10' is not there and downloading is off")
        base = base_url or os.environ.get(DATA_URL_ENV)
        failures = []
        for mirror in (base,) if base else MIRRORS:
            try:
                folder.mkdir(parents=True, exist_ok=True)
                download_file(mirror.rstrip("/") + "/" + ARCHIVE, folder / ARCHIVE, ARCHIVE_MD5, progress=progress)
                break
            except OSError as exc:
                raise DatasetError(f"{folder}: cannot write ({exc.strerror or exc})") from None
            except DatasetError as exc:
                failures.append(str(exc))
        else:
            raise DatasetError("; ".join(failures) + f"; to train without downloading, copy {ARCHIVE} into "
                               f"{folder} (or a folder given with --data-dir), or set {DATA_URL_ENV} to a "
                               "mirror that has it")
        source = folder / ARCHIVE
    return read_batches(source)
