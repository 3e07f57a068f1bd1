"""Which point is under the cursor: ids rendered into an R32UI + depth framebuffer, scissored to a
small square around the cursor, nearest non-zero id wins.

Even scissored, a GPU pass over every point costs llvmpipe a whole vertex stage (15-25 ms at
60k), so by default a CPU prefilter projects the points with numpy (cached per view) and only
those whose footprint can reach the square are drawn, from a small streamed buffer. The GPU pass
stays the arbiter: depth test and round footprints decide, exactly as the colour pass draws.

While the view turns the projection is redone every frame, so it works in arrays allocated once per
cloud (`PickBuffers`) with numpy's out= arguments: a fresh set per pick was ~40 MB a frame at 1M points.
"""
from __future__ import annotations

import time

import numpy as np
from OpenGL import GL as gl

from latentwalk.engine.gl import Framebuffer
from latentwalk.explorer.points import PointCloud, PointStyle

PICK_RADIUS_PX = 4  # the square is (2r+1)^2 pixels; nearest id within it wins


class PickBuffers:
    """The prefilter's work arrays for one cloud of `count` points, reused for every view and cursor."""

    def __init__(self, count: int) -> None:
        self.count = count
        self.clip = np.empty((4, count), np.float32)  # clip-space x, y, z, w
        self.pixels = np.empty((2, count), np.float32)  # window pixel x, y (top-left origin)
        self.inside = np.empty(count, bool)  # the point's centre is inside the frustum
        self.safe_w = np.empty(count, np.float32)
        self.scratch = np.empty(count, np.float32)
        self.mask = np.empty(count, bool)
        self.near = np.empty(count, bool)


class Picker:
    def __init__(self, width: int, height: int, *, radius: int = PICK_RADIUS_PX, prefilter: bool = True) -> None:
        self.radius = radius
        self.prefilter = prefilter
        self.framebuffer = Framebuffer(width, height, ("r32ui",), depth=True)
        self.last_ms = 0.0
        self.last_candidates = 0
        self.picks = 0
        self.projections = 0  # views projected by the prefilter (the mouse moving alone reuses one)
        self.buffers: PickBuffers | None = None  # the current cloud's; made again only for a new cloud
        self._cached_key: bytes | None = None
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
        work = self._projected(cloud, view_projection)
        # the biggest point on screen is the nearest one (points.vert's size rule); dense clouds
        # would otherwise send far more candidates than can reach the square
        largest = style.point_size * min(max(style.reference_distance / self._nearest_depth, 0.35), 4.0)
        reach = self.radius + 0.5 * min(max(largest, 1.0), style.max_point_size) + 1.0
        scratch, mask, near = work.scratch, work.mask, work.near
        np.copyto(near, work.inside)
        for row, centre in ((0, cursor[0] + 0.5), (1, cursor[1] + 0.5)):  # |pixel - centre| <= reach
            np.subtract(work.pixels[row], centre, out=scratch)
            np.abs(scratch, out=scratch)
            np.less_equal(scratch, reach, out=mask)
            np.logical_and(near, mask, out=near)
        return np.flatnonzero(near).astype(np.uint32)

    def _projected(self, cloud: PointCloud, view_projection: np.ndarray) -> PickBuffers:
        """The cloud's buffers holding window pixels and the inside-the-frustum flags for this view.
        Cached per (cloud, matrix, viewport): a mouse move over a still view only filters."""
        matrix = np.asarray(view_projection, dtype=np.float32)
        key = matrix.tobytes() + np.array(self.size, np.int32).tobytes()
        if self._cached_key == key and self._projected_cloud is cloud and self.buffers is not None:
            return self.buffers
        if self._columns_cloud is not cloud:
            self._columns = np.ascontiguousarray(cloud.host_positions.T)
            self._columns_cloud = cloud
            self.buffers = PickBuffers(self._columns.shape[1])
        work = self.buffers
        clip, scratch, safe_w, inside, mask = work.clip, work.scratch, work.safe_w, work.inside, work.mask
        x, y, z = self._columns
        # row by row, not positions @ matrix.T: BLAS takes ~30x longer on an (N, 3) @ (3, 4) product
        for r in range(4):
            np.multiply(x, matrix[r, 0], out=clip[r])
            np.multiply(y, matrix[r, 1], out=scratch)
            np.add(clip[r], scratch, out=clip[r])
            np.multiply(z, matrix[r, 2], out=scratch)
            np.add(clip[r], scratch, out=clip[r])
            np.add(clip[r], matrix[r, 3], out=clip[r])
        w = clip[3]
        np.greater(w, 0, out=inside)
        safe_w.fill(1.0)
        np.copyto(safe_w, w, where=inside)
        for r in range(3):  # |clip| <= w on every axis
            np.abs(clip[r], out=scratch)
            np.less_equal(scratch, w, out=mask)
            np.logical_and(inside, mask, out=inside)
        width, height = self.size
        pixels = work.pixels
        np.divide(clip[0], safe_w, out=pixels[0])
        np.add(pixels[0], 1.0, out=pixels[0])
        np.multiply(pixels[0], 0.5 * width, out=pixels[0])
        np.divide(clip[1], safe_w, out=pixels[1])
        np.subtract(1.0, pixels[1], out=pixels[1])
        np.multiply(pixels[1], 0.5 * height, out=pixels[1])
        # clip w = view depth
        self._nearest_depth = float(np.min(w, where=inside, initial=np.inf)) if inside.any() else 1.0
        self._cached_key, self._projected_cloud = key, cloud
        self.projections += 1
        return work

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
