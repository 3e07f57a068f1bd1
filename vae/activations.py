"""What the decoder computes on the way from a latent to an image: each layer's output, and a way
to look at a layer's channels as one grid image.

The layers follow ConvDecoder.forward step by step (dense + ReLU, the reshape to a 7x7 grid of 32
channels, each transposed convolution with its SAME-padding crop), so the last one is exactly the
decoder's output; a test holds the two together.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # torch is imported where a layer is run: the explorer's panels lay out pictures first
    import torch

    from latentwalk.vae.model import ConvDecoder

LAYER_NAMES = ("dense", "reshape", "deconv1", "deconv2", "deconv3")


@dataclass(frozen=True)
class LayerOutput:
    name: str
    description: str  # what the layer is, for a panel's caption
    values: np.ndarray  # float32, (features,) for dense, (channels, H, W) for the others

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self.values.shape)


def layer_outputs_batch(decoder: ConvDecoder, latents: torch.Tensor) -> list[tuple[str, str, torch.Tensor]]:
    """(name, description, (B, ...) tensor) for each decoder layer, in order."""
    import torch

    if hasattr(decoder, "layers"):  # the colour network names its own layers (vae.colour_model)
        return decoder.layers(latents)
    h0, w0 = decoder.base
    dense = torch.relu(decoder.fc(latents))
    grid = dense.view(-1, 32, h0, w0)
    first = torch.relu(decoder.deconv1(grid)[:, :, : 2 * h0, : 2 * w0])
    second = torch.relu(decoder.deconv2(first)[:, :, : 4 * h0, : 4 * w0])
    logits = decoder.deconv3(second)
    return [
        ("dense", f"Dense {decoder.latent_dim} -> {dense.shape[1]} + ReLU", dense),
        ("reshape", f"reshape to {grid.shape[1]} channels of {h0}x{w0}", grid),
        ("deconv1", f"ConvTranspose {first.shape[1]} (3x3, stride 2) + ReLU", first),
        ("deconv2", f"ConvTranspose {second.shape[1]} (3x3, stride 2) + ReLU", second),
        ("deconv3", "ConvTranspose 1 (3x3, stride 1): logits, the image is their sigmoid", logits),
    ]


def decoder_activations(decoder: ConvDecoder, latent: np.ndarray) -> list[LayerOutput]:
    """Each layer's output for one latent (d,)."""
    import torch

    z = torch.from_numpy(np.ascontiguousarray(latent, np.float32).reshape(1, -1))
    z = z.to(next(decoder.parameters()).device)
    with torch.inference_mode():
        layers = layer_outputs_batch(decoder, z)
    return [LayerOutput(name, description, tensor[0].float().cpu().numpy()) for name, description, tensor in layers]


def channel_grid(values: np.ndarray, columns: int | None = None, padding: int = 1,
                 scale: float | None = None) -> np.ndarray:
    """A layer's output as one float32 grey image in [0, 1]: each channel a tile, in rows of
    `columns`, `padding` pixels of 0 between. A 1-d layer (dense) becomes one tile, as near square
    as its length allows. Values are divided by `scale` (default: the layer's largest magnitude),
    so tiles of one layer compare with each other; negative values (logits) are shifted so 0 is mid-grey."""
    values = np.asarray(values, np.float32)
    if values.ndim == 1:
        width = max(1, math.ceil(math.sqrt(len(values))))
        padded = np.full(width * math.ceil(len(values) / width), np.nan, np.float32)
        padded[: len(values)] = values
        values = padded.reshape(1, -1, width)
    if values.ndim != 3:
        raise ValueError(f"expected (features,) or (channels, H, W), got shape {values.shape}")
    columns = columns or max(1, math.ceil(math.sqrt(len(values))))
    finite = values[np.isfinite(values)]
    signed = finite.size > 0 and float(finite.min()) < 0
    magnitude = scale if scale is not None else (float(np.abs(finite).max()) if finite.size else 0.0)
    magnitude = magnitude if magnitude > 0 else 1.0
    tiles = 0.5 + 0.5 * values / magnitude if signed else values / magnitude
    return tile_grid(np.clip(np.nan_to_num(tiles, nan=0.0), 0.0, 1.0), columns, padding, fill=0.0)


def tile_grid(tiles: np.ndarray, columns: int, padding: int = 1, fill=0) -> np.ndarray:
    """(T, h, w) tiles -> one (rows * (h + p) + p, columns * (w + p) + p) array, tiles in rows of
    `columns`, `fill` in the gaps and in the unused cells of the last row."""
    count, height, width = tiles.shape
    rows = math.ceil(count / columns)
    cells = np.full((rows * columns, height + padding, width + padding), fill, tiles.dtype)
    cells[:count, :height, :width] = tiles
    grid = cells.reshape(rows, columns, height + padding, width + padding).transpose(0, 2, 1, 3)
    grid = grid.reshape(rows * (height + padding), columns * (width + padding))
    return np.pad(grid, ((padding, 0), (padding, 0)), constant_values=fill)


# ----------------------------------------------------------------- legible pictures of a layer
GAP_RGB = (52, 64, 92)  # between tiles: not a grey a value can take, so a dead (black) channel reads as one


@dataclass(frozen=True)
class LayerPicture:
    """One layer's output as tiles to lay out, with what each grey level stands for.

    `tiles` (T, h, w) in [0, 1]: values divided by their `scales` entry (shifted so 0 is mid-grey when
    `signed`). With per-channel normalisation every tile has its own scale, so a weak
    channel's pattern is as visible as a strong one's; per layer they share the layer's largest magnitude."""
    tiles: np.ndarray
    scales: np.ndarray  # the magnitude full white stands for: per tile, or per row of a 1-d layer's one tile
    signed: bool
    per_channel: bool
    rows_are_channels: bool  # a 1-d layer: one tile whose rows are the channels it feeds


def layer_picture(values: np.ndarray, per_channel: bool = True, channels: int | None = None) -> LayerPicture:
    """(channels, H, W) maps as one tile each; a 1-d layer (dense) as one tile of `channels` rows, the
    rows being the channel maps it is reshaped into (row c = channel c's values, row by row), so it reads
    as a table instead of noise. A channel (or row) that is all zero stays black, never divided by 0."""
    values = np.asarray(values, np.float32)
    rows_are_channels = values.ndim == 1
    if rows_are_channels:
        rows = channels if channels and len(values) % channels == 0 else max(1, math.isqrt(len(values)))
        width = math.ceil(len(values) / rows)
        padded = np.zeros(rows * width, np.float32)
        padded[: len(values)] = values
        values = padded.reshape(1, rows, width)
    if values.ndim != 3:
        raise ValueError(f"expected (features,) or (channels, H, W), got shape {values.shape}")
    signed = bool(values.size) and float(values.min()) < 0
    if per_channel:
        axes = (2,) if rows_are_channels else (1, 2)
        magnitude = np.abs(values).max(axis=axes, keepdims=True)
    else:
        magnitude = np.full((1, 1, 1), np.abs(values).max() if values.size else 0.0, np.float32)
    magnitude = np.where(magnitude > 0, magnitude, 1.0).astype(np.float32)
    tiles = 0.5 + 0.5 * values / magnitude if signed else values / magnitude
    count = values.shape[1] if rows_are_channels else len(values)  # scaled groups: rows of a 1-d layer, else tiles
    scales = np.broadcast_to(magnitude.reshape(-1), (count,)).copy()
    return LayerPicture(np.clip(tiles, 0.0, 1.0), scales, signed, per_channel, rows_are_channels)


def columns_to_fit(tile_width: int, count: int, width_cells: float, padding: int = 1) -> int:
    """Tiles per row so that a grid of `count` tiles stays within `width_cells` cells (at least one)."""
    return int(min(count, max(1, (width_cells - padding) // (tile_width + padding))))


def picture_rgb(picture: LayerPicture, columns: int, padding: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """(rgb uint8 (H, W, 3), index int64 (H, W)) of the tiles in rows of `columns`: grey levels, GAP_RGB
    between tiles; index is the flat position in `tiles` a pixel shows (-1 on gaps), for read-outs."""
    tiles = picture.tiles
    index = tile_grid(np.arange(tiles.size).reshape(tiles.shape), columns, padding, fill=-1)
    grey = np.rint(tiles.reshape(-1)[np.maximum(index, 0)] * 255).astype(np.uint8)
    rgb = np.repeat(grey[..., None], 3, axis=2)
    rgb[index < 0] = GAP_RGB
    return rgb, index
