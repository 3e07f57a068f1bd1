"""Attract-mode tours: which points the walk goes through and how the camera moves, planned ahead.

Pure and seeded (no GL, no scene): `TourPlanner(labels, latents, ...).next()` gives the next `Tour`,
and `camera_at(tour, seconds)` the tour's camera motion at a time, so tests check plans directly.

Decisions:
- "classes": the walk visits `points` different classes in a shuffled order, each at a typical point
  of its class (one of the points nearest the class mean, so the decoded image reads as that class).
  "random": `points` random training points. "mixed" alternates the two.
- No two tours in a row alike: a tour differs from the one before in its points (a class tour also
  in its class order) and turns the other way round; a plan that matches is drawn again.
- The camera orbits at a steady rate (its sign alternating), bobs gently in pitch (a sine, so it never
  drifts over the pole) and moves in and out between `near` and 1 times the home distance. Tours
  start by easing in: the rates ramp up from 0 over `EASE_SECONDS` with a smoothstep, so taking over
  from a visitor (or from the tour before) never jerks the view.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

EASE_SECONDS = 3.0
TYPICAL_POOL = 12  # a class's typical point is drawn from this many points nearest its mean
MAX_REDRAWS = 20


@dataclass(frozen=True)
class Tour:
    number: int
    kind: str  # "classes" | "random"
    indices: tuple[int, ...]  # the walk's control points (data-set indices)
    classes: tuple[int, ...]  # each control point's class
    closed: bool
    seconds: float  # the walk from end to end
    orbit_rate: float  # radians per second of yaw, signed
    pitch_amplitude: float  # radians
    pitch_period: float  # seconds
    near: float  # closest distance, as a fraction of the home distance

    def alike(self, other: "Tour | None") -> bool:
        if other is None:
            return False
        same_points = set(self.indices) == set(other.indices)
        same_order = self.kind == other.kind == "classes" and self.classes == other.classes
        return same_points or same_order or math.copysign(1, self.orbit_rate) == math.copysign(1, other.orbit_rate)


@dataclass(frozen=True)
class TourCamera:
    """Where the tour's camera is `seconds` into a tour, relative to where it started."""
    yaw: float  # radians turned since the start
    pitch: float  # radians above the starting pitch
    distance_factor: float  # times the home distance
    ease: float  # 0 at the start, 1 once eased in


def smoothstep(x: float) -> float:
    x = min(1.0, max(0.0, x))
    return x * x * (3.0 - 2.0 * x)


def eased_time(seconds: float, ease_seconds: float = EASE_SECONDS) -> float:
    """The integral of smoothstep(t / ease_seconds) from 0 to `seconds`: how far a rate that ramps up
    with a smoothstep has carried something (exact, so a fixed step of any size agrees)."""
    if seconds <= 0.0:
        return 0.0
    if seconds >= ease_seconds:
        return ease_seconds / 2.0 + (seconds - ease_seconds)
    x = seconds / ease_seconds
    return ease_seconds * (x ** 3 - x ** 4 / 2.0)


def camera_at(tour: Tour, seconds: float, start_distance_factor: float = 1.0) -> TourCamera:
    ease = smoothstep(seconds / EASE_SECONDS)
    travelled = eased_time(seconds)
    pitch = tour.pitch_amplitude * math.sin(2.0 * math.pi * travelled / tour.pitch_period) * ease
    # in and out once per walk, from wherever the camera was when the tour began
    breathe = 0.5 - 0.5 * math.cos(2.0 * math.pi * min(1.0, seconds / tour.seconds))
    target = 1.0 - (1.0 - tour.near) * breathe
    distance = start_distance_factor + (target - start_distance_factor) * ease
    return TourCamera(tour.orbit_rate * travelled, pitch, distance, ease)


class TourPlanner:
    def __init__(self, labels: np.ndarray, latents: np.ndarray, *, style: str = "mixed", points: int = 5,
                 seconds: float = 40.0, orbit_degrees_per_second: float = 6.0, seed: int | None = None) -> None:
        if style not in ("classes", "random", "mixed"):
            raise ValueError(f"unknown tour style {style!r}")
        self.labels = np.asarray(labels)
        self.latents = np.asarray(latents, np.float32)
        if len(self.labels) == 0 or len(self.labels) != len(self.latents):
            raise ValueError("a tour needs labels and latents for the same, non-zero number of points")
        self.style = style
        self.points = max(2, int(points))
        self.seconds = float(seconds)
        self.orbit_rate = math.radians(orbit_degrees_per_second)
        self.rng = np.random.default_rng(seed)
        self.previous: Tour | None = None
        self.count = 0
        self._typical = self._typical_points()

    def _typical_points(self) -> dict[int, np.ndarray]:
        pools = {}
        for cls in np.unique(self.labels):
            members = np.flatnonzero(self.labels == cls)
            centre = self.latents[members].mean(axis=0)
            distances = np.linalg.norm(self.latents[members] - centre, axis=1)
            pools[int(cls)] = members[np.argsort(distances)[:TYPICAL_POOL]]
        return pools

    def _kind(self) -> str:
        if self.style != "mixed":
            return self.style
        if len(self._typical) < 2:
            return "random"
        return "classes" if self.count % 2 == 0 else "random"

    def next(self) -> Tour:
        kind = self._kind()
        orbit_sign = 1.0 if self.previous is None else -math.copysign(1.0, self.previous.orbit_rate)
        tour = None
        for _ in range(MAX_REDRAWS):
            tour = self._draw(kind, orbit_sign)
            if not tour.alike(self.previous):
                break
        self.previous = tour
        self.count += 1
        return tour

    def _draw(self, kind: str, orbit_sign: float) -> Tour:
        rng = self.rng
        if kind == "classes":
            classes = list(self._typical)
            order = [classes[i] for i in rng.permutation(len(classes))][:self.points]
            indices = [int(rng.choice(self._typical[cls])) for cls in order]
        else:
            count = min(self.points, len(self.labels))
            indices = [int(i) for i in rng.choice(len(self.labels), size=count, replace=False)]
        if len(indices) < 2:  # one class, or one point: walk there and back
            indices = indices + [int(rng.integers(len(self.labels)))]
        return Tour(number=self.count, kind=kind, indices=tuple(indices),
                    classes=tuple(int(self.labels[i]) for i in indices), closed=bool(rng.random() < 0.3),
                    seconds=self.seconds * float(rng.uniform(0.85, 1.15)),
                    orbit_rate=orbit_sign * self.orbit_rate * float(rng.uniform(0.8, 1.2)),
                    pitch_amplitude=math.radians(float(rng.uniform(6.0, 14.0))),
                    pitch_period=float(rng.uniform(14.0, 24.0)), near=float(rng.uniform(0.55, 0.8)))
