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


class LayoutProjection(LatentProjection):
    """Points at a stored layout (a generator's points laid out by what it makes of them, not by their
    latents): a least-squares linear map from latents to the layout, plus each point's residual spread
    by inverse squared distance to the NEIGHBOURS nearest latents, so a point's own latent lands exactly
    on its drawn position and a walk between points moves smoothly between them."""
    NEIGHBOURS = 8

    def __init__(self, latents: np.ndarray, positions: np.ndarray) -> None:
        latents = np.asarray(latents, np.float32)
        mean = latents.mean(axis=0)
        centred = (latents - mean).astype(np.float64)
        solution, *_ = np.linalg.lstsq(centred, positions.astype(np.float64), rcond=None)
        object.__setattr__(self, "mean", mean.astype(np.float32))
        object.__setattr__(self, "axes", solution.T.astype(np.float32))
        object.__setattr__(self, "explained", np.ones(3, np.float32))
        object.__setattr__(self, "method", "layout")
        object.__setattr__(self, "_latents", latents)
        object.__setattr__(self, "_squared", np.einsum("ij,ij->i", latents, latents))
        object.__setattr__(self, "_residuals", (positions - super().to_3d(latents)).astype(np.float32))

    def to_3d(self, latents: np.ndarray) -> np.ndarray:
        z = np.asarray(latents, dtype=np.float32)
        flat = z.reshape(-1, z.shape[-1])
        out = super().to_3d(flat)
        k = min(self.NEIGHBOURS, len(self._latents))
        for start in range(0, len(flat), 256):
            block = flat[start:start + 256]
            distances = np.maximum(self._squared[None, :] - 2.0 * block @ self._latents.T
                                   + np.einsum("ij,ij->i", block, block)[:, None], 0.0)
            nearest = np.argpartition(distances, k - 1, axis=1)[:, :k]
            near = np.take_along_axis(distances, nearest, axis=1)
            weights = 1.0 / (near + 1e-12)
            weights /= weights.sum(axis=1, keepdims=True)
            out[start:start + len(block)] += np.einsum("bk,bkc->bc", weights, self._residuals[nearest])
        return out.reshape(*z.shape[:-1], 3)
