"""Latents -> images: batched decoding, latents files, .npy / PNG grid outputs."""
from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np
import torch

from latentwalk.vae.atomic import atomic_file, check_writable_folder, write_errors
from latentwalk.vae.bundle import read_npy
from latentwalk.vae.errors import DecodeError
from latentwalk.vae.model import ConvDecoder

MAX_GRID_IMAGES = 16_384  # a 128 x 128 grid; past that a PNG is unreadable and costs gigabytes
PROGRESS_FROM = 20_000  # latents: smaller jobs finish in a few seconds and print nothing
CHUNK_ROWS = 2048  # rows per chunk while streaming an .npy: bounds memory for any N, updates progress often


def check_latents(latents: np.ndarray, latent_dim: int, name: str = "latents", *,
                  allow_empty: bool = True) -> np.ndarray:
    """float32 (N, latent_dim) view of `latents`, or DecodeError naming `name`."""
    array = np.asarray(latents)
    if array.dtype.kind not in "fiu":
        raise DecodeError(f"{name}: dtype {array.dtype} is not numeric")
    if array.ndim != 2 or array.shape[1] != latent_dim:
        raise DecodeError(f"{name}: shape {array.shape}, expected (N, {latent_dim}) for this model")
    if not allow_empty and len(array) == 0:
        raise DecodeError(f"{name}: shape {array.shape}: no latents to decode")
    if array.dtype.kind == "f" and not np.isfinite(array).all():
        bad_row = int(np.flatnonzero(~np.isfinite(array).all(axis=1))[0])
        raise DecodeError(f"{name}: row {bad_row} contains NaN or Inf")
    with np.errstate(over="ignore", invalid="ignore"):  # judged below, in one line, not warned about
        array = array.astype(np.float32, copy=False)
    if not np.isfinite(array).all():
        bad_row = int(np.flatnonzero(~np.isfinite(array).all(axis=1))[0])
        raise DecodeError(f"{name}: row {bad_row} has values beyond float32 range (about 3.4e38)")
    return array


def decode_latents(decoder: ConvDecoder, latents: np.ndarray, batch_size: int = 256) -> np.ndarray:
    """Decode (N, d) latents to float32 images (N, H, W) in [0, 1] ((N, H, W, 3) for a colour
    decoder, the explorer's texture layout; files get (N, 3, H, W), see decode_to_file). Imported decoders (vae.runners) decode numpy to numpy, in the same batches."""
    array = check_latents(latents, decoder.latent_dim)
    if batch_size < 1:
        raise DecodeError(f"batch size must be positive, got {batch_size}")
    if not isinstance(decoder, torch.nn.Module):
        parts = [decoder.decode(array[start:start + batch_size]) for start in range(0, len(array), batch_size)]
        if parts:
            return np.concatenate(parts)
        return np.zeros((0, *decoder.image_shape), np.float32)
    height, width = decoder.image_shape
    colour = getattr(decoder, "channels", 1) == 3
    images = np.empty((len(array), height, width) + ((3,) if colour else ()), dtype=np.float32)
    device = next(decoder.parameters()).device
    with torch.inference_mode():
        for start in range(0, len(array), batch_size):
            z = torch.from_numpy(array[start:start + batch_size]).to(device)
            pixels = torch.sigmoid(decoder(z).float())
            pixels = pixels.permute(0, 2, 3, 1) if colour else pixels[:, 0]
            images[start:start + len(z)] = pixels.cpu().numpy()
    return images


def load_latents(path: str | Path, latent_dim: int | None = None) -> np.ndarray:
    """An array from a .npy file (never unpickled); check it with `check_latents`. With
    `latent_dim`, a header of the wrong shape is refused before the data is read."""
    def check(shape: tuple, dtype: np.dtype) -> None:
        if latent_dim is not None and (len(shape) != 2 or shape[1] != latent_dim):
            raise DecodeError(f"{path}: shape {shape}, expected (N, {latent_dim}) for this model")

    return read_npy(path, DecodeError, check=check)


def check_output_size(path: str | Path, count: int) -> None:
    """Refuse, before decoding, an output that could not sensibly be written."""
    if Path(path).suffix.lower() == ".png" and count > MAX_GRID_IMAGES:
        raise DecodeError(f"{path}: a grid of {count} images is too large for one PNG (at most "
                          f"{MAX_GRID_IMAGES}); write .npy instead")


def decode_to_file(decoder: ConvDecoder, latents: np.ndarray, path: str | Path, *, batch_size: int = 256,
                   progress: bool | None = None) -> Path:
    """Decode straight into `path` (.npy: streamed chunk by chunk, so memory stays bounded for any
    N; float32 (N, H, W), or (N, 3, H, W) for any colour model, ours or imported; .png: a grid of at most
    MAX_GRID_IMAGES). `progress` None: a bar on stderr for big jobs."""
    from tqdm import tqdm

    path = check_output_path(path)
    latents = check_latents(latents, decoder.latent_dim, "latents")
    check_output_size(path, len(latents))
    show = len(latents) >= PROGRESS_FROM if progress is None else progress
    chunk = max(batch_size, CHUNK_ROWS // batch_size * batch_size)
    height, width = decoder.image_shape
    with tqdm(total=len(latents), unit="img", desc=f"decoding {path.name}", file=sys.stderr,
              disable=not show, leave=False) as bar, write_errors(path, DecodeError):
        def chunks():
            for start in range(0, len(latents), chunk):
                images = decode_latents(decoder, latents[start:start + chunk], batch_size=batch_size)
                bar.update(len(images))
                yield images

        if path.suffix.lower() == ".png":
            return write_png_grid(np.concatenate(list(chunks())), path)
        colour = getattr(decoder, "channels", 1) == 3  # colour as (N, C, H, W), torch's own layout
        picture = (3, height, width) if colour else (height, width)
        header = {"descr": np.lib.format.dtype_to_descr(np.dtype(np.float32)), "fortran_order": False,
                  "shape": (len(latents), *picture)}
        with atomic_file(path) as temp, open(temp, "wb") as handle:
            np.lib.format.write_array_header_1_0(handle, header)
            for images in chunks():
                images = images.transpose(0, 3, 1, 2) if colour else images
                if images.shape[1:] != picture:  # the header was written first: rows of another shape would garble it
                    raise DecodeError(f"{path}: the decoder made images of {images.shape[1:]}, not {picture}")
                handle.write(np.ascontiguousarray(images, dtype=np.float32).tobytes())
    return path


def grid_image(images: np.ndarray, columns: int | None = None, padding: int = 2) -> np.ndarray:
    """Tile float images (N, H, W) (or (N, H, W, 3)) in [0, 1] into one uint8 grey (or RGB) image."""
    count, height, width = images.shape[:3]
    columns = columns or max(1, math.ceil(math.sqrt(count)))
    rows = max(1, math.ceil(count / columns))
    grid = np.zeros((rows * (height + padding) + padding, columns * (width + padding) + padding,
                     *images.shape[3:]), np.uint8)
    pixels = np.clip(np.rint(images * 255.0), 0, 255).astype(np.uint8)
    for index in range(count):
        top = padding + (index // columns) * (height + padding)
        left = padding + (index % columns) * (width + padding)
        grid[top:top + height, left:left + width] = pixels[index]
    return grid


def write_png_grid(images: np.ndarray, path: str | Path, columns: int | None = None) -> Path:
    from PIL import Image

    path = Path(path)
    with atomic_file(path) as temp:
        grid = grid_image(images, columns)
        Image.fromarray(grid, mode="L" if grid.ndim == 2 else "RGB").save(temp, format="PNG")
    return path


def check_output_path(path: str | Path) -> Path:
    """Fail before any decoding work if `path` cannot be an output."""
    path = Path(path)
    if path.suffix.lower() not in (".npy", ".png"):
        raise DecodeError(f"{path}: output must end in .npy or .png")
    if not path.parent.is_dir():
        raise DecodeError(f"{path}: folder {path.parent} does not exist")
    if path.is_dir():
        raise DecodeError(f"{path}: is a folder")
    check_writable_folder(path.parent, DecodeError, subject=path)
    return path
