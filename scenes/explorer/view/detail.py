"""Adaptive detail for big clouds (pure numpy, no GL): which points a frame draws while the view moves,
and how the rest arrive once it stops.

- `stratified_order`: a draw order made once per model (in a background thread, `OrderBuilder`) such
  that every prefix of it looks like the whole cloud. Within each class the points are laid along a
  Morton (Z-order) curve over the cloud's box and ranked by the van der Corput radical inverse of their
  place on it, so any prefix takes every class in proportion and spreads along the curve, i.e. over
  space; a random jitter (seeded) interleaves the classes. The cloud uploads its points in this order
  once, so "the first k" is a GPU buffer prefix and a subset costs nothing to choose.
- `DetailController`: how many points a moving frame draws, sized from the frame times it is shown so
  the frame rate holds the target (36 fps by default); `compensation` enlarges points drawn from a
  subset so the cloud's density reads the same.
- `Refinement`: at rest, the points not yet drawn go into the cached layer in chunks, frame by frame,
  sized so the whole cloud is there within `rest_deadline` (0.3 s at 60k, 1 s at 1M) while each frame
  stays short enough for input to answer.
"""
from __future__ import annotations

import math
import threading

import numpy as np

# The frame rate a moving view holds. It must be at least 30 at 60k points, and a million points must
# turn 10x faster than vispy's Markers, which draw them at 3.3 fps on a quiet
# llvmpipe (bench/results/peers.md): 33 fps. 36 keeps that with room for a noisy machine; at 60k
# every point is still drawn while turning (~20 ms a frame).
TARGET_FPS = 36.0
MORTON_BITS = 10  # per axis: 2^30 curve cells, finer than any cloud we draw
# The smallest subset a moving frame draws: below this the cloud stops reading as a cloud.
MIN_MOVING_POINTS = 20_000
# How far one frame's measurement may move the budget: a single slow frame (a decode, the GC) must
# not collapse it, while a first frame at 1M points (~400 ms here) must bring it down at once.
MIN_STEP, MAX_STEP = 0.1, 1.5
# A frame this far over the target cuts the budget at once; one closer to it cuts only when the frames
# around it agree (OVER_TARGET_FRAMES running), so a noisy frame (a UI redraw, the GC, another process
# taking the core for a slice: up to about twice the frame on a busy 2-core machine) does not trim a
# cloud that is drawn whole in time: at 60k that made turning slower, since a subset drawn larger
# (compensation) costs about as much fill as every point.
SLOW_FRAME = 2.5
OVER_TARGET_FRAMES = 3
# Growing the budget waits for GROW_FRAMES frames of the same size all under GROW_BELOW of the
# target (a high percentile of them, not their mean, has room) and grows by at most GROW_STEP: a
# controller chasing the mean on a busy machine grows into the next slow frame, cuts, and grows
# again, and every swing shows as a frame far from the median.
GROW_FRAMES = 4
GROW_BELOW = 0.9
GROW_STEP = 1.25
# Before any frame time is known (a model's first frames): what any machine draws quickly enough.
INITIAL_POINTS = 250_000
# Refining may draw more per frame than a moving frame to meet the deadline, but not without bound.
MAX_CHUNK_PER_BUDGET = 4
# The schedule plans to finish by this share of the deadline: a frame slower than planned (a decode,
# the OS) then still lands inside it.
PLANNED_SHARE = 0.75


def _spread_bits(values: np.ndarray) -> np.ndarray:
    """10-bit integers -> their bits at every third position (the Morton interleave's step)."""
    v = values.astype(np.uint32)
    v = (v | (v << 16)) & np.uint32(0x030000FF)
    v = (v | (v << 8)) & np.uint32(0x0300F00F)
    v = (v | (v << 4)) & np.uint32(0x030C30C3)
    v = (v | (v << 2)) & np.uint32(0x09249249)
    return v


def morton_codes(positions: np.ndarray, bits: int = MORTON_BITS) -> np.ndarray:
    """uint32 Z-order code of each point on a 2^bits grid per axis over the cloud's box (outliers
    beyond the 0.1 / 99.9 percentiles clamp to the edge so they do not squash everyone else)."""
    positions = np.asarray(positions, np.float32)
    codes = np.zeros(len(positions), np.uint32)
    if not len(positions):
        return codes
    top = (1 << bits) - 1
    for axis in range(positions.shape[1]):
        column = positions[:, axis]
        lo, hi = np.percentile(column, (0.1, 99.9))
        scale = top / (hi - lo) if hi > lo else 0.0
        cell = np.clip((column - lo) * scale, 0, top).astype(np.uint32)
        codes |= _spread_bits(cell) << np.uint32(axis)
    return codes


def radical_inverse(indices: np.ndarray) -> np.ndarray:
    """Van der Corput sequence in base 2: the bits of each uint32 reversed, as a float in [0, 1).
    Its first n values are spread evenly over [0, 1) for every n, which makes prefixes representative."""
    v = indices.astype(np.uint32)
    v = ((v >> 1) & np.uint32(0x55555555)) | ((v & np.uint32(0x55555555)) << 1)
    v = ((v >> 2) & np.uint32(0x33333333)) | ((v & np.uint32(0x33333333)) << 2)
    v = ((v >> 4) & np.uint32(0x0F0F0F0F)) | ((v & np.uint32(0x0F0F0F0F)) << 4)
    v = ((v >> 8) & np.uint32(0x00FF00FF)) | ((v & np.uint32(0x00FF00FF)) << 8)
    v = (v >> 16) | (v << 16)
    return v.astype(np.float64) / 2.0 ** 32


def stratified_order(positions: np.ndarray, labels: np.ndarray, *, seed: int = 0) -> np.ndarray:
    """A permutation (uint32, draw slot -> point index) whose every prefix is a representative subset:
    class proportions and spatial spread as in the whole cloud (module docstring)."""
    count = len(positions)
    if count == 0:
        return np.zeros(0, np.uint32)
    rng = np.random.default_rng(seed)
    labels = np.asarray(labels).astype(np.int64, copy=False)
    codes = morton_codes(positions)
    # by class, then along the curve, then at random (so equal codes do not keep file order): one
    # 64-bit key, label | 30-bit code | 17 random bits, and one quicksort (a lexsort took 5x longer)
    if len(labels) and (labels.min() < 0 or labels.max() >= 1 << 17):
        shuffled = rng.permutation(count)
        along = shuffled[np.lexsort((codes[shuffled], labels[shuffled]))]
    else:
        key = labels.astype(np.uint64) << np.uint64(47)
        key |= codes.astype(np.uint64) << np.uint64(17)
        key |= rng.integers(0, 1 << 17, count, dtype=np.uint64)
        along = np.argsort(key)
        del key
    del codes
    sorted_labels = labels[along]
    starts = np.searchsorted(sorted_labels, sorted_labels, side="left")
    rank = np.arange(count, dtype=np.int64) - starts  # place on the curve within its class
    del starts
    sizes = np.bincount(sorted_labels)[sorted_labels]
    key = radical_inverse(rank)
    # jitter below the sequence's spacing within a class (>= 1 / 2^ceil(log2 size)): order inside a
    # class is kept, classes interleave at random
    spacing = 1.0 / np.exp2(np.ceil(np.log2(np.maximum(sizes, 1))))
    key += rng.random(count) * spacing
    del rank, sizes, spacing, sorted_labels
    return along[np.argsort(key)].astype(np.uint32)  # keys are distinct: no stable sort needed


class OrderBuilder:
    """Computes `stratified_order` in a daemon thread (numpy's sorts release the GIL, so the render
    loop keeps its frames); the main thread polls `result()` once a frame."""

    def __init__(self, positions: np.ndarray, labels: np.ndarray, *, seed: int = 0) -> None:
        self._result: np.ndarray | None = None
        self.error: BaseException | None = None
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(positions, labels, seed), name="draw-order",
                                        daemon=True)
        self._thread.start()

    def _run(self, positions, labels, seed) -> None:
        try:
            self._result = stratified_order(positions, labels, seed=seed)
        except Exception as exc:  # the cloud then keeps drawing every point: never worse than before
            self.error = exc
        finally:
            self._done.set()

    @property
    def done(self) -> bool:
        return self._done.is_set()

    def result(self) -> np.ndarray | None:
        return self._result if self._done.is_set() else None

    def wait(self, timeout: float = 30.0) -> np.ndarray | None:
        """Block until the order is ready (tests, benches and offline rendering; never the live loop)."""
        self._done.wait(timeout)
        return self._result


def rest_deadline(total: int) -> float:
    """Seconds from rest to full detail: 0.3 s up to 60k points, 1 s from 1M, log-linear between."""
    if total <= 60_000:
        return 0.3
    if total >= 1_000_000:
        return 1.0
    share = math.log(total / 60_000) / math.log(1_000_000 / 60_000)
    return 0.3 + 0.7 * share


def compensation(drawn: int, total: int, *, limit: float = 2.0) -> float:
    """Point size factor for a subset of `drawn` of `total` points: the area a point covers grows by
    total / drawn, so screen coverage (how dense the cloud reads) stays as with every point; capped,
    since big points blur the shapes more than sparse ones do."""
    if drawn <= 0 or drawn >= total:
        return 1.0
    return min(limit, math.sqrt(total / drawn))


class DetailController:
    """The moving-frame budget: points per frame that hold `target_fps`, learnt from frame times.

    The model is multiplicative: a frame that drew k points in t ms suggests k * target / t next time
    (limited per frame by MIN_STEP / MAX_STEP). It cuts on a frame far over the target or on a run of
    frames over it, and grows only on a run of frames all well under it, by a damped step (GROW_*):
    between the two it holds still, so jitter on a busy machine moves the frame time, not the budget."""

    def __init__(self, total: int, *, target_fps: float = TARGET_FPS, min_points: int = MIN_MOVING_POINTS,
                 fixed: int | None = None) -> None:
        self.total = int(total)
        self.target_fps = float(target_fps)
        self.min_points = min(self.total, int(min_points))
        self.fixed = fixed  # a set budget (tests, benches): measurements then change nothing
        self.budget = min(self.total, max(self.min_points, INITIAL_POINTS))  # small clouds never drop a point
        self.last_frame_ms = 0.0
        self._over: list[float] = []  # the latest run of same-sized frames a little over the target (ms)
        self._over_drawn = 0  # the points each of them drew
        self._under: list[float] = []  # the latest run of same-sized frames of the budget under the target

    @property
    def target_ms(self) -> float:
        return 1000.0 / self.target_fps

    def moving_count(self) -> int:
        budget = self.budget if self.fixed is None else self.fixed
        return int(min(self.total, max(self.min_points, budget)))

    def observe(self, frame_ms: float, drawn: int) -> None:
        """A frame that drew `drawn` points (a moving frame, or a refinement chunk) took `frame_ms`."""
        self.last_frame_ms = frame_ms
        if drawn <= 0 or not frame_ms > 0 or not math.isfinite(frame_ms):
            return
        step = min(MAX_STEP, max(MIN_STEP, self.target_ms / frame_ms))
        if step < 1.0:
            self._under.clear()
            if frame_ms < SLOW_FRAME * self.target_ms:
                if drawn != self._over_drawn:  # a moving frame and a refinement chunk are no run
                    self.forget_run()
                self._over.append(frame_ms)
                self._over_drawn = drawn
                if len(self._over) < OVER_TARGET_FRAMES:
                    return
                step = self.target_ms / sorted(self._over)[len(self._over) // 2]  # their median
            self.forget_run()
            suggested = drawn * step  # too slow: cut at once, the user feels every slow frame
        else:
            self._over.clear()
            self._over_drawn = 0
            if drawn < self.budget:
                return  # a chunk smaller than the budget says nothing about the budget's cost
            if drawn != self.budget:
                self._under.clear()
            self._under.append(frame_ms)
            if len(self._under) < GROW_FRAMES:
                return
            slowest = max(self._under[-GROW_FRAMES:])
            self._under.clear()
            if slowest >= GROW_BELOW * self.target_ms:
                return  # close enough: holding still is steadier than chasing the last few percent
            # fast enough: grow gently from the slowest of them, overshoot costs a slow frame
            suggested = drawn * min(GROW_STEP, (self.target_ms / slowest) ** 0.5)
        self.budget = int(min(self.total, max(self.min_points, suggested)))

    def forget_run(self) -> None:
        """Frames seen so far no longer count as a run (the view rested between)."""
        self._over.clear()
        self._over_drawn = 0
        self._under.clear()


class Refinement:
    """Progress of the points drawn into the cached layer at rest, as a prefix of the draw order."""

    def __init__(self, total: int, *, target_fps: float = TARGET_FPS) -> None:
        self.total = int(total)
        self.target_fps = target_fps
        self.drawn = 0
        self.started = 0.0
        self.finished_after: float | None = None  # seconds from rest to full detail, once there

    @property
    def complete(self) -> bool:
        return self.drawn >= self.total

    def restart(self, drawn: int, now: float) -> None:
        """The view came to rest with the layer holding the first `drawn` points."""
        self.drawn = int(min(self.total, drawn))
        self.started = now
        self.finished_after = 0.0 if self.complete else None

    def next_chunk(self, budget: int, now: float) -> tuple[int, int]:
        """(first, count) of the points to add this frame: at least a moving frame's worth, more when
        the deadline needs it (up to MAX_CHUNK_PER_BUDGET times that)."""
        remaining = self.total - self.drawn
        if remaining <= 0:
            return self.drawn, 0
        time_left = PLANNED_SHARE * rest_deadline(self.total) - (now - self.started)
        frames_left = max(1.0, time_left * self.target_fps)
        wanted = math.ceil(remaining / frames_left)
        count = int(min(remaining, max(budget, min(wanted, MAX_CHUNK_PER_BUDGET * max(1, budget)))))
        return self.drawn, count

    def advance(self, count: int, now: float) -> None:
        self.drawn = min(self.total, self.drawn + int(count))
        if self.complete and self.finished_after is None:
            self.finished_after = now - self.started

