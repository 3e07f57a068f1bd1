"""A folder of pictures as a training set (`latentwalk train --images DIR`).

The torchvision ImageFolder convention: one subfolder per class, named after it; a folder with no
subfolder of pictures is one class. Each picture is decoded once, in parallel processes, into a
uint8 cache of the pictures at S x S (shorter side scaled to S, centre-cropped) kept as a
memory-mapped .npy in the user cache folder. The cache's name is a hash of the file list, sizes,
modification times and S, so a later run over the same folder reads no picture at all, and any
change to the folder makes a new one.

Pictures are refused one by one, never with a traceback: anything but a regular file (FIFOs,
devices, links that loop), a file larger than MAX_FILE_BYTES, a picture whose header claims more
than MAX_SOURCE_PIXELS (checked before decoding: a decompression bomb is never expanded), one
smaller than MIN_SIDE a side, and whatever PIL cannot decode. They are counted and listed.
"""
from __future__ import annotations

import hashlib
import io
import json
import os
import stat
import sys
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from latentwalk.vae.errors import DatasetError
from latentwalk.vae.safeio import first_line, read_limited

PICTURE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp", ".bmp", ".gif")
PIL_FORMATS = ("PNG", "JPEG", "WEBP", "BMP", "GIF")
MAX_FILE_BYTES = 64 << 20
MAX_SOURCE_PIXELS = 50_000_000  # a 7000 x 7000 photograph; a bomb's header claims far more
MIN_SIDE = 8  # smaller pictures carry nothing a model could learn from (a 1x1 tracking pixel)
MAX_PICTURES = 5_000_000
CACHE_VERSION = 1
WORKERS = 2
ALPHA_BACKGROUND = 255  # transparent pixels become white, as pictures with transparency are usually shown


class PictureRefused(Exception):
    """One picture that cannot be used, and why (a short phrase)."""


@dataclass
class PictureFolder:
    """The decoded folder: images uint8 (N, S, S, 3) (a memory map of the cache), whether each was
    grey, labels (N,), class names, the relative paths of the pictures used, and those skipped."""
    root: Path
    images: np.ndarray
    grey: np.ndarray
    labels: np.ndarray
    class_names: list[str]
    files: list[str]
    skipped: list[tuple[str, str]] = field(default_factory=list)
    cache_path: Path | None = None
    decoded: int = 0  # pictures decoded by this call (0: every one came from the cache)


# ---------------------------------------------------------------- the file list
def scan_folder(root: Path) -> tuple[list[tuple[str, int]], list[str], list[tuple[str, str]]]:
    """((relative path, label) of each picture file, in order; class names; (path, reason) of entries
    refused while listing). Links to folders are followed once; a loop is not followed again."""
    root = Path(root)
    try:
        info = os.stat(root)
    except OSError as exc:
        raise DatasetError(f"{root}: cannot read the folder ({exc.strerror or exc})") from None
    if not stat.S_ISDIR(info.st_mode):
        raise DatasetError(f"{root}: not a folder of pictures")
    refused: list[tuple[str, str]] = []
    seen = {(info.st_dev, info.st_ino)}
    top_files, subfolders = _entries(root, root, refused)
    classes = []
    for sub in subfolders:
        files = _walk(sub, root, refused, seen)
        if files:
            classes.append((sub.name, files))
    if not classes:
        return [(name, 0) for name in top_files], [root.resolve().name or "pictures"], refused
    for name in top_files:
        refused.append((name, "outside the class folders (a picture of no class)"))
    listed = [(name, label) for label, (_, files) in enumerate(classes) for name in files]
    return listed, [name for name, _ in classes], refused


def _entries(folder: Path, root: Path, refused: list) -> tuple[list[str], list[Path]]:
    """(picture files, subfolders) of one folder, sorted; unreadable entries refused."""
    try:
        entries = sorted(os.scandir(folder), key=lambda entry: entry.name)
    except OSError as exc:
        refused.append((_relative(folder, root), f"folder not readable ({exc.strerror or exc})"))
        return [], []
    files, folders = [], []
    for entry in entries:
        if entry.name.startswith("."):
            continue
        try:
            is_dir = entry.is_dir()  # follows links; a loop of links raises ELOOP
        except OSError as exc:
            refused.append((_relative(Path(entry.path), root), f"not readable ({exc.strerror or exc})"))
            continue
        if is_dir:
            folders.append(Path(entry.path))
        elif entry.name.lower().endswith(PICTURE_SUFFIXES):
            files.append(_relative(Path(entry.path), root))
    return files, folders


def _walk(folder: Path, root: Path, refused: list, seen: set) -> list[str]:
    try:
        info = os.stat(folder)
    except OSError as exc:
        refused.append((_relative(folder, root), f"not readable ({exc.strerror or exc})"))
        return []
    if (info.st_dev, info.st_ino) in seen:
        refused.append((_relative(folder, root), "a link back to a folder already read (a loop)"))
        return []
    seen.add((info.st_dev, info.st_ino))
    files, folders = _entries(folder, root, refused)
    for sub in folders:
        files.extend(_walk(sub, root, refused, seen))
    return files


def _relative(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)


# ---------------------------------------------------------------- one picture
def decode_picture(path: str | Path, side: int) -> tuple[np.ndarray, bool]:
    """(uint8 (side, side, 3), whether the picture is grey): EXIF orientation applied, the first frame
    of an animation, transparency over white, 16-bit scaled to 8, shorter side scaled to `side` and
    centre-cropped. PictureRefused (a short reason) for anything that is not a usable picture."""
    from PIL import Image, ImageOps

    data = _read_file(Path(path))
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(data), formats=PIL_FORMATS) as image:
                width, height = image.size
                if width * height > MAX_SOURCE_PIXELS:
                    raise PictureRefused(f"{width}x{height} pixels, more than {MAX_SOURCE_PIXELS} "
                                         "(a decompression bomb?)")
                if min(width, height) < MIN_SIDE:
                    raise PictureRefused(f"{width}x{height} pixels, less than {MIN_SIDE} a side")
                if image.format == "JPEG":
                    image.draft(image.mode if image.mode in ("L", "RGB") else None, (side, side))
                image.load()
                oriented = ImageOps.exif_transpose(image)
                grey = image.mode in ("1", "L", "LA", "I", "I;16", "I;16B", "I;16L", "F")
                rgb = _to_rgb(oriented)
        except PictureRefused:
            raise
        except Image.DecompressionBombError:
            raise PictureRefused("too many pixels (a decompression bomb?)") from None
        except Exception as exc:  # PIL raises many types for broken files; each is this picture's alone
            reason = "not a PNG, JPEG, WebP, BMP or GIF picture" if "cannot identify" in str(exc) else \
                f"cannot decode ({first_line(exc)[:160]})"
            raise PictureRefused(reason) from None
    pixels = np.asarray(_fit(rgb, side), np.uint8)
    if not grey:
        grey = bool(np.array_equal(pixels[..., 0], pixels[..., 1]) and np.array_equal(pixels[..., 1], pixels[..., 2]))
    return pixels, grey


def _read_file(path: Path) -> bytes:
    class _Refused(PictureRefused):
        pass

    try:
        return read_limited(path, _Refused, MAX_FILE_BYTES, what="a picture")
    except _Refused as exc:
        raise PictureRefused(str(exc).split(": ", 1)[-1]) from None


def _to_rgb(image):
    """Any PIL mode as RGB: palette and alpha composited over white, 16-bit scaled down, CMYK converted."""
    from PIL import Image

    if image.mode in ("I", "I;16", "I;16B", "I;16L", "F"):
        values = np.asarray(image, np.float32)  # at most MAX_SOURCE_PIXELS * 4 bytes
        top = 65535.0 if image.mode != "F" else max(1.0, float(values.max()))
        if image.mode == "I" and values.max(initial=0) <= 255:
            top = 255.0
        grey = np.clip(values / top * 255.0 + 0.5, 0, 255).astype(np.uint8)
        return Image.fromarray(grey, "L").convert("RGB")
    if image.mode == "P" and "transparency" in image.info or image.mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (ALPHA_BACKGROUND,) * 3 + (255,))
        return Image.alpha_composite(background, rgba).convert("RGB")
    return image.convert("RGB")


def _fit(image, side: int):
    """Shorter side scaled to `side`, then the centre `side` x `side` square."""
    from PIL import Image

    width, height = image.size
    scale = side / min(width, height)
    size = (max(side, round(width * scale)), max(side, round(height * scale)))
    if size != (width, height):
        image = image.resize(size, Image.Resampling.BICUBIC, reducing_gap=3.0)
    left, top = (size[0] - side) // 2, (size[1] - side) // 2
    return image.crop((left, top, left + side, top + side))


def _decode_job(job: tuple[str, int]) -> tuple[np.ndarray | None, bool, str | None]:
    path, side = job
    try:
        pixels, grey = decode_picture(path, side)
        return pixels, grey, None
    except PictureRefused as exc:
        return None, False, str(exc)
    except MemoryError:
        return None, False, "not enough memory to decode it"


# ---------------------------------------------------------------- the cache
def cache_dir() -> Path:
    import platformdirs

    return Path(platformdirs.user_cache_dir("latentwalk")) / "pictures"


def folder_key(root: Path, files: list[tuple[str, int]], side: int) -> str:
    """A hash of what the cache holds: each file's path, class, size and modification time, and S."""
    digest = hashlib.sha256(f"latentwalk-pictures v{CACHE_VERSION} side {side}\n".encode())
    digest.update(str(root.resolve()).encode("utf-8", "surrogateescape") + b"\n")
    for name, label in files:
        try:
            info = os.stat(root / name)
            size, mtime = info.st_size, info.st_mtime_ns
        except OSError:
            size, mtime = -1, -1
        digest.update(f"{label}\t{size}\t{mtime}\t".encode() + name.encode("utf-8", "surrogateescape") + b"\n")
    return digest.hexdigest()[:32]


def load_picture_folder(root: str | Path, side: int = 32, *, progress: bool = True, workers: int = WORKERS,
                        cache: str | Path | None = None) -> PictureFolder:
    """The folder's pictures at side x side, from the cache when it is there, else decoded into it.
    DatasetError (one line) when no picture is usable."""
    root = Path(root).expanduser()
    listed, class_names, refused = scan_folder(root)
    if len(listed) > MAX_PICTURES:
        raise DatasetError(f"{root}: {len(listed)} pictures, more than the {MAX_PICTURES} one run may decode")
    folder = Path(cache).expanduser() if cache else cache_dir()
    key = folder_key(root, listed, side)
    found = _read_cache(folder, key, root, class_names)
    if found is None:
        found = _build_cache(root, listed, class_names, side, folder, key, progress, workers)
    found.skipped = refused + found.skipped
    if len(found.images) == 0:
        raise DatasetError(f"{root}: no usable picture ({_skipped_phrase(found.skipped)}; "
                           f"{', '.join(PICTURE_SUFFIXES)} files are read)")
    return found


def _skipped_phrase(skipped: list[tuple[str, str]]) -> str:
    if not skipped:
        return "no picture files found"
    first, reason = skipped[0]
    return f"{len(skipped)} refused, the first {first}: {reason}"


def _build_cache(root: Path, listed: list[tuple[str, int]], class_names: list[str], side: int, folder: Path,
                 key: str, progress: bool, workers: int) -> PictureFolder:
    import multiprocessing

    from tqdm import tqdm

    jobs = [(str(root / name), side) for name, _ in listed]
    pictures = np.empty((len(jobs), side, side, 3), np.uint8) if len(jobs) * side * side * 3 < (256 << 20) else None
    kept: list[int] = []
    grey: list[bool] = []
    skipped: list[tuple[str, str]] = []
    store = _CacheWriter(folder, key, len(jobs), side) if pictures is None else None

    def take(index: int, result) -> None:
        pixels, is_grey, reason = result
        if reason is not None:
            skipped.append((listed[index][0], reason))
            return
        if pictures is not None:
            pictures[len(kept)] = pixels
        else:
            store.put(len(kept), pixels)
        kept.append(index)
        grey.append(is_grey)

    with tqdm(total=len(jobs), unit="picture", desc=f"decoding {root.name or root}", disable=not progress,
              leave=False, dynamic_ncols=True, file=sys.stderr) as bar:
        if workers > 1 and len(jobs) > 64 and "fork" in multiprocessing.get_all_start_methods():
            # fork: the workers need only PIL and numpy, and `python -m latentwalk` cannot be re-imported
            with multiprocessing.get_context("fork").Pool(workers) as pool:
                for index, result in enumerate(pool.imap(_decode_job, jobs, chunksize=32)):
                    take(index, result)
                    bar.update()
        else:
            for index, job in enumerate(jobs):
                take(index, _decode_job(job))
                bar.update()
    labels = np.array([listed[i][1] for i in kept], np.int64)
    files = [listed[i][0] for i in kept]
    meta = {"version": CACHE_VERSION, "root": str(root.resolve()), "side": side, "class_names": class_names,
            "files": files, "labels": labels.tolist(), "grey": grey, "skipped": skipped}
    path = _write_cache(folder, key, pictures[:len(kept)] if pictures is not None else store.finish(len(kept)), meta)
    images = _open_images(path, len(kept), side) if path is not None else pictures[:len(kept)]
    return PictureFolder(root, images, np.array(grey, bool), labels, class_names, files, skipped, path,
                         decoded=len(jobs))


class _CacheWriter:
    """A large folder is decoded straight into a memory-mapped file, never whole in memory."""

    def __init__(self, folder: Path, key: str, count: int, side: int) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.temp = folder / f".{key}.{os.getpid()}.tmp.npy"
        self.array = np.lib.format.open_memmap(self.temp, mode="w+", dtype=np.uint8, shape=(count, side, side, 3))

    def put(self, row: int, pixels: np.ndarray) -> None:
        self.array[row] = pixels

    def finish(self, rows: int) -> np.ndarray:
        return self.array[:rows]


def _write_cache(folder: Path, key: str, images: np.ndarray, meta: dict) -> Path | None:
    """Write the cache (images, then its description last, each by rename); None when the cache folder
    cannot be written (training goes on from memory; only the next run decodes again)."""
    path = folder / f"{key}.npy"
    temp = folder / f".{key}.{os.getpid()}.npy"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        if isinstance(images, np.memmap) or (images.base is not None and isinstance(images.base, np.memmap)):
            out = np.lib.format.open_memmap(temp, mode="w+", dtype=np.uint8, shape=images.shape)
            out[:] = images
            out.flush()
            del out
            source = getattr(images, "filename", None) or getattr(images.base, "filename", None)
            if source:
                os.unlink(source)
        else:
            np.save(temp, np.ascontiguousarray(images), allow_pickle=False)
        os.replace(temp, path)
        meta_temp = folder / f".{key}.{os.getpid()}.json"
        meta_temp.write_text(json.dumps(meta), encoding="utf-8")
        os.replace(meta_temp, folder / f"{key}.json")
        return path
    except OSError as exc:
        print(f"warning: {folder}: cannot keep the decoded pictures ({exc.strerror or exc}); "
              "the next run decodes them again", file=sys.stderr)
        for leftover in (temp, folder / f".{key}.{os.getpid()}.json"):
            try:
                leftover.unlink()
            except OSError:
                pass
        return None


def _open_images(path: Path, count: int, side: int) -> np.ndarray:
    """The cache's pixels, memory-mapped copy-on-write (torch may wrap it; the file never changes)."""
    images = np.load(path, mmap_mode="c", allow_pickle=False)
    if images.shape != (count, side, side, 3) or images.dtype != np.uint8:
        raise ValueError(f"shape {images.shape}")
    return images


def _read_cache(folder: Path, key: str, root: Path, class_names: list[str]) -> PictureFolder | None:
    """The cache of this key when it is whole and consistent, else None (it is then rebuilt)."""
    from latentwalk.vae.safeio import load_json_file

    meta_path, path = folder / f"{key}.json", folder / f"{key}.npy"
    if not meta_path.is_file() or not path.is_file():
        return None
    try:
        meta = load_json_file(meta_path, DatasetError, limit=1 << 30)
        files, labels, grey = meta["files"], meta["labels"], meta["grey"]
        if meta["version"] != CACHE_VERSION or meta["class_names"] != class_names or not (
                len(files) == len(labels) == len(grey)):
            return None
        images = _open_images(path, len(files), int(meta["side"]))
        skipped = [(str(name), str(reason)) for name, reason in meta["skipped"]]
        return PictureFolder(root, images, np.array(grey, bool), np.array(labels, np.int64), list(class_names),
                             list(files), skipped, path)
    except (DatasetError, KeyError, TypeError, ValueError, OSError):
        return None


def write_skipped_log(path: Path, root: Path, skipped: list[tuple[str, str]]) -> Path | None:
    """The refused pictures, one a line (path, tab, reason); None (and no file) when none was refused."""
    if not skipped:
        return None
    from latentwalk.vae.atomic import atomic_file

    with atomic_file(path) as temp:
        temp.write_text(f"# pictures of {root} that were not used\n"
                        + "".join(f"{name}\t{reason}\n" for name, reason in skipped), encoding="utf-8")
    return path
