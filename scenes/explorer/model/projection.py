"""Latent vectors -> 3-d positions for drawing, and back. d <= 3 is shown as is (padded with zeros);
d > 3 through PCA onto the three main axes. The full vectors stay with the bundle for decoding; this
decides where a point is drawn, and (`to_latent`) which latent any place of the view stands for, so
the gamepad's cursor, a click in empty space and a typed x y z all decode through the same map."""
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

    def to_latent(self, positions: np.ndarray) -> np.ndarray:
        """(.., 3) -> (.., d): mean + p @ axes, exact for PCA (orthonormal axes) and the identity; the
        components the view does not show stay at the mean."""
        p = np.asarray(positions, dtype=np.float32)
        return (self.mean + p @ self.axes).astype(np.float32)


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
    on its drawn position and a walk between points moves smoothly between them. `to_latent` is the
    same construction the other way (positions -> latents), so a point's drawn place decodes its own
    latent exactly."""
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
        positions = np.asarray(positions, np.float32)
        place_mean = positions.mean(axis=0)
        back, *_ = np.linalg.lstsq((positions - place_mean).astype(np.float64), centred, rcond=None)
        object.__setattr__(self, "_positions", positions)
        object.__setattr__(self, "_place_mean", place_mean)
        object.__setattr__(self, "_back", back.astype(np.float32))  # (3, d)
        object.__setattr__(self, "_place_squared", np.einsum("ij,ij->i", positions, positions))
        object.__setattr__(self, "_latent_residuals",
                           (latents - mean - (positions - place_mean) @ self._back).astype(np.float32))

    def to_3d(self, latents: np.ndarray) -> np.ndarray:
        z = np.asarray(latents, dtype=np.float32)
        flat = z.reshape(-1, z.shape[-1])
        out = super().to_3d(flat) + _spread(flat, self._latents, self._squared, self._residuals, self.NEIGHBOURS)
        return out.reshape(*z.shape[:-1], 3)

    def to_latent(self, positions: np.ndarray) -> np.ndarray:
        p = np.asarray(positions, dtype=np.float32)
        flat = p.reshape(-1, 3)
        out = self.mean + (flat - self._place_mean) @ self._back
        out += _spread(flat, self._positions, self._place_squared, self._latent_residuals, self.NEIGHBOURS)
        return out.astype(np.float32).reshape(*p.shape[:-1], -1)


def _spread(queries: np.ndarray, keys: np.ndarray, key_squared: np.ndarray, residuals: np.ndarray,
            neighbours: int) -> np.ndarray:
    """Each query's share of the residuals of its `neighbours` nearest keys, by inverse squared distance."""
    out = np.zeros((len(queries), residuals.shape[1]), np.float32)
    k = min(neighbours, len(keys))
    for start in range(0, len(queries), 256):
        block = queries[start:start + 256]
        distances = np.maximum(key_squared[None, :] - 2.0 * block @ keys.T
                               + np.einsum("ij,ij->i", block, block)[:, None], 0.0)
        nearest = np.argpartition(distances, k - 1, axis=1)[:, :k]
        near = np.take_along_axis(distances, nearest, axis=1)
        weights = 1.0 / (near + 1e-12)
        weights /= weights.sum(axis=1, keepdims=True)
        out[start:start + len(block)] = np.einsum("bk,bkc->bc", weights, residuals[nearest])
    return out
