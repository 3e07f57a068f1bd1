"""The walk being edited: control points, curve settings, the curve built from them, and the traversal.

Pure state, no GL and no ImGui, so every edit is tested directly. Views (the curve drawing, the
filmstrip) compare `version` with the one they last saw and rebuild only when it changed.

Decisions:
- A control point is a `session.ControlPoint`: a data-set index or typed coordinates. Indices are
  resolved through the current model's latents when the curve is built, so a session stores indices.
- The curve is rebuilt lazily, on first use after a change; with no control points there is no curve
  and the traversal has `curve=None` (every traversal method still works then).
- Switching models keeps the points only when they still make sense: indices in range and typed
  coordinates of the new width; otherwise the list is cleared (and `set_latents` says so).
"""
from __future__ import annotations

import math
import re
from typing import Iterable

import numpy as np

from latentwalk.scenes.errors import SceneError
from latentwalk.scenes.explorer.walk.curve import KINDS, Curve
from latentwalk.scenes.explorer.session.session import (CameraView, ControlPoint, CurveSettings, PlaybackState, Session)
from latentwalk.scenes.explorer.walk.traversal import DEFAULT_STEPS, MIN_STEPS, Traversal

_SEPARATORS = re.compile(r"[\s,;]+")


def parse_coordinates(text: str, dim: int, what: str = "typed coordinates",
                      space: str = "the latent space") -> tuple[float, ...]:
    """'0.1, -2 3e-1' -> floats; SceneError (one line, starting with `what`) unless there are exactly
    `dim` finite numbers, as many as `space` has."""
    tokens = [t for t in _SEPARATORS.split(text.strip().strip("[]()")) if t]
    if not tokens:
        raise SceneError(f"{what}: nothing entered (expected {dim} numbers)")
    values = []
    for position, token in enumerate(tokens):
        try:
            value = float(token)
        except ValueError:
            raise SceneError(f"{what}: {token!r} (number {position + 1}) is not a number") from None
        if not math.isfinite(value):
            raise SceneError(f"{what}: number {position + 1} is {token!r}, not finite")
        values.append(value)
    if len(values) != dim:
        raise SceneError(f"{what}: got {len(values)} numbers, {space} has {dim}")
    return tuple(values)


class WalkPath:
    """Control points + curve settings -> a lazily built `Curve`, walked by `traversal`."""

    def __init__(self, latents: np.ndarray, *, kind: str = "catmull-rom", closed: bool = False,
                 steps: int = DEFAULT_STEPS) -> None:
        self._latents = self._checked_latents(latents)
        self._points: list[ControlPoint] = []
        self._kind = "catmull-rom"
        self._closed = bool(closed)
        self.traversal = Traversal(steps=steps)
        self.version = 0  # bumped on every change that alters the curve or its steps
        self._curve: Curve | None = None
        self._built_version = -1
        self.kind = kind

    # -- the model -------------------------------------------------------------------------------
    @staticmethod
    def _checked_latents(latents: np.ndarray) -> np.ndarray:
        array = np.asarray(latents)
        if array.ndim != 2 or array.shape[1] < 1:
            raise SceneError(f"latents must be an (N, d) array, got shape {array.shape}")
        return array

    @property
    def dim(self) -> int:
        return int(self._latents.shape[1])

    @property
    def n_points(self) -> int:
        return int(self._latents.shape[0])

    def set_latents(self, latents: np.ndarray) -> bool:
        """Another model's points. Returns True when the control points survived, False if cleared."""
        latents = self._checked_latents(latents)
        keep = all(_fits(p, len(latents), latents.shape[1]) for p in self._points)
        self._latents = latents
        if not keep:
            self._points.clear()
        self._changed()
        return keep

    # -- control points --------------------------------------------------------------------------
    @property
    def points(self) -> tuple[ControlPoint, ...]:
        return tuple(self._points)

    def __len__(self) -> int:
        return len(self._points)

    def latent_of(self, point: ControlPoint) -> np.ndarray:
        if point.index is not None:
            return np.asarray(self._latents[point.index], dtype=np.float64)
        return np.asarray(point.coords, dtype=np.float64)

    def control_latents(self) -> np.ndarray:
        """(K, d) float64 latent vectors of the control points, in order."""
        if not self._points:
            return np.zeros((0, self.dim))
        return np.stack([self.latent_of(p) for p in self._points])

    def add_index(self, index: int, position: int | None = None) -> int:
        """Add data-set point `index` (at the end, or before `position`); returns where it went."""
        if isinstance(index, bool) or not isinstance(index, (int, np.integer)):
            raise SceneError(f"control point index must be an integer, got {index!r}")
        if not 0 <= int(index) < self.n_points:
            raise SceneError(f"control point index {index} is out of range: the model has {self.n_points} points")
        return self._insert(ControlPoint(index=int(index)), position)

    def add_coords(self, coords: Iterable[float], position: int | None = None) -> int:
        """Add a typed latent coordinate (width d, finite); returns where it went."""
        values = np.asarray(list(coords), dtype=np.float64)
        if values.ndim != 1 or len(values) != self.dim:
            raise SceneError(f"typed coordinates: got {values.size} numbers, the latent space has {self.dim}")
        if not np.all(np.isfinite(values)):
            raise SceneError("typed coordinates: every number must be finite")
        return self._insert(ControlPoint(coords=tuple(values.tolist())), position)

    def _insert(self, point: ControlPoint, position: int | None) -> int:
        where = len(self._points) if position is None else min(max(0, int(position)), len(self._points))
        self._points.insert(where, point)
        self._changed()
        return where

    def remove(self, position: int) -> ControlPoint:
        point = self._points.pop(self._position(position))
        self._changed()
        return point

    def move(self, position: int, offset: int) -> int:
        """Move a point `offset` places (negative: earlier), clamped to the list; returns its new place."""
        source = self._position(position)
        target = min(max(0, source + int(offset)), len(self._points) - 1)
        if target != source:
            self._points.insert(target, self._points.pop(source))
            self._changed()
        return target

    def move_up(self, position: int) -> int:
        return self.move(position, -1)

    def move_down(self, position: int) -> int:
        return self.move(position, +1)

    def clear(self) -> None:
        if self._points:
            self._points.clear()
            self._changed()

    def _position(self, position: int) -> int:
        if not -len(self._points) <= int(position) < len(self._points):
            raise SceneError(f"no control point {position} (the path has {len(self._points)})")
        return int(position) % len(self._points)

    # -- curve settings --------------------------------------------------------------------------
    @property
    def kind(self) -> str:
        return self._kind

    @kind.setter
    def kind(self, value: str) -> None:
        if value not in KINDS:
            raise SceneError(f"unknown curve kind {value!r} (expected one of {', '.join(KINDS)})")
        if value != self._kind:
            self._kind = value
            self._changed()

    @property
    def closed(self) -> bool:
        return self._closed

    @closed.setter
    def closed(self, value: bool) -> None:
        if bool(value) != self._closed:
            self._closed = bool(value)
            self._changed()

    @property
    def steps(self) -> int:
        return self.traversal.steps

    @steps.setter
    def steps(self, value: int) -> None:
        if value != self.traversal.steps:
            self.traversal.steps = value  # validates
            self._changed()

    def restore_edit(self, points, kind: str, closed: bool, steps: int) -> None:
        """Go back to an earlier edit (undo / redo): points, interpolation, closure and steps at once."""
        if kind not in KINDS:
            raise SceneError(f"unknown curve kind {kind!r} (expected one of {', '.join(KINDS)})")
        self.traversal.steps = steps  # validates
        self._points = list(points)
        self._kind, self._closed = kind, bool(closed)
        self._changed()

    def _changed(self) -> None:
        self.version += 1

    # -- the curve -------------------------------------------------------------------------------
    @property
    def curve(self) -> Curve | None:
        """The curve through the control points (None without any), rebuilt after a change."""
        if self._built_version != self.version:
            self._curve = (Curve(self.control_latents(), kind=self._kind, closed=self._closed)
                           if self._points else None)
            self._built_version = self.version
            self.traversal.curve = self._curve
        return self._curve

    def update(self, dt: float) -> None:
        """One fixed step of playback."""
        self.curve  # noqa: B018 -- an edit made since the last step must be walked, not the old curve
        self.traversal.update(dt)

    def current_latent(self) -> np.ndarray | None:
        """The latent vector at the traversal's position, or None without a curve."""
        curve = self.curve
        return None if curve is None else curve.at(self.traversal.t)

    def step_latents(self) -> np.ndarray | None:
        """(steps, d) latent vectors of the filmstrip's steps, or None without a curve."""
        curve = self.curve
        return None if curve is None else curve.sample(self.traversal.steps)

    # -- sessions --------------------------------------------------------------------------------
    def to_session(self, model: str, camera: CameraView | None = None,
                   highlighted_classes: Iterable[int] = ()) -> Session:
        traversal = self.traversal
        return Session(
            model=model,
            control_points=list(self._points),
            curve=CurveSettings(kind=self._kind, closed=self._closed, steps=traversal.steps),
            camera=camera or CameraView(),
            highlighted_classes=[int(c) for c in highlighted_classes],
            traversal=PlaybackState(t=traversal.t, mode=traversal.mode, speed=traversal.speed,
                                    playing=traversal.playing),
        )

    def apply_session(self, session: Session) -> None:
        """Take the session's points, curve settings and traversal. Everything is checked against the
        current model before anything changes, so a refused session leaves the path as it was."""
        check_session(session, self.n_points, self.dim)
        settings, playback = session.curve, session.traversal
        self._points = list(session.control_points)
        self._kind, self._closed = settings.kind, bool(settings.closed)
        traversal = self.traversal
        traversal.steps, traversal.mode, traversal.speed = settings.steps, playback.mode, playback.speed
        traversal.seek(playback.t)
        traversal.playing = bool(playback.playing)
        self._changed()


def _fits(point: ControlPoint, n_points: int, dim: int) -> bool:
    if point.index is not None:
        return point.index < n_points
    return len(point.coords) == dim


def check_session(session: Session, n_points: int, dim: int) -> None:
    """SceneError (one line) unless the session's walk fits a model of n_points points in dim dimensions."""
    for position, point in enumerate(session.control_points):
        if not _fits(point, n_points, dim):
            what = (f"index {point.index} is out of range ({n_points} points)" if point.index is not None
                    else f"has {len(point.coords)} coordinates, the latent space has {dim}")
            raise SceneError(f"session control point {position} {what}")
    settings, playback = session.curve, session.traversal
    if settings.kind not in KINDS or settings.steps < MIN_STEPS:
        raise SceneError(f"session curve settings are invalid: {settings}")
    # The Traversal setters validate; try them on a scratch object so a failure changes nothing.
    Traversal(steps=settings.steps, mode=playback.mode, speed=playback.speed, t=playback.t)
