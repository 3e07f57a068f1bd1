"""Latent vectors -> 3-d positions for drawing. d <= 3 is shown as is (padded with zeros); d > 3
through PCA onto the three main axes. The full vectors stay with the bundle for decoding; this
only decides where a point is drawn."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# PCA of a million points needs only the covariance, which a sample estimates well; the
# projection itself is applied to every point.
_PCA_FIT_SAMPLE = 200_000


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
    sample = latents
    if len(latents) > _PCA_FIT_SAMPLE:
        rows = np.random.default_rng(seed).choice(len(latents), _PCA_FIT_SAMPLE, replace=False)
        sample = latents[rows]
    mean = sample.mean(axis=0, dtype=np.float64)
    covariance = np.cov((sample - mean).T.astype(np.float64))
    values, vectors = np.linalg.eigh(covariance)
    order = np.argsort(values)[::-1][:3]
    axes = vectors[:, order].T
    # eigenvector signs are arbitrary: make each axis' largest component positive, so a model
    # always looks the same
    signs = np.sign(axes[np.arange(3), np.abs(axes).argmax(axis=1)])
    axes = axes * np.where(signs == 0, 1.0, signs)[:, None]
    total = float(values.sum()) or 1.0
    return LatentProjection(mean.astype(np.float32), axes.astype(np.float32),
                            (values[order] / total).astype(np.float32), "pca")
