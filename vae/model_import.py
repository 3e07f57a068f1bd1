"""Bringing in models that latentwalk did not train: a decoder file checked against the latents it will
decode (before anything is written), latents drawn from a generator's prior and decoded once in batches,
features of what it makes (downscaled pixels, or an encoder's output) for the layout and the colours,
and the pictures of an embedding's rows.
"""
from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from latentwalk.vae.runners import (MAX_LATENT_DIM, ImportedDecoder, ModelFile, ModelImportError, open_model,
                                    read_model_file, to_images)

FEATURE_SIDE = 16  # generated images are compared as 16x16 thumbnails: enough for layout and clusters
MAX_SAMPLES = 1_000_000


@dataclass
class CheckedDecoder:
    model_file: ModelFile
    decoder: ImportedDecoder


def open_decoder(path: str | Path, *, latent_dim: int | None, layout: str, output_range: str,
                 device: str = "cpu") -> CheckedDecoder:
    """The model at `path`, checked: it takes (N, d) latents (d from the model, else `latent_dim`,
    and the two agree) and one trial decode gives an image batch. ModelImportError otherwise."""
    model_file = read_model_file(path)
    run, model_dim, fixed, graph = open_model(model_file, device)
    if model_file.kind == "torchscript" and latent_dim is not None:
        model_dim = None  # its first matrix's width is only a guess: the trial decode judges the latents
    if model_dim is not None and latent_dim is not None and model_dim != latent_dim:
        raise ModelImportError(f"{path}: takes latents of width {model_dim}, the latents have {latent_dim}")
    dim = model_dim or latent_dim
    if dim is None:
        raise ModelImportError(f"{path}: the latent width cannot be read from the model; give --latent-dim D")
    if not 1 <= dim <= MAX_LATENT_DIM:
        raise ModelImportError(f"{path}: latent width {dim}, outside 1..{MAX_LATENT_DIM}")
    trial = np.zeros((1, dim), np.float32)
    images = to_images(run(trial), 1, layout, output_range, model_file.path)
    channels = 3 if images.ndim == 4 else 1
    decoder = ImportedDecoder(model_file.kind, model_file.path, dim, (images.shape[1], images.shape[2]), channels,
                              layout, output_range, fixed, run, graph)
    return CheckedDecoder(model_file, decoder)


def sample_latents(count: int, dim: int, seed: int) -> np.ndarray:
    """`count` latents from the standard normal prior, float32, reproducible from `seed`."""
    if not 1 <= count <= MAX_SAMPLES:
        raise ModelImportError(f"--sample {count}: between 1 and {MAX_SAMPLES} points")
    return np.random.default_rng(seed).standard_normal((count, dim), dtype=np.float32)


def thumbnails(images: np.ndarray, side: int = FEATURE_SIDE) -> np.ndarray:
    """(B, H, W[, 3]) in [0, 1] -> (B, side*side*C) float32, by area averaging (pure numpy)."""
    batch, height, width = images.shape[:3]
    rows = np.minimum((np.arange(height) * side) // height, side - 1)
    cols = np.minimum((np.arange(width) * side) // width, side - 1)
    pixels = images.reshape(batch, height, width, -1).astype(np.float32)
    summed = np.zeros((batch, side, width, pixels.shape[3]), np.float32)
    np.add.at(summed, (slice(None), rows), pixels)
    pooled = np.zeros((batch, side, side, pixels.shape[3]), np.float32)
    np.add.at(pooled, (slice(None), slice(None), cols), summed)
    counts = np.bincount(rows, minlength=side)[:, None] * np.bincount(cols, minlength=side)[None, :]
    pooled /= np.maximum(counts, 1)[None, :, :, None]
    return pooled.reshape(batch, -1)


def generated_features(decoder: ImportedDecoder, latents: np.ndarray, *, batch_size: int = 64,
                       encoder: Callable[[np.ndarray], np.ndarray] | None = None,
                       progress: bool = True) -> np.ndarray:
    """Decode every latent once, in batches with a progress bar on stderr, keeping only the features
    of each image (its thumbnail, or `encoder(images)` flattened): the images themselves are not kept."""
    from tqdm import tqdm

    parts = []
    with tqdm(total=len(latents), unit="img", desc="decoding samples", file=sys.stderr,
              disable=not progress, leave=False) as bar:
        for start in range(0, len(latents), batch_size):
            images = decoder.decode(latents[start:start + batch_size])
            features = thumbnails(images) if encoder is None else encoder(images)
            parts.append(np.asarray(features, np.float32).reshape(len(images), -1))
            bar.update(len(images))
    features = np.concatenate(parts)
    if not np.isfinite(features).all():
        raise ModelImportError(f"{decoder.path}: the features of the generated images contain NaN or Inf")
    return features


def encoder_features(path: str | Path, decoder: ImportedDecoder, device: str = "cpu") -> Callable[[np.ndarray], np.ndarray]:
    """An encoder model as a feature function: it is given the images as the decoder gave them (its
    layout and value range), and its first output, flattened per image, is the feature vector."""
    model_file = read_model_file(path)
    run, _, fixed, _ = open_model(model_file, device, expect_latents=False)

    def encode(images: np.ndarray) -> np.ndarray:
        pixels = images if images.ndim == 4 else images[..., None]
        if decoder.layout == "chw":
            pixels = pixels.transpose(0, 3, 1, 2)
        if decoder.output_range == "-1,1":
            pixels = pixels * 2.0 - 1.0
        pixels = np.ascontiguousarray(pixels, np.float32)
        out = np.concatenate([run(pixels[i:i + 1]) for i in range(len(pixels))]) if fixed else run(pixels)
        out = np.asarray(out, np.float32)
        if out.ndim < 1 or out.shape[0] != len(pixels):
            raise ModelImportError(f"{path}: the encoder gave shape {out.shape} for {len(pixels)} images")
        return out.reshape(len(pixels), -1)

    return encode


def kmeans(features: np.ndarray, clusters: int, seed: int = 0, iterations: int = 30) -> np.ndarray:
    """Cluster index of each row (k-means++ start, Lloyd iterations; seeded, so reproducible).
    Clusters are numbered by size, largest first."""
    data = np.asarray(features, np.float64)
    clusters = max(1, min(int(clusters), len(data)))
    rng = np.random.default_rng(seed)
    sample = data if len(data) <= 20_000 else data[rng.choice(len(data), 20_000, replace=False)]
    centres = [sample[rng.integers(len(sample))]]
    closest = ((sample - centres[0]) ** 2).sum(axis=1)
    for _ in range(1, clusters):
        total = closest.sum()
        pick = rng.choice(len(sample), p=closest / total) if total > 0 else rng.integers(len(sample))
        centres.append(sample[pick])
        closest = np.minimum(closest, ((sample - sample[pick]) ** 2).sum(axis=1))
    centres = np.stack(centres)
    for _ in range(iterations):
        assignment = _assign(data, centres)
        moved = centres.copy()
        for index in range(clusters):
            members = data[assignment == index]
            if len(members):
                moved[index] = members.mean(axis=0)
        if np.allclose(moved, centres):
            break
        centres = moved
    assignment = _assign(data, centres)
    order = np.argsort(-np.bincount(assignment, minlength=clusters), kind="stable")
    renumber = np.empty(clusters, np.int64)
    renumber[order] = np.arange(clusters)
    return renumber[assignment]


def _assign(data: np.ndarray, centres: np.ndarray) -> np.ndarray:
    squared = (centres ** 2).sum(axis=1)
    out = np.empty(len(data), np.int64)
    for start in range(0, len(data), 4096):
        block = data[start:start + 4096]
        out[start:start + len(block)] = np.argmin(squared[None, :] - 2.0 * block @ centres.T, axis=1)
    return out
