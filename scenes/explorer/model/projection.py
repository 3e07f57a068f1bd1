"""Latent vectors -> 3-d positions for drawing. d <= 3 is shown as is (padded with zeros); d > 3
through PCA onto the three main axes. The full vectors stay with the bundle for decoding; this
only decides where a point is drawn."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from latentwalk.vae.layout_maps import principal_axes


@dataclass(frozen=True)
class LatentProjection:
    """z (.., d) -> (.., 3): (z - mean) @ axes.T (identity axes and zero mean for d <= 3)."""
    mean: np.ndarray  # (d,)
    axes: np.ndarray  # (3, d)
    explained: np.ndarray  # (3,) fraction of the variance along each axis (1, 1, 1 for d <= 3)
    method: str  # "identity" or "pca"

    @property
    def latent_dim(self) -> int:
        return int(self.mean.shape[0])

    def to_3d(self, latents: np.ndarray) -> np.ndarray:
        z = np.asarray(latents, dtype=np.float32)
        return ((z - self.mean) @ self.axes.T).astype(np.float32)


def fit_projection(latents: np.ndarray, seed: int = 0) -> LatentProjection:
    latents = np.asarray(latents, dtype=np.float32)
    if latents.ndim != 2:
        raise ValueError(f"latents must be (N, d), got {latents.shape}")
    dim = latents.shape[1]
    if dim <= 3:
        axes = np.zeros((3, dim), np.float32)
        axes[np.arange(dim), np.arange(dim)] = 1.0
        return LatentProjection(np.zeros(dim, np.float32), axes, np.ones(3, np.float32), "identity")
    mean, axes, explained = principal_axes(latents, 3, seed)
    return LatentProjection(mean, axes, explained, "pca")
