"""Which point is under the cursor: ids rendered into an R32UI + depth framebuffer, scissored to a
small square around the cursor, nearest non-zero id wins.

Even scissored, a GPU pass over every point costs llvmpipe a whole vertex stage (15-25 ms at
60k), so by default a CPU prefilter projects the points with numpy (cached per view) and only
those whose footprint can reach the square are drawn, from a small streamed buffer. The GPU pass
stays the arbiter: depth test and round footprints decide, exactly as the colour pass draws.

The projection keeps only what the filter needs, each point's whole window pixel as two int16s
(4 bytes a point; float clip coordinates for every point were 47), worked out in chunks through
small arrays allocated once (`PickBuffers`), so a turning view, which projects every frame,
allocates nothing that grows with the cloud. Rounding to whole pixels is paid for by a pixel more
of reach: the prefilter may pass a point too many, never one too few.
"""
from __future__ import annotations

import time

import numpy as np
from OpenGL import GL as gl

from latentwalk.engine.gl import Framebuffer
from latentwalk.scenes.explorer.view.points import PointCloud, PointStyle

PICK_RADIUS_PX = 4  # the square is (2r+1)^2 pixels; nearest id within it wins
CHUNK = 65_536  # points projected at a time
OUTSIDE = np.iinfo(np.int16).min  # the pixel column of a point outside the view: far from any cursor


class PickBuffers:
    """The prefilter's arrays for one cloud of `count` points: the projected pixels, reused for every
    view and cursor, and one chunk's work arrays."""

    def __init__(self, count: int) -> None:
        self.count = count
        self.pixel_x = np.empty(count, np.int16)  # window pixel column, OUTSIDE when not in view
        self.pixel_y = np.empty(count, np.int16)  # window pixel row (top-left origin)
        chunk = min(count, CHUNK)
        self.clip = np.empty((3, chunk), np.float32)  # one chunk's pixel x * w, pixel y * w, w
        self.scratch = np.empty(chunk, np.float32)
        self.inside = np.empty(chunk, bool)
        self.mask = np.empty(chunk, bool)
        self.offset = np.empty(chunk, np.uint16)  # a chunk's columns less the cursor's, wrapped


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
        # a point's centre is within `reach` of the cursor pixel's centre; stored as whole pixels
        # (the floor), it is within ceil(reach) + 1 of the cursor pixel
        whole = int(np.ceil(reach)) + 1
        # |x - cursor x| <= whole as one unsigned compare: x - (cursor x - whole), wrapped to 16 bits,
        # is at most 2 * whole exactly then (OUTSIDE wraps far above); chunk by chunk through the
        # work arrays, so a pick at 1M points allocates nothing the size of the cloud
        low = np.uint16((cursor[0] - whole) & 0xFFFF)
        columns = work.pixel_x.view(np.uint16)
        found = []
        for first in range(0, work.count, CHUNK):
            count = min(CHUNK, work.count - first)
            offset, mask = work.offset[:count], work.mask[:count]
            np.subtract(columns[first:first + count], low, out=offset)
            np.less_equal(offset, 2 * whole, out=mask)
            hits = np.flatnonzero(mask)
            if len(hits):
                found.append(hits + first)
        near = np.concatenate(found) if found else np.zeros(0, np.int64)
        y = work.pixel_y[near]
        return near[(y >= cursor[1] - whole) & (y <= cursor[1] + whole)].astype(np.uint32)

    def _projected(self, cloud: PointCloud, view_projection: np.ndarray) -> PickBuffers:
        """The cloud's projected pixels for this view. Cached per (cloud, matrix, viewport): a mouse
        move over a still view only filters."""
        matrix = np.asarray(view_projection, dtype=np.float32)
        key = matrix.tobytes() + np.array(self.size, np.int32).tobytes()
        if self._cached_key == key and self._projected_cloud is cloud and self.buffers is not None:
            return self.buffers
        if self.buffers is None or self._projected_cloud is not cloud or self.buffers.count != cloud.count:
            self.buffers = PickBuffers(cloud.count)
        work = self.buffers
        positions = cloud.host_positions
        rows = self._pixel_rows(matrix)
        nearest = np.inf
        for first in range(0, work.count, CHUNK):
            nearest = min(nearest, self._project_chunk(work, positions[first:first + CHUNK], rows, first))
        # clip w = view depth
        self._nearest_depth = float(nearest) if np.isfinite(nearest) else 1.0
        self._cached_key, self._projected_cloud = key, cloud
        self.projections += 1
        return work

    def _project_chunk(self, work: PickBuffers, points: np.ndarray, rows: np.ndarray, first: int) -> float:
        """Pixels of `points` (rows first.. of the cloud) into the work arrays; their nearest depth in view.
        `rows`: the view-projection's x, y and w rows with the viewport folded in (`_pixel_rows`)."""
        count = len(points)
        clip, scratch = work.clip[:, :count], work.scratch[:count]
        inside, mask = work.inside[:count], work.mask[:count]
        x, y, z = points[:, 0], points[:, 1], points[:, 2]
        # row by row, not points @ rows.T: BLAS takes ~30x longer on an (N, 3) @ (3, 3) product
        for r in range(3):
            np.multiply(x, rows[r, 0], out=clip[r])
            np.multiply(y, rows[r, 1], out=scratch)
            np.add(clip[r], scratch, out=clip[r])
            np.multiply(z, rows[r, 2], out=scratch)
            np.add(clip[r], scratch, out=clip[r])
            np.add(clip[r], rows[r, 3], out=clip[r])
        w = clip[2]
        np.greater(w, 0, out=inside)
        np.logical_not(inside, out=mask)
        np.copyto(w, 1.0, where=mask)  # no division by zero for points never used
        width, height = self.size
        pixel_x, pixel_y = work.pixel_x[first:first + count], work.pixel_y[first:first + count]
        for r, (extent, pixels) in enumerate(((width, pixel_x), (height, pixel_y))):
            np.divide(clip[r], w, out=clip[r])  # the pixel, as a float; inside the view: 0 <= it <= extent
            np.greater_equal(clip[r], 0, out=mask)
            np.logical_and(inside, mask, out=inside)
            np.less_equal(clip[r], extent, out=mask)
            np.logical_and(inside, mask, out=inside)
        nearest = float(np.min(w, where=inside, initial=np.inf))  # clip w = view depth
        np.logical_not(inside, out=mask)
        for r, pixels in ((0, pixel_x), (1, pixel_y)):
            np.copyto(clip[r], OUTSIDE, where=mask)
            np.copyto(pixels, clip[r], casting="unsafe")  # truncation is the floor: inside, pixels are >= 0
        return nearest

    def _pixel_rows(self, matrix: np.ndarray) -> np.ndarray:
        """Rows giving (pixel x * w, pixel y * w, w) for a point, pixels top-left based: the viewport
        transform folded into the view-projection, so a chunk costs three rows, not four and a rescale.
        The depth row is left out: the GPU pass clips by depth, the prefilter need not."""
        width, height = self.size
        matrix = matrix.astype(np.float64)
        x, y, w = matrix[0], matrix[1], matrix[3]
        return np.stack([0.5 * width * (x + w), 0.5 * height * (w - y), w]).astype(np.float32)

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
