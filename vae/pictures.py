"""The picture of each embedded row, read from a folder (files in name order) or a list file (one path
a line, relative to the list's folder), made one size and stored as uint8 (metadata TSVs: vae/metadata.py)."""
from __future__ import annotations

import io
import warnings
from pathlib import Path

import numpy as np

from latentwalk.vae.errors import VaeError
from latentwalk.vae.safeio import first_line, read_limited

PICTURE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff")
MAX_SOURCE_PIXELS = 64_000_000  # one picture's decoded size: a decompression bomb is refused, not decoded
MAX_LIST_BYTES = 64 << 20


class PicturesError(VaeError):
    """Pictures or metadata that cannot be read: one line naming the file."""


def picture_paths(source: str | Path) -> list[Path]:
    """The pictures of a folder (by name) or of a list file, in row order."""
    source = Path(source)
    if source.is_dir():
        paths = sorted(p for p in source.iterdir() if p.suffix.lower() in PICTURE_SUFFIXES and p.is_file())
        if not paths:
            raise PicturesError(f"{source}: no pictures ({', '.join(PICTURE_SUFFIXES)}) in this folder")
        return paths
    text = read_limited(source, PicturesError, MAX_LIST_BYTES, what="a folder of pictures or a list of them")
    try:
        lines = [line.strip() for line in text.decode("utf-8").splitlines()]
    except UnicodeDecodeError:
        raise PicturesError(f"{source}: not a UTF-8 text list of picture paths") from None
    paths = [(source.parent / line) for line in lines if line]
    if not paths:
        raise PicturesError(f"{source}: the list names no pictures")
    return paths


def read_pictures(source: str | Path, count: int, side: int = 64) -> np.ndarray:
    """uint8 (count, S, S) grey, or (count, S, S, 3) when any picture has colour: each picture fitted
    into an S x S square (aspect kept, centred on black). One line naming the file on any failure."""
    from PIL import Image

    paths = picture_paths(source)
    if len(paths) != count:
        raise PicturesError(f"{source}: {len(paths)} pictures for {count} rows; give one picture per row")
    pictures = []
    colour = False
    for path in paths:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            try:
                data = read_limited(path, PicturesError, 256 << 20, what="a picture")
                with Image.open(io.BytesIO(data)) as image:
                    if image.width * image.height > MAX_SOURCE_PIXELS:
                        raise PicturesError(f"{path}: {image.width}x{image.height} pixels, more than "
                                            f"{MAX_SOURCE_PIXELS} (a decompression bomb?)")
                    image.draft("RGB", (side, side))
                    rgb = image.convert("RGB")
            except PicturesError:
                raise
            except Exception as exc:  # PIL raises many types for a broken file
                raise PicturesError(f"{path}: not a readable picture ({first_line(exc)[:200]})") from None
        rgb.thumbnail((side, side))
        canvas = np.zeros((side, side, 3), np.uint8)
        pixels = np.asarray(rgb, np.uint8)
        top, left = (side - pixels.shape[0]) // 2, (side - pixels.shape[1]) // 2
        canvas[top:top + pixels.shape[0], left:left + pixels.shape[1]] = pixels
        colour = colour or not (np.array_equal(pixels[..., 0], pixels[..., 1])
                                and np.array_equal(pixels[..., 1], pixels[..., 2]))
        pictures.append(canvas)
    stacked = np.stack(pictures)
    return stacked if colour else np.ascontiguousarray(stacked[..., 0])
