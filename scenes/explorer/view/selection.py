"""Selection beyond the mouse, as pure numpy: the nearest point in a screen direction, the k nearest
neighbours of a point in the model's full latent space, the next control point along the walk."""
from __future__ import annotations

import numpy as np

# A point counts as lying "in" a direction when within this half-angle of it (degrees).
DIRECTION_CONE_DEGREES = 50.0


def nearest_in_direction(pixels: np.ndarray, visible: np.ndarray, origin: np.ndarray,
                         direction: tuple[float, float], exclude: int | None = None) -> int | None:
    """Index of the visible point nearest to `origin` (window pixels) among those within
    DIRECTION_CONE_DEGREES of `direction` (+x right, +y down), ranked by distance weighted by how far
    off the direction it lies; None when there is none."""
    d = np.asarray(direction, np.float64)
    norm = float(np.linalg.norm(d))
    if norm == 0.0:
        return None
    d /= norm
    offset = np.asarray(pixels, np.float64) - np.asarray(origin, np.float64)
    distance = np.sqrt((offset ** 2).sum(axis=1))
    along = offset @ d
    ok = np.asarray(visible, bool) & (distance > 0.5)
    if exclude is not None and 0 <= exclude < len(ok):
        ok[exclude] = False
    cosine = np.where(distance > 0, along / np.maximum(distance, 1e-12), -1.0)
    ok &= cosine >= np.cos(np.radians(DIRECTION_CONE_DEGREES))
    if not ok.any():
        return None
    # off-axis points count as farther, so a step follows the arrow rather than the nearest crumb
    score = np.where(ok, distance * (2.0 - cosine), np.inf)
    return int(np.argmin(score))


def nearest_neighbours(latents: np.ndarray, index: int, k: int) -> np.ndarray:
    """The k data-set points nearest to point `index` (itself excluded), nearest first, by
    Euclidean distance in the full latent space; ties by index."""
    latents = np.asarray(latents)
    k = max(0, min(int(k), len(latents) - 1))
    if k == 0:
        return np.zeros(0, np.int64)
    query = latents[index].astype(np.float64)
    d2 = ((latents.astype(np.float64) - query) ** 2).sum(axis=1)
    d2[index] = np.inf
    part = np.argpartition(d2, k - 1)[:k]
    return part[np.lexsort((part, d2[part]))]


def next_control_point(point_indices: list[int | None], selected: int | None, step: int) -> int | None:
    """Which control point (a position in the path) follows the selected data-set point `step`
    places along the walk: from a point not on the path, the first (step > 0) or the last."""
    count = len(point_indices)
    if count == 0:
        return None
    if selected is not None and selected in point_indices:
        return min(count - 1, max(0, point_indices.index(selected) + step))
    return 0 if step > 0 else count - 1
