"""Exact k nearest training points of any latent, in the model's full latent space.

Two structures, chosen by the latent width (bench/bench_neighbors.py measured both, and scipy's cKDTree
for reference, at 60k and 1M points):
- `grid` (d <= 3): points sorted by the id of a cubic cell whose size puts a few points in the median
  point's cell. A query gathers the cube of cells around it (runs along the last axis are contiguous,
  found with searchsorted), widens the cube until it holds k points, then until it provably holds every
  point nearer than the k-th. About 0.1 ms at 60k and at 1M points, instead of a pass over every point.
- `blocked` (d > 3): a grid would visit 3^d cells, so every point is scored with ||x||^2 - 2 x.q in
  float32 (one matrix product per block of queries, the block sized to keep the score table at 16 MiB),
  the k-th score is found by partition, and every point whose score is within twice the float32 error
  bound of it is rescored exactly.

Either way the answer is exact: the final distances are computed in float64 from the stored float32
points, and ties are broken by the smaller index, so it equals a float64 brute force over all points.
Queries that are not finite or of the wrong width are refused with a one-line NeighborsError.
"""
from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from typing import Callable

import numpy as np

from latentwalk.vae.errors import VaeError

GRID_MAX_DIM = 3
CELL_TARGET = 4  # points in the median point's cell: r=1 cubes then hold ~27x that, enough for k=10
MAX_CELLS_PER_AXIS = 1 << 20  # cell ids stay far inside int64 for d <= 3
BLOCK_ELEMENTS = 1 << 22  # queries x rows scored at once by the blocked search (16 MiB of float32)
_F32_UNIT = 2.0 ** -24


class NeighborsError(VaeError):
    """A neighbour query that cannot be answered (wrong width, NaN/Inf, bad k or index)."""


@dataclass(frozen=True)
class Neighbors:
    """The k nearest points, nearest first: data-set indices and Euclidean distances."""
    indices: np.ndarray  # int64 (k,)
    distances: np.ndarray  # float64 (k,)

    def __len__(self) -> int:
        return len(self.indices)


def squared_distances(points: np.ndarray, query: np.ndarray) -> np.ndarray:
    """float64 squared distances of `points` (M, d) to `query` (d,), summed in a fixed column order."""
    diff = points.astype(np.float64) - query
    total = diff[:, 0] * diff[:, 0]
    for column in range(1, diff.shape[1]):
        total += diff[:, column] * diff[:, column]
    return total


def _nearest_of(candidates: np.ndarray, squared: np.ndarray, k: int) -> Neighbors:
    """The k smallest of `squared` (distance, then index order) among data-set `candidates`."""
    if len(candidates) > 4 * k:
        keep = squared <= np.partition(squared, k - 1)[k - 1]  # ties with the k-th all stay
        candidates, squared = candidates[keep], squared[keep]
    order = np.lexsort((candidates, squared))[:k]
    return Neighbors(candidates[order].astype(np.int64), np.sqrt(squared[order]))


def brute_force(latents: np.ndarray, query: np.ndarray, k: int) -> Neighbors:
    """Every point scored exactly: the reference answer (and the fallback for far-away queries)."""
    squared = squared_distances(latents, np.asarray(query, dtype=np.float64))
    return _nearest_of(np.arange(len(latents)), squared, min(k, len(latents)))


class _GridSearch:
    name = "grid"

    def __init__(self, latents: np.ndarray) -> None:
        points = latents.astype(np.float64)
        self.low = points.min(axis=0)
        span = points.max(axis=0) - self.low
        self.cell = self._cell_size(points, span)
        self.shape = np.where(span > 0, np.floor(span / self.cell).astype(np.int64) + 1, 1)
        self.strides = np.cumprod(np.r_[1, self.shape[:0:-1]])[::-1].astype(np.int64)
        ids = self._ids(points)
        order = np.argsort(ids, kind="stable")
        self.sorted_ids = ids[order]
        self.order = order.astype(np.int32 if len(order) < 2 ** 31 else np.int64)
        self.points = np.ascontiguousarray(latents[order])
        # Cell assignment rounds; a point may sit this far outside its cell, far above float64 error.
        self.slack = 1e-9 * (float(np.abs(points).max()) + self.cell)
        self.max_runs = max(64, len(latents) // 16)
        del points

    def _ids(self, points: np.ndarray, cell: float | None = None, shape: np.ndarray | None = None) -> np.ndarray:
        cell = self.cell if cell is None else cell
        shape = self.shape if shape is None else shape
        strides = np.cumprod(np.r_[1, shape[:0:-1]])[::-1].astype(np.int64)
        cells = np.floor((points - self.low) / cell).astype(np.int64)
        np.clip(cells, 0, shape - 1, out=cells)
        return cells @ strides

    def _cell_size(self, points: np.ndarray, span: np.ndarray) -> float:
        if not (span > 0).any():
            return 1.0
        floor = float(span.max()) / (MAX_CELLS_PER_AXIS - 1)
        extent = np.where(span > 0, span, 0.0)
        volume = float(np.prod(extent[extent > 0]))
        occupied_dims = int((span > 0).sum())
        cell = max(floor, (volume * CELL_TARGET / len(points)) ** (1.0 / occupied_dims))
        if not math.isfinite(cell):  # extents near the float64 limit: start from the coarsest grid
            cell = float(span.max())
        sample = points if len(points) <= 200_000 else points[:: len(points) // 200_000]
        for _ in range(3):  # density is uneven (Gaussian latents): fit the median point's cell instead
            shape = np.where(span > 0, np.floor(span / cell).astype(np.int64) + 1, 1)
            _, counts = np.unique(self._ids(sample, cell, shape), return_counts=True)
            per_point = np.repeat(counts, counts)
            median = float(np.median(per_point)) * len(points) / len(sample)
            cell = max(floor, cell * (CELL_TARGET / max(median, 1e-9)) ** (1.0 / occupied_dims))
        return cell

    def query(self, query: np.ndarray, k: int) -> Neighbors:
        offset = (query - self.low) / self.cell
        if not np.all(np.abs(offset) < 2.0 ** 40):
            return self._everything(query, k)
        center = np.floor(offset).astype(np.int64)
        last = self.shape - 1
        radius = int(max(0, (-center).max(), (center - last).max()))  # first cube touching the grid
        whole = int(np.maximum(center, last - center).max())  # a cube this wide holds every cell
        while radius < whole:
            positions = self._gather(center, radius)
            if positions is None:
                break
            if len(positions) >= k:
                squared = squared_distances(self.points[positions], query)
                kth = math.sqrt(float(np.partition(squared, k - 1)[k - 1]))
                if kth + self.slack <= self._covered(query, center, radius):
                    return _nearest_of(self.order[positions].astype(np.int64), squared, k)
                radius = max(radius + 1, math.ceil((kth + self.slack) / self.cell))
            else:
                radius += max(1, radius)
        return self._everything(query, k)

    def _everything(self, query: np.ndarray, k: int) -> Neighbors:
        return _nearest_of(self.order.astype(np.int64), squared_distances(self.points, query), k)

    def _gather(self, center: np.ndarray, radius: int) -> np.ndarray | None:
        low = np.maximum(center - radius, 0)
        high = np.minimum(center + radius, self.shape - 1)
        if int(np.prod(high[:-1] - low[:-1] + 1)) > self.max_runs:
            return None  # a cube this wide costs more than scoring everything
        rows = np.zeros(1, dtype=np.int64)
        for axis in range(len(center) - 1):
            rows = (rows[:, None] + np.arange(low[axis], high[axis] + 1) * self.strides[axis]).ravel()
        starts = np.searchsorted(self.sorted_ids, rows + low[-1], side="left")
        ends = np.searchsorted(self.sorted_ids, rows + high[-1], side="right")
        lengths = ends - starts
        total = int(lengths.sum())
        if total == 0:
            return np.empty(0, dtype=np.int64)
        # Concatenated ranges without a Python loop: a running index that jumps at each run's start.
        steps = np.ones(total, dtype=np.int64)
        nonempty = lengths > 0
        run_starts, run_lengths = starts[nonempty], lengths[nonempty]
        heads = np.cumsum(run_lengths)[:-1]
        steps[0] = run_starts[0]
        steps[heads] = run_starts[1:] - (run_starts[:-1] + run_lengths[:-1] - 1)
        return np.cumsum(steps)

    def _covered(self, query: np.ndarray, center: np.ndarray, radius: int) -> float:
        """Every point outside the cube is at least this far from `query` (grid edges are open)."""
        below = np.where(center - radius <= 0, np.inf, query - (self.low + (center - radius) * self.cell))
        above = np.where(center + radius >= self.shape - 1, np.inf,
                         self.low + (center + radius + 1) * self.cell - query)
        return float(min(below.min(), above.min()))

    @property
    def nbytes(self) -> int:
        return self.sorted_ids.nbytes + self.order.nbytes + self.points.nbytes


class _BlockedSearch:
    name = "blocked"

    def __init__(self, latents: np.ndarray) -> None:
        self.latents = latents
        self.mean = latents.mean(axis=0, dtype=np.float64)
        # Scores are taken around the mean: smaller norms, so a smaller float32 error band.
        self.centered = np.empty_like(latents)
        self.norms = np.empty(len(latents), dtype=np.float32)
        rows = max(1, BLOCK_ELEMENTS // latents.shape[1])
        for start in range(0, len(latents), rows):  # in blocks: no float64 copy of everything
            self.centered[start:start + rows] = latents[start:start + rows] - self.mean
            block = self.centered[start:start + rows].astype(np.float64)
            self.norms[start:start + rows] = np.einsum("ij,ij->i", block, block)
        self.max_norm = math.sqrt(float(self.norms.max()))
        # One query at a time reuses two N-long buffers: fresh 4 MB arrays per query cost page faults.
        self._buffers: tuple[np.ndarray, np.ndarray] | None = None
        self._lock = threading.Lock()

    def query(self, query: np.ndarray, k: int) -> Neighbors:
        with self._lock:
            if self._buffers is None:
                self._buffers = (np.empty((1, len(self.latents)), np.float32),
                                 np.empty(len(self.latents), np.float32))
            return self._score(query[None, :], k, *self._buffers)[0]

    def query_many(self, queries: np.ndarray, k: int) -> list[Neighbors]:
        """Many (Q, d) queries: one matrix product per block of queries."""
        chunk = max(1, BLOCK_ELEMENTS // len(self.latents))
        found: list[Neighbors] = []
        for start in range(0, len(queries), chunk):
            block = queries[start:start + chunk]
            found += self._score(block, k, np.empty((len(block), len(self.latents)), np.float32), None)
        return found

    def _score(self, queries: np.ndarray, k: int, scores: np.ndarray, work: np.ndarray | None) -> list[Neighbors]:
        centered = queries - self.mean
        np.matmul(centered.astype(np.float32), self.centered.T, out=scores)
        scores *= -2.0
        scores += self.norms
        # |score - (true squared distance - |q|^2)| <= error: one float32 dot of d terms, two adds.
        error = 2.0 * (self.centered.shape[1] + 4) * _F32_UNIT * (self.max_norm + np.linalg.norm(centered, axis=1)) ** 2
        found = []
        for row, query in enumerate(queries):
            if work is None:
                work = np.empty(scores.shape[1], np.float32)
            np.copyto(work, scores[row])
            work.partition(k - 1)
            candidates = np.flatnonzero(scores[row] <= float(work[k - 1]) + 2.0 * error[row])
            squared = squared_distances(self.latents[candidates], query)
            found.append(_nearest_of(candidates, squared, k))
        return found

    @property
    def nbytes(self) -> int:
        held = self.centered.nbytes + self.norms.nbytes
        return held + (0 if self._buffers is None else sum(buffer.nbytes for buffer in self._buffers))


class NeighborIndex:
    """Exact k nearest neighbours over `latents` (N, d), float32, finite (a bundle's latents)."""

    def __init__(self, latents: np.ndarray, structure: str = "auto") -> None:
        latents = np.ascontiguousarray(latents, dtype=np.float32)
        if latents.ndim != 2 or len(latents) == 0 or latents.shape[1] == 0:
            raise NeighborsError(f"latents of shape {latents.shape}: expected a non-empty (N, d) array")
        if not np.isfinite(latents).all():
            raise NeighborsError("latents contain NaN or Inf")
        if structure == "auto":
            structure = "grid" if latents.shape[1] <= GRID_MAX_DIM else "blocked"
        if structure not in ("grid", "blocked"):
            raise ValueError(f"unknown structure {structure!r}")
        if structure == "grid" and latents.shape[1] > GRID_MAX_DIM:
            raise ValueError(f"the grid structure serves at most {GRID_MAX_DIM} dimensions")
        self.latents = latents
        self._search = _GridSearch(latents) if structure == "grid" else _BlockedSearch(latents)

    @property
    def structure(self) -> str:
        return self._search.name

    @property
    def size(self) -> int:
        return len(self.latents)

    @property
    def dim(self) -> int:
        return self.latents.shape[1]

    @property
    def nbytes(self) -> int:
        """Memory the index holds beyond the latents it was given."""
        return self._search.nbytes

    def check_query(self, latent) -> np.ndarray:
        """`latent` as a float64 (d,) array, or a one-line NeighborsError saying what is wrong with it."""
        try:
            point = np.asarray(latent, dtype=np.float64)
        except (TypeError, ValueError):
            raise NeighborsError(f"latent {latent!r} is not a list of numbers") from None
        if point.ndim != 1 or len(point) != self.dim:
            raise NeighborsError(f"latent has {point.size} value{'s' * (point.size != 1)}, "
                                 f"the model's latent space has {self.dim}")
        if not np.isfinite(point).all():
            raise NeighborsError("latent contains NaN or Inf")
        return point

    def check_k(self, k) -> int:
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
            raise NeighborsError(f"k must be a whole number of at least 1, got {k!r}")
        return min(int(k), self.size)

    def query(self, latent, k: int = 10) -> Neighbors:
        """The k nearest points of `latent` (fewer when the data set is smaller), nearest first."""
        return self._search.query(self.check_query(latent), self.check_k(k))

    def query_many(self, latents, k: int = 10) -> list[Neighbors]:
        """The k nearest points of each row of `latents` (Q, d)."""
        try:
            points = np.asarray(latents, dtype=np.float64)
        except (TypeError, ValueError):
            raise NeighborsError("latents are not a table of numbers") from None
        if points.ndim != 2 or points.shape[1] != self.dim:
            raise NeighborsError(f"latents of shape {points.shape}: expected (Q, {self.dim})")
        if not np.isfinite(points).all():
            raise NeighborsError("latents contain NaN or Inf")
        k = self.check_k(k)
        if isinstance(self._search, _BlockedSearch):
            return self._search.query_many(points, k)
        return [self._search.query(point, k) for point in points]

    def query_index(self, index: int, k: int = 10) -> Neighbors:
        """The k nearest points of data-set point `index`, that point itself first (distance 0),
        even where an identical point with a smaller index exists."""
        if isinstance(index, bool) or not isinstance(index, (int, np.integer)) or not 0 <= index < self.size:
            raise NeighborsError(f"index {index!r} is out of range: the data set has {self.size} points (0..{self.size - 1})")
        k = self.check_k(k)
        found = self._search.query(self.latents[index].astype(np.float64), k)
        others = found.indices != index
        indices = np.r_[index, found.indices[others]][:k]
        distances = np.r_[0.0, found.distances[others]][:k]
        return Neighbors(indices.astype(np.int64), distances)


class PendingIndex:
    """A NeighborIndex being built on a daemon thread (the build is numpy sorting and products, which
    release the GIL, so the render loop keeps its frames). `index` is None until it is ready; a build
    that fails leaves a one-line `error` instead of raising."""

    def __init__(self, latents: np.ndarray, on_ready: Callable[["PendingIndex"], None] | None = None) -> None:
        self.latents = latents
        self.index: NeighborIndex | None = None
        self.error: str | None = None
        self._done = threading.Event()
        self._on_ready = on_ready
        self._thread = threading.Thread(target=self._build, name="neighbour-index", daemon=True)
        self._thread.start()

    def _build(self) -> None:
        try:
            self.index = NeighborIndex(self.latents)
        except Exception as exc:  # reported as a value: a worker never takes the render loop down
            text = str(exc).strip()
            self.error = f"neighbour index: {text.splitlines()[0] if text else type(exc).__name__}"
        finally:
            self._done.set()
            if self._on_ready is not None:
                self._on_ready(self)

    @property
    def ready(self) -> bool:
        return self._done.is_set()

    def wait(self, timeout: float | None = None) -> bool:
        """True once the build has finished (or failed) within `timeout` seconds."""
        return self._done.wait(timeout)
