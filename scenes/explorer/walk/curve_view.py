"""The walk drawn in 3-d: the curve as a line of real width, the control points numbered, the position marked.

- The curve is a polyline (every control point is one of its vertices, so the drawn line passes through
  the points) uploaded once per change of the path; one instanced draw expands every segment into a
  screen-space capsule `width_px` wide (shaders/curve.*). The part already walked has its own colour.
- The curve is an overlay, drawn over the scene's 3-d layer every frame, never in it: playback moves
  the walked part's end each frame, and a cached layer that changed with it would count as moving
  and draw a big cloud thinned. Over a cached copy of the cloud the full-strength pass tests the
  copy's depth texture (`layer_depth`, shaders/curve.frag's OVER_LAYER); over a cloud drawn straight
  into the window, the window's depth.
- The curve is drawn twice: depth-tested at full strength where it is in front of the cloud, then
  faint (HIDDEN_OPACITY) over the points where the cloud hides it, so the whole walk stays readable and
  depth still shows. The faint pass puts every fragment at the near plane with a LESS depth test, so
  each pixel is blended once however many segment caps overlap there (and over the full-strength
  part it blends the same colour, which changes nothing); it leaves depth 0 under the curve, so draw
  nothing depth-tested after it.
- Markers (shaders/marker.*) are screen-space discs: control points as filled discs with a dark rim,
  the current position as a larger ring. They are drawn without depth testing, on purpose: a chosen
  point buried inside the cloud must stay visible and clickable in the list.
- Numbers: `draw_labels()` (call it while building the UI) writes each control point's number with
  ImGui's background draw list, beside the pixel the last `render` projected it to. Points drawn on
  top of one another share a label ("3,4"); a label that would cover another goes to another side.
- 3-d positions come from the scene's `project` callable, latent (m, d) -> (m, 3); for d > 3 that is
  the scene's PCA. A linear projection maps the latent curve's polyline onto the drawn one exactly.
"""
from __future__ import annotations

from typing import Callable, Sequence

import numpy as np
from OpenGL import GL as gl

from latentwalk.engine.gl import Buffer, Program, VertexArray

Projector = Callable[[np.ndarray], np.ndarray]
Label = tuple[str, float, float, float, float]  # text, top-left x, y, width, height (window pixels)

CURVE_COLOR = (0.98, 0.92, 0.55, 1.0)
WALKED_COLOR = (1.0, 0.55, 0.10, 1.0)
POINT_COLOR = (0.20, 0.85, 1.0, 1.0)
MARKER_COLOR = (1.0, 0.25, 0.35, 1.0)
LABEL_COLOR = (1.0, 1.0, 1.0, 1.0)
SAMPLES_PER_SEGMENT = 48
MAX_SAMPLES = 8192
RIM_PX = 1.5
HIDDEN_OPACITY = 0.5  # of the curve where the cloud is in front of it
_MARKER_STRIDE = 9  # floats per marker: centre (3), radius, colour (4), style


class CurveView:
    def __init__(self, *, width_px: float = 4.0, point_radius_px: float = 7.0,
                 marker_radius_px: float = 10.0) -> None:
        self.width_px = float(width_px)
        self.point_radius_px = float(point_radius_px)
        self.marker_radius_px = float(marker_radius_px)
        self.show_labels = True
        self.show_points = True
        self.show_marker = True
        self._curve_program = Program.from_files("curve.vert", "curve.frag")
        self._over_layer_program = Program.from_files("curve.vert", "curve.frag", defines=("OVER_LAYER",))
        self._marker_program = Program.from_files("marker.vert", "marker.frag")
        self._positions = Buffer(usage="dynamic", nbytes=12)
        self._params = Buffer(usage="dynamic", nbytes=4)
        self._segments = VertexArray()
        self._segments.attribute(0, self._positions, 3, stride=12, offset=0, divisor=1)
        self._segments.attribute(1, self._positions, 3, stride=12, offset=12, divisor=1)
        self._segments.attribute(2, self._params, 1, stride=4, offset=0, divisor=1)
        self._segments.attribute(3, self._params, 1, stride=4, offset=4, divisor=1)
        self._marker_buffer = Buffer(usage="stream", nbytes=_MARKER_STRIDE * 4)
        self._markers = VertexArray()
        stride = _MARKER_STRIDE * 4
        for location, (components, offset) in enumerate(((3, 0), (1, 12), (4, 16), (1, 32))):
            self._markers.attribute(location, self._marker_buffer, components, stride=stride, offset=offset,
                                    divisor=1)
        self._segment_count = 0
        self.control_points_3d = np.zeros((0, 3))
        self.marker_3d: np.ndarray | None = None
        self.current_t: float | None = None
        self.label_pixels = np.zeros((0, 2))  # top-left origin, from the last render
        self.labels: list[Label] = []  # as last drawn by draw_labels
        self._synced: tuple[int, int] | None = None
        self._projection_version = 0
        self._geometry_version = 0

    # -- geometry --------------------------------------------------------------------------------
    def set_geometry(self, polyline: np.ndarray, params: np.ndarray, control_points: np.ndarray) -> None:
        """A polyline (n, 3) with each vertex's arc-length fraction (n,), and the control points (k, 3)."""
        polyline = np.ascontiguousarray(polyline, dtype=np.float32).reshape(-1, 3)
        params = np.ascontiguousarray(params, dtype=np.float32).reshape(-1)
        if len(params) != len(polyline):
            raise ValueError(f"{len(polyline)} polyline vertices but {len(params)} parameters")
        self._segment_count = max(0, len(polyline) - 1)
        if self._segment_count:
            self._positions.write(polyline)
            self._params.write(params)
        self.control_points_3d = np.asarray(control_points, dtype=np.float64).reshape(-1, 3)
        self._geometry_version += 1

    def set_marker(self, position: Sequence[float] | None, t: float | None = None) -> None:
        """The current position in 3-d (None: no marker) and its t, which splits walked from ahead."""
        self.marker_3d = None if position is None else np.asarray(position, dtype=np.float64).reshape(3)
        self.current_t = t

    def invalidate(self) -> None:
        """The projection changed (another model, another PCA): rebuild on the next `sync`."""
        self._projection_version += 1

    def sync(self, path, project: Projector) -> None:
        """Follow a `WalkPath`: geometry when it changed, the marker every call (it moves when playing)."""
        key = (path.version, self._projection_version)
        curve = path.curve
        if key != self._synced:
            self._synced = key
            if curve is None:
                self.set_geometry(np.zeros((0, 3)), np.zeros(0), np.zeros((0, 3)))
            else:
                count = min(MAX_SAMPLES, SAMPLES_PER_SEGMENT * max(1, len(path)) + 1)
                params = np.union1d(np.linspace(0.0, 1.0, count), curve.control_point_params())
                self.set_geometry(_projected(project, curve.at(params)), params,
                                  _projected(project, path.control_latents()))
        if curve is None:
            self.set_marker(None)
        else:
            t = path.traversal.t
            self.set_marker(_projected(project, curve.at(t)[None])[0], t)

    # -- drawing ---------------------------------------------------------------------------------
    def render(self, view_projection: np.ndarray, viewport: tuple[int, int]) -> None:
        """Draw into the bound framebuffer; `view_projection` is a math-convention 4x4 (clip = M @ p)."""
        self.render_curve(view_projection, viewport)
        self.render_markers(view_projection, viewport)

    def render_curve(self, view_projection: np.ndarray, viewport: tuple[int, int],
                     layer_depth: int | None = None) -> None:
        """The line alone, depth-tested against what is already drawn (the cloud): the bound
        framebuffer's depth or, when the cloud is a cached copy, `layer_depth` (its depth texture)."""
        width, height = int(viewport[0]), int(viewport[1])
        matrix = np.asarray(view_projection, dtype=np.float64)
        if self._segment_count:
            program = (self._curve_program if layer_depth is None else self._over_layer_program).use()
            if layer_depth is not None:
                program["layer_depth"] = 1
                gl.glActiveTexture(gl.GL_TEXTURE1)
                gl.glBindTexture(gl.GL_TEXTURE_2D, layer_depth)
                gl.glActiveTexture(gl.GL_TEXTURE0)
            program.set_uniforms(u_view_projection=matrix, u_viewport=(width, height), u_width=self.width_px,
                                 u_color=CURVE_COLOR, u_walked_color=WALKED_COLOR,
                                 u_current_t=-1.0 if self.current_t is None else self.current_t)
            gl.glEnable(gl.GL_DEPTH_TEST)
            gl.glDepthFunc(gl.GL_LEQUAL)
            program.set_uniforms(u_on_top=0.0, u_opacity=1.0)
            self._segments.draw(gl.GL_TRIANGLE_STRIP, 4, instances=self._segment_count)
            blending = gl.glIsEnabled(gl.GL_BLEND)
            gl.glEnable(gl.GL_BLEND)
            gl.glBlendFunc(gl.GL_SRC_ALPHA, gl.GL_ONE_MINUS_SRC_ALPHA)
            gl.glDepthFunc(gl.GL_LESS)
            program.set_uniforms(u_on_top=1.0, u_opacity=HIDDEN_OPACITY)
            self._segments.draw(gl.GL_TRIANGLE_STRIP, 4, instances=self._segment_count)
            if not blending:
                gl.glDisable(gl.GL_BLEND)
        gl.glUseProgram(0)

    def render_markers(self, view_projection: np.ndarray, viewport: tuple[int, int]) -> None:
        """Control points and the position ring, over everything (they ignore depth): an overlay that
        needs nothing below it redrawn when only the marker moves."""
        width, height = int(viewport[0]), int(viewport[1])
        matrix = np.asarray(view_projection, dtype=np.float64)
        self.label_pixels = _to_pixels(matrix, self.control_points_3d, width, height)
        markers = self._marker_data()
        if len(markers):
            gl.glDisable(gl.GL_DEPTH_TEST)
            self._marker_buffer.write(markers)
            program = self._marker_program.use()
            program.set_uniforms(u_view_projection=matrix, u_viewport=(width, height), u_rim=RIM_PX)
            self._markers.draw(gl.GL_TRIANGLE_STRIP, 4, instances=len(markers))
            gl.glEnable(gl.GL_DEPTH_TEST)
        gl.glUseProgram(0)

    def _marker_data(self) -> np.ndarray:
        k = len(self.control_points_3d) if self.show_points else 0
        marked = self.marker_3d is not None and self.show_marker
        data = np.zeros((k + marked, _MARKER_STRIDE), np.float32)
        data[:k, 0:3] = self.control_points_3d[:k]
        data[:k, 3] = self.point_radius_px
        data[:k, 4:8] = POINT_COLOR
        if marked:  # last, so it is drawn over a control point it sits on
            data[k, 0:3] = self.marker_3d
            data[k, 3] = self.marker_radius_px
            data[k, 4:8] = MARKER_COLOR
            data[k, 8] = 1.0
        return data

    def draw_labels(self) -> None:
        """Number the control points (1-based, as in the list panel); call between new_frame and render."""
        if not (self.show_labels and self.show_points) or not len(self.label_pixels):
            self.labels = []
            return
        from imgui_bundle import imgui

        def text_size(text: str) -> tuple[float, float]:
            size = imgui.calc_text_size(text)
            return size.x, size.y

        self.labels = place_labels(self.label_pixels, text_size, self.point_radius_px)
        draw_list = imgui.get_background_draw_list()
        color = imgui.get_color_u32(imgui.ImVec4(*LABEL_COLOR))
        for text, x, y, _, _ in self.labels:
            draw_list.add_text(imgui.ImVec2(float(x), float(y)), color, text)

    def release(self) -> None:
        for resource in (self._segments, self._markers, self._positions, self._params, self._marker_buffer,
                         self._curve_program, self._over_layer_program, self._marker_program):
            resource.release()


def _projected(project: Projector, latents: np.ndarray) -> np.ndarray:
    points = np.asarray(project(np.asarray(latents, dtype=np.float64)), dtype=np.float64)
    if points.shape != (len(latents), 3):
        raise ValueError(f"projection returned shape {points.shape} for {len(latents)} latents, expected (m, 3)")
    return points


def _to_pixels(matrix: np.ndarray, points: np.ndarray, width: int, height: int) -> np.ndarray:
    """World points -> window pixels (top-left origin) as GL maps them; NaN for points behind the eye."""
    if not len(points):
        return np.zeros((0, 2))
    clip = np.c_[points, np.ones(len(points))] @ matrix.T
    w = clip[:, 3]
    ahead = w > 0
    ndc = clip[:, :2] / np.where(ahead, w, 1.0)[:, None]
    pixels = np.c_[(ndc[:, 0] + 1) * 0.5 * width, (1 - ndc[:, 1]) * 0.5 * height]
    pixels[~ahead] = np.nan
    return pixels


def place_labels(pixels: np.ndarray, text_size: Callable[[str], tuple[float, float]],
                 radius: float) -> list[Label]:
    """Labels for points at `pixels` (numbered from 1; NaN rows are off screen): points closer than
    `radius` share one; each goes up-right of its point, else the first other corner that covers no
    label placed before it (else up-right anyway)."""
    groups: list[tuple[list[int], np.ndarray]] = []
    for number, pixel in enumerate(np.asarray(pixels, dtype=np.float64).reshape(-1, 2), start=1):
        if not np.all(np.isfinite(pixel)):
            continue
        for numbers, anchor in groups:
            if np.hypot(*(pixel - anchor)) < radius:
                numbers.append(number)
                break
        else:
            groups.append(([number], pixel))
    placed: list[Label] = []
    offset = radius + 2.0
    for numbers, (x, y) in groups:
        text = ",".join(str(n) for n in numbers)
        w, h = text_size(text)
        corners = [(x + offset, y - offset - h), (x + offset, y + offset),
                   (x - offset - w, y - offset - h), (x - offset - w, y + offset)]
        free = [c for c in corners if not any(_overlap((*c, w, h), label[1:]) for label in placed)]
        left, top = (free or corners)[0]
        placed.append((text, float(left), float(top), float(w), float(h)))
    return placed


def _overlap(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> bool:
    return a[0] < b[0] + b[2] and b[0] < a[0] + a[2] and a[1] < b[1] + b[3] and b[1] < a[1] + a[3]
