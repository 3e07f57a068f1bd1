"""Orientation guides: a floor grid under the cloud and x/y/z axes through the latent origin,
each a static line buffer built once per model and toggled independently."""
from __future__ import annotations

import math

import numpy as np
from OpenGL import GL as gl

from latentwalk.engine.gl import Buffer, Program, VertexArray
from latentwalk.engine.gl.resource import GLResource

GRID_COLOR = (0.55, 0.58, 0.65, 0.22)
AXIS_COLORS = ((0.95, 0.35, 0.35, 0.9), (0.45, 0.85, 0.45, 0.9), (0.40, 0.60, 1.00, 0.9))


def nice_step(span: float, lines: int = 10) -> float:
    """A 1, 2 or 5 x 10^k spacing giving about `lines` grid lines over `span`."""
    raw = max(span, 1e-9) / lines
    power = 10.0 ** math.floor(math.log10(raw))
    for factor in (1.0, 2.0, 5.0, 10.0):
        if raw <= factor * power:
            return factor * power
    return 10.0 * power


def grid_lines(bounds_min: np.ndarray, bounds_max: np.ndarray) -> np.ndarray:
    """Vertices (x, y, z, r, g, b, a) of a grid on the plane y = bottom of the bounds, in x and z."""
    lo, hi = np.asarray(bounds_min, np.float64), np.asarray(bounds_max, np.float64)
    step = nice_step(float(max(hi[0] - lo[0], hi[2] - lo[2])))
    x0, x1 = math.floor(lo[0] / step) * step, math.ceil(hi[0] / step) * step
    z0, z1 = math.floor(lo[2] / step) * step, math.ceil(hi[2] / step) * step
    y = lo[1] - 0.02 * max(hi[1] - lo[1], step)
    vertices = []
    for x in np.arange(x0, x1 + step / 2, step):
        vertices += [(x, y, z0, *GRID_COLOR), (x, y, z1, *GRID_COLOR)]
    for z in np.arange(z0, z1 + step / 2, step):
        vertices += [(x0, y, z, *GRID_COLOR), (x1, y, z, *GRID_COLOR)]
    return np.asarray(vertices, np.float32)


def axis_lines(bounds_min: np.ndarray, bounds_max: np.ndarray) -> np.ndarray:
    """Three axes through the latent origin, reaching a little past the cloud on each side."""
    lo, hi = np.asarray(bounds_min, np.float64), np.asarray(bounds_max, np.float64)
    reach = 1.1 * float(np.max(np.maximum(np.abs(lo), np.abs(hi))))
    vertices = []
    for axis, color in enumerate(AXIS_COLORS):
        a, b = np.zeros(3), np.zeros(3)
        a[axis], b[axis] = -reach, reach
        faded = (*color[:3], color[3] * 0.25)
        vertices += [(*a, *faded), (0, 0, 0, *color), (0, 0, 0, *color), (*b, *color)]
    return np.asarray(vertices, np.float32)


class Guides(GLResource):
    def __init__(self, bounds_min: np.ndarray, bounds_max: np.ndarray) -> None:
        self.program = Program.from_files("grid.vert", "grid.frag")
        self.grid = self._lines(grid_lines(bounds_min, bounds_max))
        self.axes = self._lines(axis_lines(bounds_min, bounds_max))
        self.show_grid = True
        self.show_axes = True

    @staticmethod
    def _lines(vertices: np.ndarray) -> tuple[VertexArray, int]:
        vao = VertexArray()
        buffer = Buffer(vertices)
        vao.attribute(0, buffer, 3, stride=28, offset=0, own=True)
        vao.attribute(1, buffer, 4, stride=28, offset=12, own=True)
        return vao, len(vertices)

    def draw(self, view_projection: np.ndarray, view: np.ndarray, fog_range, fog_amount: float) -> None:
        if not (self.show_grid or self.show_axes):
            return
        gl.glEnable(gl.GL_DEPTH_TEST)
        gl.glEnable(gl.GL_BLEND)
        gl.glBlendFunc(gl.GL_SRC_ALPHA, gl.GL_ONE_MINUS_SRC_ALPHA)
        gl.glDepthMask(gl.GL_FALSE)  # translucent lines must not hide the points behind them
        self.program.use()
        self.program["view_projection"] = view_projection
        self.program["view"] = view
        self.program["fog_range"] = fog_range
        self.program["fog_amount"] = fog_amount
        if self.show_grid:
            self.grid[0].draw(gl.GL_LINES, self.grid[1])
        if self.show_axes:
            self.axes[0].draw(gl.GL_LINES, self.axes[1])
        gl.glDepthMask(gl.GL_TRUE)
        gl.glDisable(gl.GL_BLEND)

    def release(self) -> None:
        self.grid[0].release()
        self.axes[0].release()
        self.program.release()
