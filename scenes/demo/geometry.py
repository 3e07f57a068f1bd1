"""Vertex data and matrices for the demo scene (pure numpy)."""
from __future__ import annotations

import math

import numpy as np

# Cube faces: (axis, sign, colour). Opposite faces get related colours so the view's orientation reads at a glance.
_FACES = (
    (0, +1, (0.90, 0.25, 0.20)), (0, -1, (0.45, 0.12, 0.10)),
    (1, +1, (0.25, 0.80, 0.30)), (1, -1, (0.12, 0.40, 0.15)),
    (2, +1, (0.25, 0.45, 0.95)), (2, -1, (0.12, 0.22, 0.48)),
)


def cube(half: float = 0.5) -> np.ndarray:
    """36 vertices of (x, y, z, r, g, b) float32, one flat colour per face."""
    rows = []
    for axis, sign, colour in _FACES:
        u, v = [a for a in range(3) if a != axis]
        corners = []
        for cu, cv in ((-1, -1), (1, -1), (1, 1), (-1, 1)):
            point = [0.0, 0.0, 0.0]
            point[axis], point[u], point[v] = sign * half, cu * half, cv * half
            corners.append(point)
        for index in (0, 1, 2, 0, 2, 3):
            rows.append([*corners[index], *colour])
    return np.asarray(rows, np.float32)


def axes(length: float = 1.5) -> np.ndarray:
    """3 line segments from the origin: x red, y green, z blue."""
    rows = []
    for axis, colour in enumerate(((1.0, 0.2, 0.2), (0.2, 1.0, 0.2), (0.3, 0.5, 1.0))):
        tip = [0.0, 0.0, 0.0]
        tip[axis] = length
        rows += [[0.0, 0.0, 0.0, *colour], [*tip, *colour]]
    return np.asarray(rows, np.float32)


def test_pattern(size: int = 64) -> np.ndarray:
    """(size, size, 3) uint8: colour bars on top, a checkerboard below (shows filtering and orientation)."""
    image = np.zeros((size, size, 3), np.uint8)
    bars = np.array([[255, 255, 255], [255, 255, 0], [0, 255, 255], [0, 255, 0],
                     [255, 0, 255], [255, 0, 0], [0, 0, 255], [0, 0, 0]], np.uint8)
    columns = np.arange(size) * len(bars) // size
    image[: size // 2] = bars[columns][None, :, :]
    yy, xx = np.mgrid[size // 2: size, 0:size]
    checker = ((xx // 8 + yy // 8) % 2).astype(np.uint8) * 200 + 30
    image[size // 2:] = checker[..., None]
    return image


def perspective(fov_y_degrees: float, aspect: float, near: float, far: float) -> np.ndarray:
    f = 1.0 / math.tan(math.radians(fov_y_degrees) / 2)
    return np.array([[f / aspect, 0, 0, 0], [0, f, 0, 0],
                     [0, 0, (far + near) / (near - far), 2 * far * near / (near - far)],
                     [0, 0, -1, 0]], np.float32)


def orbit_view(yaw: float, pitch: float, distance: float) -> np.ndarray:
    """View matrix of a camera orbiting the origin (angles in radians)."""
    eye = distance * np.array([math.cos(pitch) * math.sin(yaw), math.sin(pitch), math.cos(pitch) * math.cos(yaw)])
    forward = -eye / np.linalg.norm(eye)
    right = np.cross(forward, [0.0, 1.0, 0.0])
    right /= np.linalg.norm(right)
    up = np.cross(right, forward)
    view = np.eye(4, dtype=np.float32)
    view[0, :3], view[1, :3], view[2, :3] = right, up, -forward
    view[:3, 3] = -view[:3, :3] @ eye
    return view
