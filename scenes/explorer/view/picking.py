"""Which point is under the cursor: ids rendered into an R32UI + depth framebuffer, scissored to a
small square around the cursor, nearest non-zero id wins.

A GPU pass over every point costs llvmpipe a whole vertex stage, and projecting every point on the
CPU cost numpy tens of ms at 1M, which a pick after each view change paid. So the points go once per
cloud (and positions version) into a tree of cells independent of the view (`PickTree`), and a pick
descends from its coarsest cells into those whose bounding sphere the rays reaching the square can
cross, projects only the points of the leaves it reaches and keeps those whose own footprint (the
size rule of points.vert, at the point's depth) can reach the square. Those few are drawn from a
small streamed buffer: the GPU pass stays the arbiter, depth test and round footprints deciding
exactly as the colour pass draws. The tests only ever pass a point too many, never one too few.
"""
from __future__ import annotations

import time

import numpy as np
from OpenGL import GL as gl

from latentwalk.engine.gl import Framebuffer
from latentwalk.scenes.explorer.view.points import PointCloud, PointStyle

PICK_RADIUS_PX = 4  # the square is (2r+1)^2 pixels; nearest id within it wins


def _spread_bits() -> np.ndarray:
    """Each byte value with its bits moved three places apart (bit b to bit 3b): one axis of a Morton code."""
    values = np.arange(256, dtype=np.int32)
    spread = np.zeros(256, np.int32)
    for bit in range(8):
        spread |= ((values >> bit) & 1) << (3 * bit)
    return spread


SPREAD = _spread_bits()
LEVEL_BITS = 2  # each level of the tree splits a cell 4 ways along each axis


def _runs(first: np.ndarray, end: np.ndarray) -> np.ndarray:
    """first[0]..end[0]-1, first[1]..end[1]-1, ... as one array."""
    sizes = end - first
    total = int(sizes.sum())
    if not total:
        return np.zeros(0, np.int64)
    return np.arange(total) + np.repeat(first - (np.cumsum(sizes) - sizes), sizes)


class PickLevel:
    """One level of the pick tree: its occupied cells, in Morton order, boxes of `edge` (per axis)
    whose lowest corners are `low` + `corner` * `edge`, each within `radius` of its centre; cell k holds
    points bounds[k]:bounds[k + 1] (in the tree's order) and the next level's cells
    children[k]:children[k + 1]. Small integers, as a leaf level can hold nearly a cell a point."""

    def __init__(self, bounds: np.ndarray, corner: np.ndarray, low: np.ndarray, edge: np.ndarray,
                 radius: float) -> None:
        self.bounds, self.corner, self.low, self.edge, self.radius = bounds, corner, low, edge, radius
        self.children: np.ndarray | None = None

    def centres1(self, cells: np.ndarray) -> np.ndarray:
        """The centres of `cells` with a 1 appended, ready for the view's rows."""
        centres = np.ones((len(cells), 4))
        centres[:, :3] = self.low + (self.corner[cells] + 0.5) * self.edge
        return centres


class PickTree:
    """The finite points of one cloud in a tree of ever finer cells (4x4x4 splits, only occupied cells
    kept), made once per cloud and independent of the view: a pick descends from the coarsest level
    into the cells that the rays reaching its square can cross, so it tests a few hundred cells and
    projects the points of a few leaves. The points are sorted in Morton order of a lattice of up to
    256 steps an axis, so a cell at any level is one run of them; `order` lists their indices. The
    levels split 2 bits an axis each, the coarsest 1 bit when the lattice's bits are odd."""

    def __init__(self, positions: np.ndarray) -> None:
        # a finite sum is the quick proof that every point is finite (reductions over (N, 3) rows cost
        # ten times one over each column)
        every = bool(np.isfinite(positions.sum(dtype=np.float64)))
        kept = None if every else np.flatnonzero(np.isfinite(positions).all(axis=1))
        points = positions if every else positions[kept]
        self.points = len(points)
        self.levels: list[PickLevel] = []
        if not len(points):
            self.order = np.zeros(0, np.int32)
            return
        low = np.array([points[:, axis].min() for axis in range(3)], np.float64)
        high = np.array([points[:, axis].max() for axis in range(3)], np.float64)
        # 2^bits lattice steps an axis: about a cell per point of an even cloud, so the tree holds about
        # a byte a point besides `order` (finer leaves were 9 bytes a point at 1M and picked no faster)
        bits = int(np.clip(int(np.log2(len(points)) / 3), 2, 8))
        side = 1 << bits
        step = (high - low) / side  # 0 along a flat axis (a 2-d layout): one cell across
        code = np.zeros(len(points), np.int32)
        lattice = []
        for axis in range(3):
            if step[axis] > 0:
                # column by column: arithmetic on (N, 3) arrays costs several times more; in float64,
                # so coordinates near float32's limit cannot overflow to a wrong cell
                along = np.subtract(points[:, axis], low[axis], dtype=np.float64)
                along *= 1.0 / step[axis]
                along = along.astype(np.int32)
                np.clip(along, 0, side - 1, out=along)  # the top edge belongs to the last step
            else:
                along = np.zeros(len(points), np.int32)
            lattice.append(along)
            code |= SPREAD[along] << axis
        # a stable radix sort in two 16-bit passes (numpy sorts 16-bit keys by radix)
        by_code = np.argsort((code & 0xFFFF).astype(np.uint16), kind="stable")
        by_code = by_code[np.argsort((code[by_code] >> 16).astype(np.uint16), kind="stable")]
        self.order = (by_code if every else kept[by_code]).astype(np.int32)
        sorted_code = code[by_code]
        sorted_lattice = [along[by_code].astype(np.uint8) for along in lattice]
        margin = 1e-5 * (1.0 + float(np.abs(low).max() + np.abs(high).max()))  # float32 rounding at a wall
        for level_bits in range(bits % LEVEL_BITS or LEVEL_BITS, bits + 1, LEVEL_BITS):
            coarser = bits - level_bits
            cell = sorted_code >> (3 * coarser)
            first = np.concatenate(([0], np.flatnonzero(cell[1:] != cell[:-1]) + 1))
            edge = step * (1 << coarser)
            corner = np.stack([sorted_lattice[axis][first] >> coarser for axis in range(3)], axis=1)
            radius = 0.5 * float(np.linalg.norm(edge)) * (1 + 1e-4) + margin
            self.levels.append(PickLevel(np.append(first, len(points)).astype(np.int32), corner.astype(np.int16),
                                         low, edge, radius))
        for parent, child in zip(self.levels, self.levels[1:]):
            parent.children = np.searchsorted(child.bounds, parent.bounds).astype(np.int32)

    @property
    def nbytes(self) -> int:
        return self.order.nbytes + sum(level.bounds.nbytes + level.corner.nbytes
                                       + (0 if level.children is None else level.children.nbytes)
                                       for level in self.levels)

    def points_near(self, keep) -> np.ndarray:
        """Places, in the tree's order, of the points in the leaves reached by descending through the
        cells `keep(level, cells)` passes (it returns a mask over `cells`)."""
        if not self.levels:
            return np.zeros(0, np.int64)
        cells = np.arange(len(self.levels[0].bounds) - 1)
        for level in self.levels:
            cells = cells[keep(level, cells)]
            if level.children is not None:
                cells = _runs(level.children[cells].astype(np.int64), level.children[cells + 1].astype(np.int64))
        leaf = self.levels[-1]
        return _runs(leaf.bounds[cells].astype(np.int64), leaf.bounds[cells + 1].astype(np.int64))


class Picker:
    def __init__(self, width: int, height: int, *, radius: int = PICK_RADIUS_PX, prefilter: bool = True) -> None:
        self.radius = radius
        self.prefilter = prefilter
        self.framebuffer = Framebuffer(width, height, ("r32ui",), depth=True)
        self.last_ms = 0.0
        self.last_candidates = 0
        self.last_examined = 0  # points the last pick projected (those of the cells its rays cross)
        self.picks = 0
        self.trees_made = 0  # once per cloud and positions version: turning the view makes none
        self.tree: PickTree | None = None
        self._tree_of: tuple[PointCloud, int] | None = None

    @property
    def size(self) -> tuple[int, int]:
        return self.framebuffer.width, self.framebuffer.height

    def resize(self, width: int, height: int) -> None:
        if (width, height) != self.size:
            self.framebuffer.resize(width, height)

    def forget_cloud(self) -> None:
        """Drop the tree of a cloud that is gone (a model switch), so its memory goes with it."""
        self.tree, self._tree_of = None, None

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
                candidates = self._candidates(cloud, (mx, my), view_projection, view, style)
                self.last_candidates = len(candidates)
            else:
                self.last_candidates = self.last_examined = cloud.count
            if candidates is None or len(candidates):
                result = self._gpu_pick(cloud, (mx, my), view_projection, view, style, candidates)
        self.last_ms = (time.perf_counter() - started) * 1000.0
        return result

    # ----------------------------------------------------------------- CPU prefilter
    def tree_for(self, cloud: PointCloud) -> PickTree:
        """The cloud's tree, made again only when the cloud or its positions changed."""
        key = (cloud, cloud.positions_version)
        if self.tree is None or self._tree_of is None or self._tree_of[0] is not cloud or self._tree_of[1] != key[1]:
            self.tree = PickTree(cloud.host_positions)
            self._tree_of = key
            self.trees_made += 1
        return self.tree

    def _candidates(self, cloud: PointCloud, cursor: tuple[int, int], view_projection: np.ndarray,
                    view: np.ndarray, style: PointStyle) -> np.ndarray:
        """Indices (ascending, uint32) of every point in view whose footprint can reach the square."""
        tree = self.tree_for(cloud)
        rows = self._pixel_rows(np.asarray(view_projection, dtype=np.float64))
        centre_x, centre_y = cursor[0] + 0.5, cursor[1] + 0.5  # the cursor pixel's centre
        grow = max(style.dimmed_scale, 1.0)  # dimming only ever shrinks a point
        # a point p can reach the square when |X(p) - cx W(p)| <= reach W(p) (and the same for y), all
        # linear in p: over a cell's sphere each side moves by at most its gradient's length times the
        # radius; the reach is the largest points.vert gives at the sphere's nearest depth (w is depth)
        w_row = rows[2]
        to_x, to_y = rows[0] - centre_x * w_row, rows[1] - centre_y * w_row
        w_length, x_length, y_length = (float(np.linalg.norm(row[:3])) for row in (w_row, to_x, to_y))

        def reachable(level: PickLevel, cells: np.ndarray) -> np.ndarray:
            centre1 = level.centres1(cells)
            w_centre = centre1 @ w_row
            w_far = w_centre + w_length * level.radius
            nearest = np.maximum(w_centre - w_length * level.radius, 1e-6)
            largest = style.point_size * np.clip(style.reference_distance / nearest, 0.35, 4.0) * grow
            reach = self.radius + 0.5 * np.clip(largest, 1.0, style.max_point_size) + 1.0
            near = w_far > 0
            for row, length in ((to_x, x_length), (to_y, y_length)):
                near &= np.abs(centre1 @ row) - length * level.radius <= reach * w_far
            return near

        places = tree.points_near(reachable)
        self.last_examined = len(places)
        if not len(places):
            return np.zeros(0, np.uint32)
        indices = tree.order[places]
        x, y, z = cloud.host_positions[indices].astype(np.float64).T
        x_w, y_w, w = (row[0] * x + row[1] * y + row[2] * z + row[3] for row in rows)
        eye_z = np.asarray(view, dtype=np.float64)[2]
        depth = np.maximum(-(eye_z[0] * x + eye_z[1] * y + eye_z[2] * z + eye_z[3]), 1e-6)
        size = style.point_size * np.clip(style.reference_distance / depth, 0.35, 4.0) * grow
        reach = self.radius + 0.5 * np.clip(size, 1.0, style.max_point_size) + 1.0
        inside = w > 0
        w = np.where(inside, w, 1.0)
        pixel_x, pixel_y = x_w / w, y_w / w
        width, height = self.size
        # in view across the screen: the GPU pass clips by depth, and by a point's centre
        inside &= (pixel_x >= 0) & (pixel_x <= width) & (pixel_y >= 0) & (pixel_y <= height)
        inside &= (np.abs(pixel_x - centre_x) <= reach) & (np.abs(pixel_y - centre_y) <= reach)
        return np.sort(indices[inside]).astype(np.uint32)

    def _pixel_rows(self, matrix: np.ndarray) -> np.ndarray:
        """Rows giving (pixel x * w, pixel y * w, w) for a point, pixels top-left based: the viewport
        transform folded into the view-projection. The depth row is left out: the GPU pass clips by
        depth, the prefilter need not."""
        width, height = self.size
        x, y, w = matrix[0], matrix[1], matrix[3]
        return np.stack([0.5 * width * (x + w), 0.5 * height * (w - y), w])

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
