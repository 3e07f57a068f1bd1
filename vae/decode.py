"""Latents -> images: batched decoding, latents files, .npy / PNG grid outputs."""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import torch

from latentwalk.vae.bundle import atomic_file, check_writable_folder, read_npy, write_errors
from latentwalk.vae.errors import DecodeError
from latentwalk.vae.model import ConvDecoder


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
    array = array.astype(np.float32, copy=False)
    if not np.isfinite(array).all():
        bad_row = int(np.flatnonzero(~np.isfinite(array).all(axis=1))[0])
        raise DecodeError(f"{name}: row {bad_row} contains NaN or Inf")
    return array


def decode_latents(decoder: ConvDecoder, latents: np.ndarray, batch_size: int = 256) -> np.ndarray:
    """Decode (N, d) latents to float32 images (N, H, W) in [0, 1]."""
    array = check_latents(latents, decoder.latent_dim)
    if batch_size < 1:
        raise DecodeError(f"batch size must be positive, got {batch_size}")
    height, width = decoder.image_shape
    images = np.empty((len(array), height, width), dtype=np.float32)
    device = next(decoder.parameters()).device
    with torch.inference_mode():
        for start in range(0, len(array), batch_size):
            z = torch.from_numpy(array[start:start + batch_size]).to(device)
            images[start:start + len(z)] = torch.sigmoid(decoder(z))[:, 0].cpu().numpy()
    return images


def load_latents(path: str | Path) -> np.ndarray:
    """An array from a .npy file (never unpickled); check it with `check_latents`."""
    return read_npy(path, DecodeError)


def grid_image(images: np.ndarray, columns: int | None = None, padding: int = 2) -> np.ndarray:
    """Tile float images (N, H, W) in [0, 1] into one uint8 greyscale image."""
    count, height, width = images.shape
    columns = columns or max(1, math.ceil(math.sqrt(count)))
    rows = max(1, math.ceil(count / columns))
    grid = np.zeros((rows * (height + padding) + padding, columns * (width + padding) + padding), np.uint8)
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
        Image.fromarray(grid_image(images, columns), mode="L").save(temp, format="PNG")
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


def write_images(images: np.ndarray, path: str | Path) -> Path:
    """Write decoded images as .npy (float32 (N, H, W)) or a .png grid, never half-written."""
    path = check_output_path(path)
    with write_errors(path, DecodeError):
        if path.suffix.lower() == ".png":
            return write_png_grid(images, path)
        with atomic_file(path) as temp:
            with open(temp, "wb") as handle:
                np.save(handle, images.astype(np.float32, copy=False), allow_pickle=False)
        return path
