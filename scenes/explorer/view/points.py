"""The point cloud on the GPU: positions and labels uploaded once per model, all N points drawn
instanced (GL_POINTS, one vertex x N instances; over DRAW_PART points in parts), per-class colour and
highlight in a tiny texture, and the id pass that picking renders with the same point sizes.

Per-point styles (`set_point_style`: a colour of each point's own, and a mask that dims the points
outside it like a dimmed class) are a fourth per-instance attribute read by separate programs
(points.vert with PER_POINT), used only while some point has a style: colouring by class draws
exactly as before.

Changing highlight, point size or the hovered point touches only uniforms or the C-texel style
texture; the position buffer is written in the constructor and, once, again by `set_order`.

Adaptive detail (detail.py): `set_order` re-uploads positions and labels in a draw order whose every
prefix is a representative subset, with each point's own index as a third per-instance attribute (the
shaders' id, for hover and the id pass). `draw(first=, count=)` then draws a range of that order,
instanced: the VAO's attribute offsets move to the range's (or part's) first instance.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from OpenGL import GL as gl

from latentwalk.engine.gl import Buffer, Program, Texture2D, VertexArray
from latentwalk.engine.gl.resource import GLResource
from latentwalk.scenes.explorer.view.palette import to_u8

POSITION, LABEL, ID, POINT_STYLE = 0, 1, 2, 3
# A draw of more points than this goes in parts, with at most two parts in flight: llvmpipe bins
# every primitive of a draw before it rasterizes and keeps the memory it grew to, ~170 bytes a point
# for one 1M-point draw, ~25 MB in all in parts. Waiting on a fence for the part before last (not a
# glFinish after each) lets the next part's vertices be processed while the last one rasterizes.
DRAW_PART = 65_536
FENCE_WAIT_NS = 2_000_000_000  # a part that takes longer has hung the driver: draw on regardless


@dataclass
class PointStyle:
    """How points look this frame; the pick pass uses the same sizes."""
    point_size: float = 4.0
    reference_distance: float = 1.0
    max_point_size: float = 24.0
    dimmed_scale: float = 0.6
    dim_amount: float = 0.8
    fog_range: tuple[float, float] = (0.0, 1.0)
    fog_amount: float = 0.55
    background: tuple[float, float, float] = (0.08, 0.08, 0.10)
    hovered: int | None = None


def _label_dtype(class_count: int):
    return np.uint8 if class_count <= 256 else (np.uint16 if class_count <= 65536 else np.uint32)


class PointCloud(GLResource):
    def __init__(self, positions: np.ndarray, labels: np.ndarray, colors: np.ndarray) -> None:
        positions = np.ascontiguousarray(positions, dtype=np.float32)
        if positions.ndim != 2 or positions.shape[1] != 3:
            raise ValueError(f"positions must be (N, 3), got {positions.shape}")
        self.count = len(positions)
        # CPU copies for the pick prefilter (changed only by move_to)
        self.host_positions = positions
        self.positions_version = 0  # bumped by move_to: the picker's grid of the points is made again
        self.host_labels = np.asarray(labels)
        self.class_count = len(colors)
        self.label_dtype = _label_dtype(self.class_count)
        self.draw_calls = 0  # real draws of every point: tests check when the scene's 3-d cache skips them
        self.style_version = 0  # bumped when the style texels change (a key of the scene's 3-d cache)
        self.color_program = Program.from_files("points.vert", "points.frag")
        self.pick_program = Program.from_files("points.vert", "pick.frag")
        # the hovered point over a cached copy of the cloud, depth-tested against that copy's depth
        self.over_layer_program = Program.from_files("points.vert", "points.frag", defines=("OVER_LAYER",))
        self.point_styles: np.ndarray | None = None  # (N, 4) uint8 in index order: rgb own colour, a shown
        self.point_colours = False  # whether point_styles' rgb replaces the class colours
        self.point_style_buffer: Buffer | None = None
        self.candidate_styles: Buffer | None = None
        self._per_point_programs: tuple[Program, Program, Program] | None = None  # colour, pick, over layer
        self.position_buffer = Buffer(positions)
        self.label_buffer = Buffer(np.ascontiguousarray(labels, dtype=self.label_dtype))
        self.vao = VertexArray()
        self.vao.attribute(POSITION, self.position_buffer, 3, divisor=1)
        self.vao.attribute(LABEL, self.label_buffer, 1, self.label_dtype, divisor=1)
        # The pick pass draws a few streamed candidates, each carrying its own id.
        self.candidate_positions = Buffer(usage="stream", nbytes=12 * 64)
        self.candidate_labels = Buffer(usage="stream", nbytes=4 * 64)
        self.candidate_ids = Buffer(usage="stream", nbytes=4 * 64)
        self.candidate_vao = VertexArray()
        self.candidate_vao.attribute(POSITION, self.candidate_positions, 3)
        self.candidate_vao.attribute(LABEL, self.candidate_labels, 1, np.uint32)
        self.candidate_vao.attribute(ID, self.candidate_ids, 1, np.uint32)
        self.order: np.ndarray | None = None  # draw slot -> point index, once set_order ran
        self.id_buffer: Buffer | None = None
        self._vao_first = 0  # the instance the VAO's attribute offsets start at
        self.last_drawn = 0  # points drawn by the last draw() (a range while detail is reduced)
        self._colors = np.asarray(colors, dtype=np.float32)
        self._style_texels = np.zeros((1, max(1, self.class_count), 4), np.uint8)
        self._style_texels[0, :self.class_count, :3] = to_u8(self._colors)
        self._style_texels[0, :, 3] = 255
        self.style_texture = Texture2D.from_image(self._style_texels, filter="nearest")

    # ----------------------------------------------------------------- small state
    @property
    def colors(self) -> np.ndarray:
        """RGB per class, floats in [0, 1]."""
        return self._colors

    def set_colors(self, colors: np.ndarray) -> None:
        """New RGB per class (C texels uploaded)."""
        self._colors = np.asarray(colors, dtype=np.float32)
        self._style_texels[0, :self.class_count, :3] = to_u8(self._colors[:self.class_count])
        self.style_texture.update(self._style_texels)
        self.style_version += 1

    def set_highlight(self, highlighted: np.ndarray) -> None:
        """bool per class: True draws the class fully, False dims it (C texels uploaded)."""
        alpha = np.where(np.asarray(highlighted, bool), 255, 0).astype(np.uint8)
        if np.array_equal(self._style_texels[0, :self.class_count, 3], alpha):
            return
        self._style_texels[0, :self.class_count, 3] = alpha
        self.style_texture.update(self._style_texels)
        self.style_version += 1

    def set_point_style(self, colours: np.ndarray | None = None, mask: np.ndarray | None = None) -> None:
        """A colour of each point's own ((N, 3) floats in [0, 1]; None: the class colours) and a mask
        ((N,) bool; False dims the point like a dimmed class, on top of the class highlight; None:
        none). Both None: every point is drawn by its class again."""
        if colours is None and mask is None:
            if self.point_styles is not None:
                self.point_styles, self.point_colours = None, False
                self.style_version += 1
            return
        styles = np.zeros((self.count, 4), np.uint8)
        if colours is not None:
            colours = np.asarray(colours, np.float32)
            if colours.shape != (self.count, 3):
                raise ValueError(f"point colours must be ({self.count}, 3), got {colours.shape}")
            styles[:, :3] = to_u8(colours)
        if mask is not None:
            mask = np.asarray(mask)
            if mask.shape != (self.count,):
                raise ValueError(f"a point mask must be ({self.count},), got {mask.shape}")
            styles[:, 3] = np.where(mask.astype(bool), 255, 0)
        else:
            styles[:, 3] = 255
        if self._per_point_programs is None:
            self._per_point_programs = (
                Program.from_files("points.vert", "points.frag", defines=("PER_POINT",)),
                Program.from_files("points.vert", "pick.frag", defines=("PER_POINT",)),
                Program.from_files("points.vert", "points.frag", defines=("PER_POINT", "OVER_LAYER")))
            self.point_style_buffer = Buffer(nbytes=4 * max(1, self.count))
            self.candidate_styles = Buffer(usage="stream", nbytes=4 * 64)
            self.candidate_vao.attribute(POINT_STYLE, self.candidate_styles, 4, np.uint8, normalized=True)
        self.point_styles, self.point_colours = styles, colours is not None
        self.point_style_buffer.write(styles if self.order is None else styles[self.order])
        self._vao_first = -1
        self._point_vao_at(0)
        self.style_version += 1

    def _programs(self) -> tuple[Program, Program, Program]:
        """The colour, pick and over-layer programs for how points are styled now."""
        if self.point_styles is None:
            return self.color_program, self.pick_program, self.over_layer_program
        return self._per_point_programs

    def set_order(self, order: np.ndarray) -> None:
        """Upload the points in draw order `order` (a permutation, slot -> index), so that any prefix
        of the buffers is the subset that order chose; every id the shaders see stays the point's index."""
        order = np.ascontiguousarray(order, dtype=np.uint32)
        if order.shape != (self.count,):
            raise ValueError(f"draw order must be a permutation of {self.count} points, got shape {order.shape}")
        self.position_buffer.write(self.host_positions[order])
        self.label_buffer.write(np.ascontiguousarray(self.host_labels[order], dtype=self.label_dtype))
        if self.point_styles is not None:
            self.point_style_buffer.write(self.point_styles[order])
        if self.id_buffer is None:
            self.id_buffer = Buffer(order)
        else:
            self.id_buffer.write(order)
        self.order = order
        self._vao_first = -1  # point all three attributes at the new buffers
        self._point_vao_at(0)

    def move_to(self, positions: np.ndarray) -> None:
        """New places for every point (a layout's flight). The host copy changes in place (the
        picker's prefilter sees the new version); the GPU copy follows the draw order when one is set."""
        np.copyto(self.host_positions, positions, casting="same_kind")
        self.positions_version += 1
        self.position_buffer.write(self.host_positions if self.order is None else self.host_positions[self.order])

    @property
    def ordered(self) -> bool:
        return self.order is not None

    def _point_vao_at(self, first: int) -> None:
        if first == self._vao_first:
            return
        self.vao.attribute(POSITION, self.position_buffer, 3, offset=12 * first, divisor=1)
        self.vao.attribute(LABEL, self.label_buffer, 1, self.label_dtype,
                           offset=np.dtype(self.label_dtype).itemsize * first, divisor=1)
        if self.id_buffer is not None:
            self.vao.attribute(ID, self.id_buffer, 1, np.uint32, offset=4 * first, divisor=1)
        if self.point_style_buffer is not None:
            self.vao.attribute(POINT_STYLE, self.point_style_buffer, 4, np.uint8, offset=4 * first, divisor=1,
                               normalized=True)
        self._vao_first = first

    def _draw_range(self, program: Program, first: int, count: int) -> int:
        """Instances [first, first + count) of the draw order, clipped to the cloud, in parts of at most
        DRAW_PART instances (module docstring); how many were drawn."""
        first = max(0, min(int(first), self.count))
        count = max(0, min(int(count), self.count - first))
        end = first + count
        in_flight = None  # the fence after the part before the one just drawn
        try:
            for part in range(first, end, DRAW_PART):
                self._point_vao_at(part)
                program["first_instance"] = part
                self.vao.draw(gl.GL_POINTS, 1, instances=min(DRAW_PART, end - part))
                if part + DRAW_PART < end:
                    before, in_flight = in_flight, gl.glFenceSync(gl.GL_SYNC_GPU_COMMANDS_COMPLETE, 0)
                    if before is not None:
                        try:
                            gl.glClientWaitSync(before, gl.GL_SYNC_FLUSH_COMMANDS_BIT, FENCE_WAIT_NS)
                        finally:
                            gl.glDeleteSync(before)
        finally:
            if in_flight is not None:
                gl.glDeleteSync(in_flight)
        return count

    # ----------------------------------------------------------------- drawing
    def _set_uniforms(self, program: Program, view_projection, view, style: PointStyle, *,
                      from_attribute: bool, hovered: int | None) -> None:
        """Uniforms every program drawing points shares (the colour ones are no-ops for the id pass)."""
        program.use()
        program["view_projection"] = view_projection
        program["view"] = view
        program["point_size"] = style.point_size
        program["reference_distance"] = style.reference_distance
        program["max_point_size"] = style.max_point_size
        program["dimmed_scale"] = style.dimmed_scale
        program["fog_range"] = style.fog_range
        program["id_from_attribute"] = int(from_attribute)
        program["hovered"] = -1 if hovered is None else int(hovered)
        program["class_style"] = 0
        program["background"] = style.background
        program["dim_amount"] = style.dim_amount
        program["fog_amount"] = style.fog_amount
        if self.point_styles is not None:
            program["point_colours"] = int(self.point_colours)
        self.style_texture.bind(0)

    def draw(self, view_projection: np.ndarray, view: np.ndarray, style: PointStyle, *, first: int = 0,
             count: int | None = None) -> None:
        """Every point (or, once ordered, the draw-order range [first, first + count)), one draw call;
        depth test on, into whatever framebuffer is bound."""
        gl.glEnable(gl.GL_DEPTH_TEST)
        gl.glEnable(gl.GL_PROGRAM_POINT_SIZE)
        program = self._programs()[0]
        self._set_uniforms(program, view_projection, view, style, from_attribute=self.ordered,
                           hovered=style.hovered)
        if not self.ordered:  # without an order a range is not a fair subset: draw every point
            first, count = 0, None
        self.last_drawn = self._draw_range(program, first, self.count if count is None else count)
        self.draw_calls += 1

    def draw_hovered(self, view_projection: np.ndarray, view: np.ndarray, style: PointStyle,
                     layer_depth: int | None = None) -> None:
        """Only the hovered point, enlarged, over a cloud already drawn without it: hovering then never
        redraws the whole cloud. Nearer points keep covering it: the depth test runs against the
        bound framebuffer's depth or, when the cloud is a cached copy, `layer_depth` (a depth texture)."""
        if style.hovered is None:
            return
        gl.glEnable(gl.GL_PROGRAM_POINT_SIZE)
        if layer_depth is None:
            gl.glEnable(gl.GL_DEPTH_TEST)
            gl.glDepthFunc(gl.GL_LEQUAL)  # its own copy in the cloud sits at the same depth
        else:
            gl.glDisable(gl.GL_DEPTH_TEST)
        gl.glDepthMask(gl.GL_FALSE)
        index = np.asarray([style.hovered])
        colour_program, _, over_layer_program = self._programs()
        program = colour_program if layer_depth is None else over_layer_program
        self._set_uniforms(program, view_projection, view, style, from_attribute=True, hovered=style.hovered)
        program["layer_depth"] = 1
        if layer_depth is not None:
            gl.glActiveTexture(gl.GL_TEXTURE1)
            gl.glBindTexture(gl.GL_TEXTURE_2D, layer_depth)
            gl.glActiveTexture(gl.GL_TEXTURE0)
        self.candidate_positions.write(self.positions_of(index))
        self.candidate_labels.write(self.labels_of(index))
        self.candidate_ids.write(index.astype(np.uint32))
        self._write_candidate_styles(index)
        self.candidate_vao.draw(gl.GL_POINTS, 1)
        gl.glDepthMask(gl.GL_TRUE)
        gl.glDepthFunc(gl.GL_LESS)
        gl.glEnable(gl.GL_DEPTH_TEST)

    def draw_ids(self, view_projection: np.ndarray, view: np.ndarray, style: PointStyle,
                 candidates: np.ndarray | None = None) -> None:
        """Ids (index + 1) of `candidates` (indices), or of every point when None, with the colour
        pass's sizes (hover enlargement aside: picking must not depend on what was picked)."""
        gl.glEnable(gl.GL_DEPTH_TEST)
        gl.glEnable(gl.GL_PROGRAM_POINT_SIZE)
        program = self._programs()[1]
        self._set_uniforms(program, view_projection, view, style,
                           from_attribute=candidates is not None or self.ordered, hovered=None)
        if candidates is None:
            self._draw_range(program, 0, self.count)  # picking always considers every point
            return
        if not len(candidates):
            return
        self.candidate_positions.write(self.positions_of(candidates))
        self.candidate_labels.write(self.labels_of(candidates))
        self.candidate_ids.write(np.ascontiguousarray(candidates, dtype=np.uint32))
        self._write_candidate_styles(candidates)
        self.candidate_vao.draw(gl.GL_POINTS, len(candidates))

    def _write_candidate_styles(self, indices: np.ndarray) -> None:
        if self.point_styles is not None:
            self.candidate_styles.write(np.ascontiguousarray(self.point_styles[indices]))

    def positions_of(self, indices: np.ndarray) -> np.ndarray:
        return np.ascontiguousarray(self.host_positions[indices], dtype=np.float32)

    def labels_of(self, indices: np.ndarray) -> np.ndarray:
        return np.ascontiguousarray(self.host_labels[indices], dtype=np.uint32)

    def gl_ids(self) -> dict[str, int]:
        """GL object names this cloud holds (tests check they are released on model switch)."""
        return {"position_buffer": self.position_buffer.id, "label_buffer": self.label_buffer.id,
                "vao": self.vao.id, "style_texture": self.style_texture.id,
                "color_program": self.color_program.id, "pick_program": self.pick_program.id,
                "over_layer_program": self.over_layer_program.id}

    def release(self) -> None:
        if self.id_buffer is not None:
            self.id_buffer.release()
        if self._per_point_programs is not None:
            for resource in (*self._per_point_programs, self.point_style_buffer, self.candidate_styles):
                resource.release()
        for resource in (self.vao, self.candidate_vao, self.position_buffer, self.label_buffer,
                         self.candidate_positions, self.candidate_labels, self.candidate_ids,
                         self.style_texture, self.color_program, self.pick_program, self.over_layer_program):
            resource.release()
