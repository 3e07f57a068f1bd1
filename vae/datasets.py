"""Data sets: `mnist`, `fashion-mnist` (found in a data dir, else downloaded and verified),
`idx:DIR` (any folder holding the four standard IDX files), `cifar10` / `cifar10:DIR` (vae.cifar),
`shapes[:N]` (made in code, vae.sprites) and folders of pictures (vae.images, picture_dataset).

Downloaded files are checked against the published MD5 of the official .gz files. Files that are
already on disk are accepted by validating their IDX headers and sizes instead, because
re-compressed copies have different .gz checksums but the same data.
"""
from __future__ import annotations

import contextlib
import hashlib
import http.client
import os
import socket
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import numpy as np

from latentwalk.vae.errors import DatasetError
from latentwalk.vae.idx import read_image_label_pair

DATA_URL_ENV = "LATENTWALK_DATA_URL"
MAX_CLASS_NAMES_BYTES = 1 << 20
SPLIT_FILES = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}


@dataclass(frozen=True)
class DatasetSpec:
    """A downloadable data set: where its four .gz files live and their published MD5s."""
    name: str
    mirrors: tuple[str, ...]
    md5: dict[str, str]  # file name (.gz) -> md5 hex
    class_names: tuple[str, ...]


DATASETS: dict[str, DatasetSpec] = {
    "mnist": DatasetSpec(
        name="mnist",
        mirrors=("https://ossci-datasets.s3.amazonaws.com/mnist/",
                 "https://storage.googleapis.com/cvdf-datasets/mnist/"),
        md5={
            "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
            "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
            "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
            "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
        },
        class_names=tuple(str(digit) for digit in range(10)),
    ),
    "fashion-mnist": DatasetSpec(
        name="fashion-mnist",
        mirrors=("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",),
        md5={
            "train-images-idx3-ubyte.gz": "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
            "train-labels-idx1-ubyte.gz": "25c81989df183df01b3e8a0aad5dffbe",
            "t10k-images-idx3-ubyte.gz": "bef4ecab320f06d8554ea6380940ec79",
            "t10k-labels-idx1-ubyte.gz": "bb300cfdad3c16e7a12a480ee83cd310",
        },
        class_names=("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                     "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"),
    ),
}


COLOUR_SETS = ("cifar10", "shapes")


@dataclass
class Dataset:
    """A labelled image data set: uint8 images (N, H, W) grey or (N, H, W, 3) colour, labels (N,);
    optionally each image's generating factors (float32 (N, F), named by factor_names)."""
    name: str
    source: Path
    train_images: np.ndarray
    train_labels: np.ndarray
    test_images: np.ndarray
    test_labels: np.ndarray
    class_names: list[str] = field(default_factory=list)
    train_factors: np.ndarray | None = None
    test_factors: np.ndarray | None = None
    factor_names: list[str] = field(default_factory=list)
    preprocessing: dict = field(default_factory=dict)  # how pictures became these images (model.json)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # pictures refused: (path, reason)

    @property
    def image_shape(self) -> tuple[int, int]:
        return tuple(self.train_images.shape[1:3])  # type: ignore[return-value]

    @property
    def channels(self) -> int:
        return 3 if self.train_images.ndim == 4 else 1

    @property
    def is_colour_set(self) -> bool:
        """Pictures (a folder, CIFAR-10, shapes) rather than an IDX set: trained with the colour network."""
        return bool(self.preprocessing)


def default_data_dir(name: str) -> Path:
    import platformdirs
    return Path(platformdirs.user_data_dir("latentwalk")) / "datasets" / name


def find_split_files(folder: Path) -> dict[str, Path] | None:
    """The four IDX files in `folder` (raw or .gz), or None if any is absent."""
    found = {}
    for role, stem in SPLIT_FILES.items():
        candidates = [folder / stem, folder / f"{stem}.gz"]
        existing = [path for path in candidates if path.is_file()]
        if not existing:
            return None
        found[role] = existing[0]
    return found


def load_dataset(spec: str, data_dir: str | Path | None = None, *, base_url: str | None = None,
                 download: bool = True, progress: bool = True) -> Dataset:
    """Load `mnist`, `fashion-mnist`, `idx:DIR`, `cifar10[:DIR]` or `shapes[:N]`; download the named
    sets when absent."""
    if spec == "shapes" or spec.startswith("shapes:"):
        return shapes_dataset(spec)
    if spec == "cifar10" or spec.startswith("cifar10:"):
        return cifar10_dataset(spec, data_dir, base_url=base_url, download=download, progress=progress)
    if spec.startswith("idx:"):
        folder = Path(spec[4:]).expanduser()
        if not folder.is_dir():
            raise DatasetError(f"{folder}: no such folder for data set {spec!r}")
        files = find_split_files(folder)
        if files is None:
            wanted = ", ".join(SPLIT_FILES.values())
            raise DatasetError(f"{folder}: missing IDX files (need {wanted}, raw or .gz)")
        return _assemble(spec, folder, files, _folder_class_names(folder))
    if spec not in DATASETS:
        raise DatasetError(f"unknown data set {spec!r} (choose mnist, fashion-mnist or idx:DIR)")
    dataset_spec = DATASETS[spec]
    folder = Path(data_dir).expanduser() if data_dir else default_data_dir(spec)
    files = find_split_files(folder)
    if files is None:
        if not download:
            raise DatasetError(f"{folder}: data set {spec!r} is not there and downloading is off")
        fetch_dataset(dataset_spec, folder, base_url=base_url, progress=progress)
        files = find_split_files(folder)
        assert files is not None
    return _assemble(spec, folder, files, list(dataset_spec.class_names))


def shapes_dataset(spec: str, side: int = 32, seed: int = 0) -> Dataset:
    from latentwalk.vae import sprites

    try:
        count = sprites.parse_count(spec)
    except ValueError as exc:
        raise DatasetError(str(exc)) from None
    parts = sprites.make_shapes(count, side, seed)
    return Dataset(spec, Path("shapes"), parts["train_images"], parts["train_labels"], parts["test_images"],
                   parts["test_labels"], list(sprites.SHAPE_NAMES), parts["train_factors"], parts["test_factors"],
                   list(sprites.FACTOR_NAMES),
                   preprocessing={"source": "shapes", "seed": seed, "image_size": side, "channels": 3})


def cifar10_dataset(spec: str, data_dir: str | Path | None = None, *, base_url: str | None = None,
                    download: bool = True, progress: bool = True) -> Dataset:
    from latentwalk.vae.cifar import CLASS_NAMES, load_cifar10

    if spec.startswith("cifar10:"):
        folder = Path(spec[len("cifar10:"):]).expanduser()
        if not folder.is_dir():
            raise DatasetError(f"{folder}: no such folder for data set {spec!r}")
        download = False
    else:
        folder = Path(data_dir).expanduser() if data_dir else default_data_dir("cifar10")
    parts = load_cifar10(folder, base_url=base_url, download=download, progress=progress)
    return Dataset(spec, folder, parts["train_images"], parts["train_labels"], parts["test_images"],
                   parts["test_labels"], list(CLASS_NAMES),
                   preprocessing={"source": "cifar10", "image_size": 32, "channels": 3})


def picture_dataset(folder: str | Path, side: int = 32, channels: str | int = "auto", *, progress: bool = True,
                    cache: str | Path | None = None) -> Dataset:
    """A folder of pictures (vae.images) as a data set: every tenth picture is held out to measure the
    model on pictures it did not train on (none below 20 pictures: then the test set is the training set)."""
    from latentwalk.vae.images import load_picture_folder

    found = load_picture_folder(folder, side, progress=progress, cache=cache)
    count = len(found.images)
    wanted = (1 if bool(found.grey.all()) else 3) if channels == "auto" else int(channels)
    held_out = np.arange(count) % 10 == 9 if count >= 20 else np.zeros(count, bool)
    train_rows, test_rows = np.flatnonzero(~held_out), np.flatnonzero(held_out)
    if not len(test_rows):
        test_rows = train_rows

    def pick(rows: np.ndarray) -> np.ndarray:
        if len(rows) == count and wanted == 3:
            return found.images  # the memory map itself: nothing is read before training touches it
        picked = found.images[rows]
        if wanted == 3:
            return picked
        weights = np.array([0.299, 0.587, 0.114], np.float32)
        return np.clip(np.rint(picked.astype(np.float32) @ weights), 0, 255).astype(np.uint8)

    root = Path(folder).expanduser().absolute()
    return Dataset(f"images:{root}", root, pick(train_rows), found.labels[train_rows], pick(test_rows),
                   found.labels[test_rows], list(found.class_names),
                   preprocessing={"source": "images", "image_size": side, "channels": wanted,
                                  "resize": "shorter side to image_size, centre crop", "alpha": "over white",
                                  "exif_orientation": True, "pictures": count, "held_out": int(held_out.sum())},
                   skipped=list(found.skipped))


def _folder_class_names(folder: Path) -> list[str] | None:
    """Optional `class_names.txt` (one name per line) beside an IDX set."""
    from latentwalk.vae.safeio import read_limited

    names_file = folder / "class_names.txt"
    if not os.path.lexists(names_file):
        return None
    data = read_limited(names_file, DatasetError, MAX_CLASS_NAMES_BYTES, what="a text file")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DatasetError(f"{names_file}: not UTF-8 text (byte {exc.start}); write one class name per line "
                           "in UTF-8") from None
    names = [line.strip() for line in text.splitlines() if line.strip()]
    return names or None


def _assemble(name: str, folder: Path, files: dict[str, Path], class_names: list[str] | None) -> Dataset:
    train_images, train_labels = read_image_label_pair(files["train_images"], files["train_labels"])
    test_images, test_labels = read_image_label_pair(files["test_images"], files["test_labels"])
    if train_images.shape[1:] != test_images.shape[1:]:
        raise DatasetError(f"{files['test_images']}: images are {test_images.shape[1:]}, "
                           f"training images are {train_images.shape[1:]}")
    if len(train_images) == 0:
        raise DatasetError(f"{files['train_images']}: no training images")
    highest = int(max(train_labels.max(initial=0), test_labels.max(initial=0)))
    if class_names is None:
        class_names = [str(label) for label in range(highest + 1)]
    if highest >= len(class_names):
        raise DatasetError(f"{folder}: label {highest} but only {len(class_names)} class names")
    return Dataset(name, folder, train_images, train_labels, test_images, test_labels, list(class_names))


# ---------------------------------------------------------------- download

class _Transient(Exception):
    """A failure worth retrying (connection dropped, timeout, 5xx)."""


class _WriteFailed(DatasetError):
    """A local file could not be written (disk full, read-only): no retry or other mirror helps."""


@contextlib.contextmanager
def _writing(path: Path) -> Iterator[None]:
    try:
        yield
    except OSError as exc:
        raise _WriteFailed(f"{path}: cannot write ({exc.strerror or exc})") from None


def fetch_dataset(spec: DatasetSpec, folder: Path, *, base_url: str | None = None,
                  progress: bool = True, retries: int = 4, backoff_s: float = 1.0) -> None:
    """Download the four files of `spec` into `folder` (those not already there)."""
    base_url = base_url or os.environ.get(DATA_URL_ENV)
    mirrors = (base_url,) if base_url else spec.mirrors
    with _writing(folder):
        folder.mkdir(parents=True, exist_ok=True)
    for file_name, md5 in spec.md5.items():
        destination = folder / file_name
        if destination.is_file():
            continue
        failures = []
        for mirror in mirrors:
            url = mirror.rstrip("/") + "/" + file_name
            try:
                download_file(url, destination, md5, progress=progress, retries=retries, backoff_s=backoff_s)
                break
            except _WriteFailed:
                raise
            except DatasetError as exc:
                failures.append(str(exc))
        else:
            raise DatasetError("; ".join(failures) + "; " + offline_hint(spec, folder))


def offline_hint(spec: DatasetSpec, folder: Path) -> str:
    """What to do when the files cannot be downloaded, for the end of the error line."""
    return (f"to train without downloading, copy {', '.join(spec.md5)} into {folder} (or a folder given with "
            f"--data-dir), or set {DATA_URL_ENV} to a mirror that has them")


def file_md5(path: Path) -> str:
    digest = hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def download_file(url: str, destination: str | Path, md5: str, *, progress: bool = True,
                  retries: int = 4, backoff_s: float = 1.0, timeout_s: float = 30.0) -> Path:
    """Fetch `url` into `destination`, verified against `md5`.

    Bytes go to `<destination>.part`; a later attempt (after a transient failure, or in a later
    run) resumes it with an HTTP Range request. Only a verified file is renamed into place; a
    checksum mismatch deletes the partial file.
    """
    destination = Path(destination)
    partial = destination.with_name(destination.name + ".part")
    attempt = 0
    while True:
        resumed_from = partial.stat().st_size if partial.exists() else 0
        try:
            _fetch_into(url, partial, progress=progress, timeout_s=timeout_s)
        except _Transient as exc:
            attempt += 1
            if attempt > retries:
                raise DatasetError(f"{url}: download failed after {retries + 1} attempts: {exc}") from None
            time.sleep(backoff_s * 2 ** (attempt - 1))
            continue
        actual = file_md5(partial)
        if actual == md5:
            with _writing(destination):
                os.replace(partial, destination)
            return destination
        partial.unlink()
        if resumed_from and attempt < retries:
            attempt += 1  # the stale partial may be what is wrong: one more try from scratch
            continue
        raise DatasetError(f"{url}: checksum mismatch (md5 {actual}, expected {md5}); nothing kept")


def _fetch_into(url: str, partial: Path, *, progress: bool, timeout_s: float) -> None:
    from tqdm import tqdm

    offset = partial.stat().st_size if partial.exists() else 0
    request = urllib.request.Request(url, headers={"User-Agent": "latentwalk"})
    if offset:
        request.add_header("Range", f"bytes={offset}-")
    try:
        response = urllib.request.urlopen(request, timeout=timeout_s)
    except urllib.error.HTTPError as exc:
        if exc.code == 416 and offset:  # the partial file is already complete
            return
        if exc.code >= 500 or exc.code == 429:
            raise _Transient(f"HTTP {exc.code} {exc.reason}") from None
        raise DatasetError(f"{url}: HTTP {exc.code} {exc.reason}") from None
    except (urllib.error.URLError, socket.timeout, ConnectionError) as exc:
        raise _Transient(str(getattr(exc, "reason", exc))) from None
    with response:
        if offset and response.status != 206:
            offset = 0  # the server ignored the range: start over
        length = response.headers.get("Content-Length")
        total = offset + int(length) if length and length.isdigit() else None
        received = 0
        with _writing(partial):
            out = open(partial, "ab" if offset else "wb")
        try:
            with tqdm(total=total, initial=offset, unit="B", unit_scale=True, unit_divisor=1024,
                      desc=partial.name.removesuffix(".part"), disable=not progress, leave=False) as bar:
                while True:
                    try:
                        chunk = response.read(1 << 16)
                    except (http.client.HTTPException, urllib.error.URLError, OSError) as exc:
                        # only the socket is read here (timeouts, resets and SSL errors are OSErrors)
                        raise _Transient(f"connection lost after {offset + received} bytes ({exc})") from None
                    if not chunk:
                        break
                    with _writing(partial):
                        out.write(chunk)
                    received += len(chunk)
                    bar.update(len(chunk))
        finally:
            with _writing(partial):
                out.close()  # a full disk may only show when the buffer is flushed
        if total is not None and offset + received < total:
            raise _Transient(f"connection closed after {offset + received} of {total} bytes")
