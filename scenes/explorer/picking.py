"""Which point is under the cursor: ids rendered into an R32UI + depth framebuffer, scissored to a
small square around the cursor, nearest non-zero id wins.

Even scissored, a GPU pass over every point costs llvmpipe a whole vertex stage (15-25 ms at
60k), so by default a CPU prefilter projects the points with numpy (cached per view) and only
those whose footprint can reach the square are drawn, from a small streamed buffer. The GPU pass
stays the arbiter: depth test and round footprints decide, exactly as the colour pass draws.
"""
from __future__ import annotations

import time

import numpy as np
from OpenGL import GL as gl

from engine.gl import Framebuffer
from scenes.explorer.points import PointCloud, PointStyle

PICK_RADIUS_PX = 4  # the square is (2r+1)^2 pixels; nearest id within it wins


class Picker:
    def __init__(self, width: int, height: int, *, radius: int = PICK_RADIUS_PX, prefilter: bool = True) -> None:
        self.radius = radius
        self.prefilter = prefilter
        self.framebuffer = Framebuffer(width, height, ("r32ui",), depth=True)
        self.last_ms = 0.0
        self.last_candidates = 0
        self.picks = 0
        self._cached_key: bytes | None = None
        self._clip_xyw: np.ndarray | None = None  # (N, 3) pixel x, pixel y, inside-frustum flag
        self._projected_cloud: PointCloud | None = None
        self._nearest_depth = 1.0
        self._columns: np.ndarray | None = None  # (3, N) positions, column-wise for the projection
        self._columns_cloud: PointCloud | None = None

    @property
    def size(self) -> tuple[int, int]:
        return self.framebuffer.width, self.framebuffer.height

    def resize(self, width: int, height: int) -> None:
        if (width, height) != self.size:
            self.framebuffer.resize(width, height)
            self._cached_key = None

    def forget_view(self) -> None:
        self._cached_key = None

    def pick(self, cloud: PointCloud, cursor: tuple[int, int], view_projection: np.ndarray, view: np.ndarray,
             style: PointStyle) -> int | None:
        """Index of the point under window pixel `cursor` (top-left origin), or None."""
        started = time.perf_counter()
        self.picks += 1
        width, height = self.size
        mx, my = int(cursor[0]), int(cursor[1])
        result = None
        if 0 <= mx < width and 0 <= my < height and cloud.count:
            candidates = None
            if self.prefilter:
                candidates = self._candidates(cloud, (mx, my), view_projection, style)
                self.last_candidates = len(candidates)
            else:
                self.last_candidates = cloud.count
            if candidates is None or len(candidates):
                result = self._gpu_pick(cloud, (mx, my), view_projection, view, style, candidates)
        self.last_ms = (time.perf_counter() - started) * 1000.0
        return result

    # ----------------------------------------------------------------- CPU prefilter
    def _candidates(self, cloud: PointCloud, cursor: tuple[int, int], view_projection: np.ndarray,
                    style: PointStyle) -> np.ndarray:
        pixels = self._projected(cloud, view_projection)
        # the biggest point on screen is the nearest one (points.vert's size rule); dense clouds
        # would otherwise send far more candidates than can reach the square
        largest = style.point_size * min(max(style.reference_distance / self._nearest_depth, 0.35), 4.0)
        reach = self.radius + 0.5 * min(max(largest, 1.0), style.max_point_size) + 1.0
        cx, cy = cursor[0] + 0.5, cursor[1] + 0.5
        near = (np.abs(pixels[:, 0] - cx) <= reach) & (np.abs(pixels[:, 1] - cy) <= reach) & (pixels[:, 2] > 0)
        return np.flatnonzero(near).astype(np.uint32)

    def _projected(self, cloud: PointCloud, view_projection: np.ndarray) -> np.ndarray:
        """(N, 3) float32: window pixel x, y and 1 where the point's centre is inside the frustum.
        Cached per (cloud, matrix, viewport): a mouse move over a still view only filters."""
        matrix = np.asarray(view_projection, dtype=np.float32)
        key = matrix.tobytes() + np.array(self.size, np.int32).tobytes()
        if self._cached_key == key and self._projected_cloud is cloud and self._clip_xyw is not None:
            return self._clip_xyw
        if self._columns_cloud is not cloud:
            self._columns = np.ascontiguousarray(cloud.host_positions.T)
            self._columns_cloud = cloud
        x, y, z = self._columns
        # row by row, not positions @ matrix.T: BLAS takes ~30x longer on an (N, 3) @ (3, 4) product
        clip = [x * matrix[r, 0] + y * matrix[r, 1] + z * matrix[r, 2] + matrix[r, 3] for r in range(4)]
        w = clip[3]
        inside = (w > 0) & (np.abs(clip[0]) <= w) & (np.abs(clip[1]) <= w) & (np.abs(clip[2]) <= w)
        safe_w = np.where(w > 0, w, 1.0)
        width, height = self.size
        out = np.empty((len(w), 3), np.float32)
        out[:, 0] = (clip[0] / safe_w + 1.0) * (0.5 * width)
        out[:, 1] = (1.0 - clip[1] / safe_w) * (0.5 * height)
        out[:, 2] = inside
        self._nearest_depth = float(w[inside].min()) if inside.any() else 1.0  # clip w = view depth
        self._clip_xyw, self._cached_key, self._projected_cloud = out, key, cloud
        return out

    # ----------------------------------------------------------------- GPU id pass
    def _gpu_pick(self, cloud: PointCloud, cursor: tuple[int, int], view_projection, view, style,
                  candidates: np.ndarray | None) -> int | None:
        width, height = self.size
        r = self.radius
        gl_x, gl_y = cursor[0], height - 1 - cursor[1]
        x0, y0 = max(0, gl_x - r), max(0, gl_y - r)
        x1, y1 = min(width, gl_x + r + 1), min(height, gl_y + r + 1)
        rect = (x0, y0, x1 - x0, y1 - y0)
        fb = self.framebuffer
        fb.clear(uint_value=0, rect=rect)
        fb.bind()
        gl.glEnable(gl.GL_SCISSOR_TEST)
        gl.glScissor(*rect)
        gl.glDepthMask(gl.GL_TRUE)
        gl.glDisable(gl.GL_BLEND)
        try:
            cloud.draw_ids(view_projection, view, style, candidates)
        finally:
            gl.glDisable(gl.GL_SCISSOR_TEST)
            Framebuffer.unbind()
            gl.glViewport(0, 0, width, height)
        ids = fb.read(0, rect)  # rows bottom-up, like GL
        hit_rows, hit_cols = np.nonzero(ids)
        if not len(hit_rows):
            return None
        dy = (hit_rows + y0) - gl_y
        dx = (hit_cols + x0) - gl_x
        nearest = int(np.argmin(dx * dx + dy * dy))
        return int(ids[hit_rows[nearest], hit_cols[nearest]]) - 1

    def release(self) -> None:
        self.framebuffer.release()
