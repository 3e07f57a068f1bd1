"""A curve through control points in the full latent space, re-parametrised by arc length.

Pure numpy, any dimension d >= 1. Three kinds of interpolation between consecutive control points:

- "catmull-rom": centripetal Catmull-Rom (alpha = 0.5), Barry-Goldman pyramidal formulation. It passes
  through every control point, is C1 at the joints in its knot parameter, and has no cusps or
  self-intersections within a segment. An open curve gets phantom end points reflected through the
  end points (P[-1] = 2 P[0] - P[1]); a closed curve wraps its neighbours around.
- "linear": straight segments.
- "slerp": the control points are vectors from the origin; along a segment the direction moves by
  spherical interpolation and the norm linearly. Where the two directions are (nearly) equal or
  opposite, or a norm is (nearly) zero, the great circle is undefined or unstable, so that segment
  falls back to linear interpolation.

The public parameter t in [0, 1] is the fraction of arc length. Arc length is measured on a fine
polyline (`samples_per_segment` points per segment, cumulative chord length), inverted by linear
interpolation of the segment parameter, and every returned point is then evaluated on the exact curve.

Control points versus samples: `sample(n)` returns n points equally spaced along the curve; its first
row is the first control point and its last row the last one (the first, when closed). The other
control points lie on the curve those rows sample, generally between two rows;
`control_point_params()` says at which t each control point sits, and `at(t)` there returns it.

Consecutive duplicate control points (and, when closed, a last point equal to the first) are merged:
they describe no segment. They keep their place in `control_point_params()`, sharing the t of the point
they duplicate.
"""
from __future__ import annotations

import numpy as np

from latentwalk.scenes.errors import SceneError

KINDS = ("catmull-rom", "linear", "slerp")
ALPHA = 0.5  # centripetal: knot spacing = chord length ** ALPHA
DEFAULT_SAMPLES_PER_SEGMENT = 256
# Slerp is linear where sin(angle) is below this: the great circle is ill-conditioned there.
SLERP_MIN_SIN = 1e-6
# Relative to the largest coordinate magnitude: closer points count as duplicates.
DUPLICATE_RTOL = 1e-12


class Curve:
    """An arc-length parametrised curve through `points` (K, d); see the module docstring."""

    def __init__(self, points, kind: str = "catmull-rom", closed: bool = False,
                 samples_per_segment: int = DEFAULT_SAMPLES_PER_SEGMENT) -> None:
        if kind not in KINDS:
            raise SceneError(f"unknown curve kind {kind!r} (expected one of {', '.join(KINDS)})")
        pts = np.asarray(points, dtype=np.float64)
        if pts.ndim != 2:
            raise SceneError(f"control points must be a (K, d) array, got shape {pts.shape}")
        if pts.shape[0] == 0:
            raise SceneError("a curve needs at least one control point, got none")
        if pts.shape[1] == 0:
            raise SceneError("control points have zero width (d must be >= 1)")
        if not np.all(np.isfinite(pts)):
            bad = int(np.argwhere(~np.all(np.isfinite(pts), axis=1))[0, 0])
            raise SceneError(f"control point {bad} is not finite (NaN or Inf)")
        if samples_per_segment < 1:
            raise SceneError(f"samples_per_segment must be >= 1, got {samples_per_segment}")
        self.points = pts
        self.kind = kind
        self.closed = bool(closed)
        self._nodes, self._node_of_point = _merge_duplicates(pts, self.closed)
        m = len(self._nodes)
        self._segment_count = (m if self.closed else m - 1) if m > 1 else 0
        # Linear segments have constant speed in their parameter: one polyline interval is exact.
        self._per_segment = 1 if kind == "linear" else int(samples_per_segment)
        self._build_arc_length()

    # -- public ---------------------------------------------------------------------------------
    @property
    def dim(self) -> int:
        return int(self.points.shape[1])

    @property
    def length(self) -> float:
        """Arc length of the whole curve (of the fine polyline, which converges to it)."""
        return float(self._cumulative[-1])

    def at(self, t):
        """The point at arc-length fraction t (clamped to [0, 1]): (d,) for a scalar, (m, d) for (m,)."""
        t_arr = np.asarray(t, dtype=np.float64)
        points = self._points_at_u(self._u_of_fraction(np.atleast_1d(t_arr).ravel()))
        return points[0] if t_arr.ndim == 0 else points.reshape(t_arr.shape + (self.dim,))

    def sample(self, n: int) -> np.ndarray:
        """n points equally spaced along the curve, (n, d); first and last rows are exact end points."""
        n = int(n)
        if n < 1:
            raise SceneError(f"cannot sample a curve at {n} points (need at least 1)")
        out = self.at(np.linspace(0.0, 1.0, n))
        out[0] = self.points[0]
        if n > 1:
            out[-1] = self.points[0] if self.closed else self.points[-1]
        return out

    def control_point_params(self) -> np.ndarray:
        """The arc-length fraction t at which each control point sits, (K,), non-decreasing."""
        if self.length == 0.0:
            return np.zeros(len(self.points))
        node_t = self._cumulative[np.arange(len(self._nodes)) * self._per_segment] / self.length
        return node_t[self._node_of_point]

    def polyline(self, n: int) -> np.ndarray:
        """Points for drawing: n equally spaced points plus every control point, in curve order."""
        t = np.union1d(np.linspace(0.0, 1.0, max(int(n), 2)), self.control_point_params())
        return self.at(t)

    # -- arc length -----------------------------------------------------------------------------
    def _build_arc_length(self) -> None:
        """Cumulative chord length of the fine polyline, over the global segment parameter u."""
        if self._segment_count == 0:
            self._u_grid = np.zeros(1)
            self._cumulative = np.zeros(1)
            return
        count = self._segment_count * self._per_segment
        self._u_grid = np.arange(count + 1, dtype=np.float64) / self._per_segment
        # Chunked so that a long curve in a wide space never holds all dense points at once.
        chunk = max(1, 1_000_000 // max(1, self.dim))
        steps = np.empty(count)
        previous = self._points_at_u(self._u_grid[:1])
        for start in range(0, count, chunk):
            pts = self._points_at_u(self._u_grid[start + 1:start + 1 + chunk])
            chain = np.concatenate([previous, pts])
            steps[start:start + len(pts)] = np.linalg.norm(np.diff(chain, axis=0), axis=1)
            previous = pts[-1:]
        self._cumulative = np.concatenate([[0.0], np.cumsum(steps)])

    def _u_of_fraction(self, t: np.ndarray) -> np.ndarray:
        t = np.clip(np.nan_to_num(t, nan=0.0), 0.0, 1.0)
        if self.length == 0.0:
            return np.zeros_like(t)
        # np.interp needs increasing x; plateaus of zero length are harmless (it picks one end).
        return np.interp(t * self.length, self._cumulative, self._u_grid)

    # -- evaluation -----------------------------------------------------------------------------
    def _points_at_u(self, u: np.ndarray) -> np.ndarray:
        """Exact curve points at global parameters u (segment i covers [i, i + 1])."""
        if self._segment_count == 0:
            return np.repeat(self._nodes[:1], len(u), axis=0)
        seg = np.clip(np.floor(u).astype(np.int64), 0, self._segment_count - 1)
        local = np.clip(u - seg, 0.0, 1.0)
        m = len(self._nodes)
        i1 = seg % m
        i2 = (seg + 1) % m
        p1, p2 = self._nodes[i1], self._nodes[i2]
        if self.kind == "linear":
            return p1 + local[:, None] * (p2 - p1)
        if self.kind == "slerp":
            return _slerp(p1, p2, local)
        p0, p3 = self._neighbours(seg)
        return _centripetal_catmull_rom(p0, p1, p2, p3, local)

    def _neighbours(self, seg: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The points before and after segment `seg`: wrapped when closed, reflected at open ends."""
        nodes, m = self._nodes, len(self._nodes)
        if self.closed:
            return nodes[(seg - 1) % m], nodes[(seg + 2) % m]
        before_first = 2.0 * nodes[0] - nodes[1]
        after_last = 2.0 * nodes[-1] - nodes[-2]
        extended = np.concatenate([before_first[None], nodes, after_last[None]])
        return extended[seg], extended[seg + 3]


def _merge_duplicates(points: np.ndarray, closed: bool) -> tuple[np.ndarray, np.ndarray]:
    """Distinct consecutive nodes, and for each original point the index of its node."""
    tolerance = DUPLICATE_RTOL * max(1.0, float(np.max(np.abs(points))))
    node_of_point = np.zeros(len(points), dtype=np.int64)
    keep = [0]
    for i in range(1, len(points)):
        if np.linalg.norm(points[i] - points[keep[-1]]) > tolerance:
            keep.append(i)
        node_of_point[i] = len(keep) - 1
    if closed and len(keep) > 1 and np.linalg.norm(points[keep[-1]] - points[0]) <= tolerance:
        # The loop returns to the first point anyway: a trailing copy of it adds no segment.
        node_of_point[node_of_point == len(keep) - 1] = 0
        keep.pop()
    return points[keep], node_of_point


def _centripetal_catmull_rom(p0, p1, p2, p3, s):
    """Barry-Goldman pyramid for rows of (p0, p1, p2, p3), at local fractions s in [0, 1] of [t1, t2]."""
    t0 = np.zeros(len(s))
    t1 = t0 + _knot_step(p0, p1)
    t2 = t1 + _knot_step(p1, p2)
    t3 = t2 + _knot_step(p2, p3)
    t = (t1 + s * (t2 - t1))[:, None]
    t0, t1, t2, t3 = (k[:, None] for k in (t0, t1, t2, t3))
    a1 = _lerp_knots(p0, p1, t0, t1, t)
    a2 = _lerp_knots(p1, p2, t1, t2, t)
    a3 = _lerp_knots(p2, p3, t2, t3, t)
    b1 = _lerp_knots(a1, a2, t0, t2, t)
    b2 = _lerp_knots(a2, a3, t1, t3, t)
    return _lerp_knots(b1, b2, t1, t2, t)


def _knot_step(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    # A zero chord (a reflected or wrapped neighbour equal to its node) would make a zero-width knot
    # interval and divide by zero; a tiny positive step keeps the pyramid finite and the curve intact.
    return np.maximum(np.linalg.norm(b - a, axis=1) ** ALPHA, 1e-12)


def _lerp_knots(a, b, ta, tb, t):
    return ((tb - t) * a + (t - ta) * b) / (tb - ta)


def _slerp(a: np.ndarray, b: np.ndarray, s: np.ndarray) -> np.ndarray:
    """Direction by spherical interpolation, norm linearly; linear where that is ill-defined."""
    na = np.linalg.norm(a, axis=1)
    nb = np.linalg.norm(b, axis=1)
    linear = a + s[:, None] * (b - a)
    usable = (na > 0) & (nb > 0)
    safe_na = np.where(usable, na, 1.0)[:, None]
    safe_nb = np.where(usable, nb, 1.0)[:, None]
    ua, ub = a / safe_na, b / safe_nb
    cos = np.clip(np.sum(ua * ub, axis=1), -1.0, 1.0)
    angle = np.arccos(cos)
    sin = np.sin(angle)
    spherical = usable & (sin > SLERP_MIN_SIN)
    safe_sin = np.where(spherical, sin, 1.0)[:, None]
    wa = np.sin((1.0 - s)[:, None] * angle[:, None]) / safe_sin
    wb = np.sin(s[:, None] * angle[:, None]) / safe_sin
    norm = ((1.0 - s) * na + s * nb)[:, None]
    result = norm * (wa * ua + wb * ub)
    return np.where(spherical[:, None], result, linear)
