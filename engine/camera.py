"""Orbit/arcball camera for a 3-D point cloud: damped in the fixed step, drawn with interpolation.

Conventions (all OpenGL's):
- Right-handed world; the camera looks down its local -Z with +Y up and +X right.
- Quaternions are float64 arrays (w, x, y, z); `orientation` rotates camera-local vectors
  into world space, so the eye sits at `target + R(orientation) @ (0, 0, distance)`.
- Matrices are float32 4x4 in the row-major *math* convention: `clip = P @ V @ [x, y, z, 1]`.
  Upload with `glUniformMatrix4fv(loc, 1, GL_TRUE, m)`, or pass `gl_matrix(m)` with GL_FALSE.
- Pixel coordinates are continuous with the origin at the window's top-left corner; pixel
  (i, j) covers [i, i+1) x [j, j+1), so a mouse position (mx, my) has its centre at
  (mx + 0.5, my + 0.5). `viewport` is (width, height) in pixels.

Inputs change a *goal* state; `update(dt)` moves `current` towards it with a frame-rate
independent exponential (fraction 1 - exp(-dt * rate)) and keeps `previous`, so
`view_matrix(alpha)` draws between the last two fixed steps.

Flights (polyscope's startFlightTo / updateFlight): `fly_to` starts a timed move from where the
camera is to a goal, eased in and out; `update(dt)` advances it in the fixed step, so it takes the
same time at any frame rate and ends exactly on its goal. Any other input interrupts it and starts
from where the flight had got to.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple, Sequence

import numpy as np

IDENTITY_QUAT = np.array([1.0, 0.0, 0.0, 0.0])
FLIGHT_SECONDS = 0.6


def quat_multiply(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Hamilton product a*b: apply b, then a."""
    aw, ax, ay, az = a
    bw, bx, by, bz = b
    return np.array([
        aw * bw - ax * bx - ay * by - az * bz,
        aw * bx + ax * bw + ay * bz - az * by,
        aw * by - ax * bz + ay * bw + az * bx,
        aw * bz + ax * by - ay * bx + az * bw,
    ])


def quat_conjugate(q: np.ndarray) -> np.ndarray:
    return np.array([q[0], -q[1], -q[2], -q[3]])


def quat_from_axis_angle(axis: Sequence[float], angle: float) -> np.ndarray:
    axis = np.asarray(axis, dtype=np.float64)
    axis = axis / np.linalg.norm(axis)
    return np.concatenate([[math.cos(angle / 2)], axis * math.sin(angle / 2)])


def quat_to_matrix(q: np.ndarray) -> np.ndarray:
    w, x, y, z = q
    return np.array([
        [1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y)],
        [2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x)],
        [2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y)],
    ])


def quat_between(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """The smallest rotation taking unit vector u onto unit vector v."""
    w = 1.0 + float(np.dot(u, v))
    if w < 1e-12:  # opposite vectors: any perpendicular axis, half a turn
        helper = np.array([1.0, 0.0, 0.0]) if abs(u[0]) < 0.9 else np.array([0.0, 1.0, 0.0])
        return quat_from_axis_angle(np.cross(u, helper), math.pi)
    q = np.concatenate([[w], np.cross(u, v)])
    return q / np.linalg.norm(q)


def quat_angle(a: np.ndarray, b: np.ndarray) -> float:
    """Angle in radians of the rotation between two orientations."""
    if float(np.dot(a, b)) < 0.0:
        b = -b
    return 4.0 * _half_angle(a, b)


def _half_angle(a: np.ndarray, b: np.ndarray) -> float:
    # angle between two unit 4-vectors, via atan2: acos near 1 loses half the digits
    return math.atan2(float(np.linalg.norm(a - b)), float(np.linalg.norm(a + b)))


def quat_slerp(a: np.ndarray, b: np.ndarray, t: float) -> np.ndarray:
    dot = float(np.dot(a, b))
    if dot < 0.0:  # q and -q are one rotation; take the short way round
        b, dot = -b, -dot
    theta = 2.0 * _half_angle(a, b)
    if theta < 1e-9:  # sin(theta) would divide by almost nothing
        q = a + t * (b - a)
        return q / np.linalg.norm(q)
    s = math.sin(theta)
    return (math.sin((1 - t) * theta) / s) * a + (math.sin(t * theta) / s) * b


def gl_matrix(m: np.ndarray) -> np.ndarray:
    """Column-major float32 copy of a math-convention matrix, for glUniformMatrix4fv(..., GL_FALSE, ...)."""
    return np.ascontiguousarray(np.asarray(m, dtype=np.float32).T)


def perspective(fov_y: float, aspect: float, near: float, far: float) -> np.ndarray:
    """OpenGL perspective projection (float64, math convention), NDC z in [-1, 1]."""
    f = 1.0 / math.tan(fov_y / 2)
    return np.array([
        [f / aspect, 0.0, 0.0, 0.0],
        [0.0, f, 0.0, 0.0],
        [0.0, 0.0, (far + near) / (near - far), 2 * far * near / (near - far)],
        [0.0, 0.0, -1.0, 0.0],
    ])


@dataclass(frozen=True, eq=False)  # arrays make == ambiguous: compare with same_as()
class CameraState:
    target: np.ndarray  # (3,) float64, the point orbited
    distance: float  # eye to target
    orientation: np.ndarray  # (4,) unit quaternion, camera-local -> world

    @property
    def rotation(self) -> np.ndarray:
        return quat_to_matrix(self.orientation)

    @property
    def eye(self) -> np.ndarray:
        return self.target + self.rotation[:, 2] * self.distance

    def view_matrix(self) -> np.ndarray:
        r = self.rotation
        view = np.eye(4)
        view[:3, :3] = r.T
        view[:3, 3] = -r.T @ self.eye
        return view

    def same_as(self, other: CameraState) -> bool:
        return (
            self.distance == other.distance
            and np.array_equal(self.target, other.target)
            and np.array_equal(self.orientation, other.orientation)
        )


def interpolate_states(a: CameraState, b: CameraState, t: float) -> CameraState:
    """Lerp target and distance, slerp orientation."""
    return CameraState(
        target=a.target + t * (b.target - a.target),
        distance=a.distance + t * (b.distance - a.distance),
        orientation=quat_slerp(a.orientation, b.orientation, t),
    )


def ease_in_out(fraction: float) -> float:
    """Smoothstep: starts and ends at rest, so a flight neither jerks off nor stops dead."""
    f = min(1.0, max(0.0, fraction))
    return f * f * (3.0 - 2.0 * f)


@dataclass(eq=False)
class Flight:
    start: CameraState
    end: CameraState
    duration: float
    elapsed: float = 0.0

    @property
    def fraction(self) -> float:
        if self.elapsed >= self.duration - 1e-9:  # summed fixed steps fall a rounding short of the end
            return 1.0
        return self.elapsed / self.duration

    def state(self) -> CameraState:
        return interpolate_states(self.start, self.end, ease_in_out(self.fraction))


class Projection(NamedTuple):
    pixels: np.ndarray  # (N, 2) float64, top-left origin
    depth: np.ndarray  # (N,) window depth in [0, 1] for visible points (glDepthRange 0..1)
    visible: np.ndarray  # (N,) bool: in front of the eye and inside the view volume


class OrbitCamera:
    """Arcball/orbit camera around a target; see the module docstring for conventions."""

    def __init__(
        self,
        *,
        target: Sequence[float] = (0.0, 0.0, 0.0),
        distance: float = 3.0,
        orientation: Sequence[float] | None = None,
        fov_y_degrees: float = 45.0,
        damping_rate: float = 14.0,
        zoom_step: float = 1.15,
    ) -> None:
        self.fov_y = math.radians(fov_y_degrees)
        self.damping_rate = damping_rate
        self.zoom_step = zoom_step  # distance factor per wheel step
        q = IDENTITY_QUAT if orientation is None else np.asarray(orientation, dtype=np.float64)
        self.home = CameraState(np.asarray(target, dtype=np.float64).copy(), float(distance), q / np.linalg.norm(q))
        self._set_scene_sphere(self.home.target, float(distance) / 2)
        self.goal = self.home
        self.current = self.home
        self.previous = self.home
        self.flight: Flight | None = None

    # ----------------------------------------------------------------- state and matrices
    def state(self, alpha: float = 1.0) -> CameraState:
        if alpha >= 1.0:
            return self.current
        if alpha <= 0.0:
            return self.previous
        return interpolate_states(self.previous, self.current, alpha)

    def eye(self, alpha: float = 1.0) -> np.ndarray:
        return self.state(alpha).eye

    def near_far(self, alpha: float = 1.0) -> tuple[float, float]:
        """near = 1% of the distance; far reaches past the whole scene sphere from the eye."""
        s = self.state(alpha)
        near = s.distance * 0.01
        far = 2.0 * (s.distance + float(np.linalg.norm(s.target - self.scene_center)) + self.scene_radius)
        return near, max(far, near * 10)

    def view_matrix(self, alpha: float = 1.0) -> np.ndarray:
        return self.state(alpha).view_matrix().astype(np.float32)

    def projection_matrix(self, aspect: float, alpha: float = 1.0) -> np.ndarray:
        return perspective(self.fov_y, aspect, *self.near_far(alpha)).astype(np.float32)

    def view_projection(self, alpha: float, aspect: float) -> np.ndarray:
        return self._view_projection64(alpha, aspect).astype(np.float32)

    def _view_projection64(self, alpha: float, aspect: float) -> np.ndarray:
        return perspective(self.fov_y, aspect, *self.near_far(alpha)) @ self.state(alpha).view_matrix()

    # ----------------------------------------------------------------- input (sets the goal)
    def rotate_drag(self, prev_px: Sequence[float], cur_px: Sequence[float], viewport: Sequence[int]) -> None:
        """Arcball: the scene turns as if the cursor dragged a sphere (Bell's sphere/hyperbola)."""
        self._land()
        a = arcball_vector(prev_px, viewport)
        b = arcball_vector(cur_px, viewport)
        scene_turn = quat_between(a, b)  # in camera space
        self._set_goal(orientation=_normalised(quat_multiply(self.goal.orientation, quat_conjugate(scene_turn))))

    def orbit(self, d_yaw: float, d_pitch: float) -> None:
        """Keyboard orbit in radians about the camera's own axes: +yaw moves the eye right, +pitch up."""
        self._land()
        turn = quat_multiply(quat_from_axis_angle((0, 1, 0), d_yaw), quat_from_axis_angle((1, 0, 0), -d_pitch))
        self._set_goal(orientation=_normalised(quat_multiply(self.goal.orientation, turn)))

    def pan_drag(self, delta_px: Sequence[float], viewport: Sequence[int]) -> None:
        """Move the target in the view plane so what lies at the target's depth follows the cursor."""
        self._land()
        g = self.goal
        world_per_px = 2.0 * g.distance * math.tan(self.fov_y / 2) / viewport[1]
        r = g.rotation
        shift = (-r[:, 0] * delta_px[0] + r[:, 1] * delta_px[1]) * world_per_px
        self._set_goal(target=g.target + shift)

    def zoom(
        self,
        steps: float,
        cursor_px: Sequence[float],
        viewport: Sequence[int],
        anchor: Sequence[float] | None = None,
    ) -> None:
        """Positive steps move closer. The eye slides along the cursor's ray, so `anchor` (default:
        the point under the cursor at the target's depth, or give a picked point) stays put on screen."""
        self._land()
        g = self.goal
        new_distance = float(np.clip(g.distance * self.zoom_step ** (-steps), self.min_distance, self.max_distance))
        k = new_distance / g.distance
        if anchor is None:
            point = self._point_at_target_depth(g, cursor_px, viewport)
        else:
            point = np.asarray(anchor, dtype=np.float64)
        # scaling the eye/target pair about a point on the cursor ray keeps that ray fixed on screen
        self._set_goal(target=g.target + (1.0 - k) * (point - g.target), distance=new_distance)

    def focus(self, point: Sequence[float], distance: float | None = None) -> None:
        """Animate the target onto `point` (double-click centring), keeping the view direction."""
        self._land()
        self._set_goal(target=np.asarray(point, dtype=np.float64).copy(), distance=distance)

    def fly_to(self, target: Sequence[float] | None = None, distance: float | None = None,
               orientation: Sequence[float] | None = None, duration: float = FLIGHT_SECONDS) -> None:
        """A timed, eased flight from where the camera is now to a goal (None keeps that part)."""
        start = self.state(1.0)
        self._set_goal(None if target is None else np.asarray(target, dtype=np.float64).copy(), distance,
                       None if orientation is None else _normalised(np.asarray(orientation, dtype=np.float64)))
        self.flight = Flight(start, self.goal, max(0.0, float(duration)))

    def reset(self, *, animate: bool = True) -> None:
        self.flight = None
        self.goal = self.home
        if not animate:
            self.snap()

    def frame_points(
        self,
        bounds_min: Sequence[float],
        bounds_max: Sequence[float],
        *,
        aspect: float = 1.0,
        animate: bool = False,
    ) -> None:
        """Fit the bounding box's sphere in view; it becomes the home that reset() returns to."""
        lo = np.asarray(bounds_min, dtype=np.float64)
        hi = np.asarray(bounds_max, dtype=np.float64)
        center = (lo + hi) / 2
        radius = max(float(np.linalg.norm(hi - lo)) / 2, 1e-6)
        self._set_scene_sphere(center, radius)
        half_fov = min(self.fov_y / 2, math.atan(math.tan(self.fov_y / 2) * aspect))
        distance = float(np.clip(1.05 * radius / math.sin(half_fov), self.min_distance, self.max_distance))
        self.home = CameraState(center, distance, self.home.orientation)
        self.reset(animate=animate)

    def snap(self) -> None:
        """Jump to the goal now, with no interpolation from the old view."""
        self.flight = None
        self.previous = self.current = self.goal

    # ----------------------------------------------------------------- fixed step
    def update(self, dt: float) -> None:
        self.previous = self.current
        if self.flight is not None:
            self.flight.elapsed += dt
            self.current = self.flight.state()
            if self.flight.fraction >= 1.0:
                self.current, self.flight = self.flight.end, None
            return
        if self.current is self.goal:  # at rest: nothing to interpolate (an idle window runs this 120x/s)
            return
        fraction = 1.0 - math.exp(-dt * self.damping_rate)
        nxt = interpolate_states(self.current, self.goal, fraction)
        if self._close(nxt, self.goal):
            nxt = self.goal
        self.current = nxt

    @property
    def is_moving(self) -> bool:
        """False once the last step changed nothing and nothing is pending: skip picking/redraw."""
        if self.flight is None and self.previous is self.current and self.current is self.goal:
            return False  # the usual answer at rest, without comparing arrays
        return self.flight is not None or not (self.previous.same_as(self.current)
                                               and self.current.same_as(self.goal))

    # ----------------------------------------------------------------- projection helpers
    def project(self, points: np.ndarray, alpha: float, viewport: Sequence[int]) -> Projection:
        """World points -> window pixels (top-left origin), window depth and visibility, as GL would."""
        w, h = viewport
        pts = np.asarray(points, dtype=np.float64).reshape(-1, 3)
        clip = np.c_[pts, np.ones(len(pts))] @ self._view_projection64(alpha, w / h).T
        cw = clip[:, 3]
        in_front = cw > 0
        safe_w = np.where(in_front, cw, 1.0)
        ndc = clip[:, :3] / safe_w[:, None]
        pixels = np.c_[(ndc[:, 0] + 1) * 0.5 * w, (1 - ndc[:, 1]) * 0.5 * h]
        visible = in_front & np.all(np.abs(ndc) <= 1.0, axis=1)
        return Projection(pixels, (ndc[:, 2] + 1) * 0.5, visible)

    def ray(self, px: Sequence[float], viewport: Sequence[int], alpha: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
        """(origin, unit direction) in world space of the line of sight through pixel coordinate `px`."""
        s = self.state(alpha)
        return s.eye, s.rotation @ self._camera_direction(px, viewport)

    def place_at(self, px: Sequence[float], viewport: Sequence[int], alpha: float = 1.0) -> np.ndarray:
        """The world point under pixel `px` on the plane through the target facing the camera: where a
        click in empty space is, since nothing there says how deep it lies."""
        return self._point_at_target_depth(self.state(alpha), px, viewport)

    # ----------------------------------------------------------------- internals
    def _camera_direction(self, px: Sequence[float], viewport: Sequence[int]) -> np.ndarray:
        w, h = viewport
        t = math.tan(self.fov_y / 2)
        d = np.array([(2 * px[0] / w - 1) * t * w / h, (1 - 2 * px[1] / h) * t, -1.0])
        return d / np.linalg.norm(d)

    def _point_at_target_depth(self, s: CameraState, px: Sequence[float], viewport: Sequence[int]) -> np.ndarray:
        d = self._camera_direction(px, viewport)
        return s.eye + s.rotation @ (d * (s.distance / -d[2]))

    def _land(self) -> None:
        """Interrupt a flight where it has got to: an input acts on the view the user sees."""
        if self.flight is not None:
            self.goal, self.flight = self.current, None

    def _set_goal(self, target=None, distance=None, orientation=None) -> None:
        g = self.goal
        if self.flight is not None:  # interrupted: go on from where the flight had got to
            g, self.flight = self.current, None
        self.goal = CameraState(
            g.target if target is None else target,
            g.distance if distance is None else float(np.clip(distance, self.min_distance, self.max_distance)),
            g.orientation if orientation is None else orientation,
        )

    def _set_scene_sphere(self, center: np.ndarray, radius: float) -> None:
        self.scene_center = np.asarray(center, dtype=np.float64).copy()
        self.scene_radius = radius
        self.min_distance = radius * 1e-3
        self.max_distance = radius * 1e3

    def _close(self, a: CameraState, b: CameraState) -> bool:
        # far below a pixel at any sane resolution, relative to the view's size
        eps = 1e-6
        scale = max(b.distance, 1e-12)
        return (
            abs(a.distance - b.distance) <= eps * scale
            and float(np.linalg.norm(a.target - b.target)) <= eps * scale
            and quat_angle(a.orientation, b.orientation) <= eps
        )


def arcball_vector(px: Sequence[float], viewport: Sequence[int]) -> np.ndarray:
    """Unit vector in camera space for a pixel: a sphere near the centre, Bell's hyperbola outside."""
    w, h = viewport
    radius = 0.5 * min(w, h)
    x = (px[0] - 0.5 * w) / radius
    y = (0.5 * h - px[1]) / radius
    d2 = x * x + y * y
    z = math.sqrt(1.0 - d2) if d2 <= 0.5 else 0.5 / math.sqrt(d2)
    v = np.array([x, y, z])
    return v / np.linalg.norm(v)


def _normalised(q: np.ndarray) -> np.ndarray:
    return q / np.linalg.norm(q)
