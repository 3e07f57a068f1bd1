"""How well a 3-d layout keeps the neighbourhoods of the full latent space.

Two figures, both over a sample of query points (every point when there are few) whose neighbours
are searched among all points:
- neighbour preservation: the mean fraction of a point's k nearest neighbours in the latent space
  that are also among its k nearest in 3-d (1 = every neighbourhood kept);
- trustworthiness (Venna & Kaski): penalises 3-d neighbours that are far in the latent space, by how
  far down the latent ranking they are; 1 = no false neighbours. With every point a query it equals
  sklearn.manifold.trustworthiness.

Distances are float64 (a block of queries against every point at a time); the self-match is excluded.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

QUALITY_K = 10
QUALITY_SAMPLE = 2000
_BLOCK_ELEMENTS = 1 << 23  # query rows x k x points compared at once (8 MiB of booleans)


@dataclass(frozen=True)
class LayoutQuality:
    neighbours_kept: float  # mean fraction of the k latent neighbours among the k 3-d neighbours
    trustworthiness: float
    k: int
    queries: int  # how many points the figures average over

    def as_dict(self) -> dict:
        return {"neighbours_kept": round(self.neighbours_kept, 6), "trustworthiness": round(self.trustworthiness, 6),
                "k": self.k, "queries": self.queries}


def _squared(points: np.ndarray, queries: np.ndarray, points_norm: np.ndarray) -> np.ndarray:
    """(q, N) float64 squared distances, as ||q||^2 + ||p||^2 - 2 q.p."""
    queries = queries.astype(np.float64)
    squared = (queries * queries).sum(axis=1)[:, None] + points_norm[None, :] - 2.0 * (queries @ points.T)
    return np.maximum(squared, 0.0)


def _nearest(squared: np.ndarray, k: int) -> np.ndarray:
    """(q, k) indices of the k smallest per row, nearest first (rows already hold inf at self)."""
    part = np.argpartition(squared, k - 1, axis=1)[:, :k]
    values = np.take_along_axis(squared, part, axis=1)
    return np.take_along_axis(part, np.lexsort((part, values), axis=1), axis=1)


def query_sample(count: int, sample: int = QUALITY_SAMPLE, seed: int = 0) -> np.ndarray:
    if count <= sample:
        return np.arange(count)
    return np.sort(np.random.default_rng(seed).choice(count, sample, replace=False))


def layout_quality(latents: np.ndarray, positions: np.ndarray, k: int = QUALITY_K,
                   sample: int = QUALITY_SAMPLE, seed: int = 0) -> LayoutQuality:
    latents = np.asarray(latents)
    positions = np.asarray(positions)
    count = len(latents)
    if len(positions) != count:
        raise ValueError(f"{len(positions)} positions for {count} latents")
    if not 1 <= k < count - 1:
        raise ValueError(f"k must be between 1 and {count - 2}, got {k}")
    queries = query_sample(count, sample, seed)
    kept = 0.0
    penalty = 0.0
    block = max(1, _BLOCK_ELEMENTS // (count * k))
    high_points, low_points = latents.astype(np.float64), positions.astype(np.float64)
    high_norm, low_norm = (high_points ** 2).sum(axis=1), (low_points ** 2).sum(axis=1)
    for start in range(0, len(queries), block):
        rows = queries[start:start + block]
        local = np.arange(len(rows))
        high = _squared(high_points, high_points[rows], high_norm)
        low = _squared(low_points, low_points[rows], low_norm)
        high[local, rows] = np.inf
        low[local, rows] = np.inf
        high_nearest = _nearest(high, k)
        low_nearest = _nearest(low, k)
        for r in range(len(rows)):
            kept += len(np.intersect1d(high_nearest[r], low_nearest[r], assume_unique=True)) / k
        # rank (1-based) of each 3-d neighbour in the latent ordering: the points strictly nearer, plus one
        chosen = np.take_along_axis(high, low_nearest, axis=1)  # (q, k)
        ranks = (high[:, None, :] < chosen[:, :, None]).sum(axis=2) + 1
        penalty += float(np.maximum(ranks - k, 0).sum())
    n = len(queries)
    trust = 1.0 - 2.0 / (n * k * (2.0 * count - 3.0 * k - 1.0)) * penalty
    return LayoutQuality(kept / n, trust, k, n)
