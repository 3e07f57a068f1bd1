"""The UI drawn once into a texture and laid over each frame while it does not change.

ImGui rebuilds its draw data every frame, but while the view turns under still panels that data is
the same frame after frame, and drawing it costs llvmpipe ~4 ms at 1280x720 with every panel open
(thousands of small textured triangles, each with its setup cost), against ~1.5 ms to lay one texture
over the frame. What the UI shows is known by a digest of the draw data's bytes, the display size and
any texture's pixels (`Texture2D.generation`: a decoded image arriving in a panel). A UI that changes
every frame (a hover tooltip following the pointer) is drawn straight onto the frame, as without a
layer; one that came out the same two frames running is drawn into the layer once and laid over
from then on.

Compositing is exact up to 8-bit rounding: the layer is rendered with premultiplied colour and
coverage in alpha (ImGui's blending for colour, "one, one minus source alpha" for alpha), and laid
over the frame with "one, one minus source alpha", which is what blending each triangle onto the
frame in turn gives.
"""
from __future__ import annotations

import contextlib
import ctypes
import hashlib
import math

import numpy as np
from imgui_bundle import imgui
from imgui_bundle.python_backends import opengl_backend_programmable as imgui_gl_backend
from OpenGL import GL as gl

from latentwalk.engine.gl import Buffer, Framebuffer, Program, Texture2D, VertexArray
from latentwalk.engine.gl.resource import GLResource


def draw_data_signature(draw_data, size: tuple[int, int]) -> bytes:
    """A digest of everything that decides what ImGui's draw data puts on screen."""
    digest = hashlib.blake2b(digest_size=16)
    digest.update(repr((tuple(size), tuple(draw_data.display_size), tuple(draw_data.framebuffer_scale),
                        Texture2D.generation)).encode())
    for commands in draw_data.cmd_lists:
        vertices, indices = commands.vtx_buffer, commands.idx_buffer
        digest.update(ctypes.string_at(vertices.data_address(), vertices.size() * imgui.VERTEX_SIZE))
        digest.update(ctypes.string_at(indices.data_address(), indices.size() * imgui.INDEX_SIZE))
        for command in commands.cmd_buffer:
            digest.update(repr((tuple(command.clip_rect), command.tex_ref.get_tex_id(), command.elem_count,
                                command.idx_offset, command.vtx_offset)).encode())
    return digest.digest()


def _drawn_box(commands) -> tuple[float, float, float, float] | None:
    """The box a draw list's triangles cover: its vertices' extent, cut to its commands' clip rects
    (a full-window overlay list clips to the whole window, but may draw one line of text)."""
    clips = [tuple(command.clip_rect) for command in commands.cmd_buffer if command.elem_count]
    vertices = commands.vtx_buffer
    if not clips or not vertices.size():
        return None
    raw = ctypes.string_at(vertices.data_address(), vertices.size() * imgui.VERTEX_SIZE)
    xy = np.frombuffer(raw, np.float32).reshape(-1, imgui.VERTEX_SIZE // 4)[:, :2]  # pos comes first
    low, high = xy.min(axis=0), xy.max(axis=0)
    box = (max(float(low[0]), min(c[0] for c in clips)), max(float(low[1]), min(c[1] for c in clips)),
           min(float(high[0]), max(c[2] for c in clips)), min(float(high[1]), max(c[3] for c in clips)))
    return box if box[2] > box[0] and box[3] > box[1] else None


def covered_rects(draw_data, height: int, scale: tuple[float, float] = (1.0, 1.0)) -> list[tuple[int, int, int, int]]:
    """GL scissor rects (x, y, w, h; bottom-up, framebuffer pixels) that hold everything the UI draws:
    one per draw list (a window, a tooltip, an overlay) when none overlap, else their bounding box,
    since laying the layer twice over a pixel would blend it twice. Empty when the UI draws nothing.
    Call it before the backend renders `draw_data`, which scales its clip rects by `scale` in place."""
    sx, sy = scale
    rects = []  # whole pixels first: boxes apart by half a pixel may still share a pixel once rounded
    for x0, y0, x1, y1 in filter(None, map(_drawn_box, draw_data.cmd_lists)):
        left, right = max(0, math.floor(x0 * sx)), math.ceil(x1 * sx)
        top, bottom = max(0, math.floor(y0 * sy)), min(height, math.ceil(y1 * sy))
        if right > left and bottom > top:
            rects.append((left, top, right, bottom))
    disjoint = all(a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1]
                   for i, a in enumerate(rects) for b in rects[i + 1:])
    if rects and not disjoint:
        rects = [(min(r[0] for r in rects), min(r[1] for r in rects), max(r[2] for r in rects),
                  max(r[3] for r in rects))]
    return [(left, height - bottom, right - left, bottom - top) for left, top, right, bottom in rects]


class _CoverageInAlpha:
    """OpenGL for the ImGui backend, but its blending also keeps coverage in alpha (module docstring)."""

    def __getattr__(self, name):
        return getattr(gl, name)

    @staticmethod
    def glBlendFunc(source, destination):  # noqa: N802 (the GL name the backend calls)
        gl.glBlendFuncSeparate(source, destination, gl.GL_ONE, gl.GL_ONE_MINUS_SRC_ALPHA)


@contextlib.contextmanager
def _coverage_in_alpha():
    original = imgui_gl_backend.gl
    imgui_gl_backend.gl = _CoverageInAlpha()
    try:
        yield
    finally:
        imgui_gl_backend.gl = original


class UiLayer(GLResource):
    def __init__(self) -> None:
        self.framebuffer: Framebuffer | None = None
        self.program = Program.from_files("ui_layer.vert", "ui_layer.frag")
        self.corners = Buffer(usage="dynamic", nbytes=8 * 6 * 16)  # two triangles per covered rect
        self.vao = VertexArray()
        self.vao.attribute(0, self.corners, 2)
        self._corner_count = 0
        self.signature: bytes | None = None
        self.rects: list[tuple[int, int, int, int]] = []  # where the layer holds anything (scissor rects)
        self._last_seen: bytes | None = None  # the previous frame's digest
        self.redraws = 0  # frames the UI was drawn into the layer (tests and benches count them)
        self.reuses = 0  # frames it was laid over from the layer
        self.straight = 0  # frames it was drawn straight onto the frame (it had just changed)

    def invalidate(self) -> None:
        self.signature = None

    def draw(self, renderer, draw_data, size: tuple[int, int]) -> bool:
        """Lay the UI of `draw_data` over the bound (default) framebuffer, redrawing the layer if needed;
        True when the layer now holds it (False: it was drawn straight, having just changed)."""
        width, height = int(size[0]), int(size[1])
        if width <= 0 or height <= 0:
            return False
        signature = draw_data_signature(draw_data, (width, height))
        # ImGui's own textures (the font atlas) are brought up to date by the backend's render
        atlas_pending = any(tex.status != imgui.ImTextureStatus.ok for tex in imgui.get_platform_io().textures)
        seen_before, self._last_seen = self._last_seen, signature
        fits = self.framebuffer is not None and (self.framebuffer.width, self.framebuffer.height) == (width, height)
        if signature == self.signature and fits and not atlas_pending:
            self.reuses += 1
        elif signature == seen_before and not atlas_pending:
            io = imgui.get_io()
            self.rects = covered_rects(draw_data, height, tuple(io.display_framebuffer_scale))
            self._redraw(renderer, draw_data, width, height)
            self._upload_corners(width, height)
            self.signature = signature
            self.redraws += 1
        else:
            renderer.render(draw_data)
            self.straight += 1
            return False
        self.composite(width, height)
        return True

    def _redraw(self, renderer, draw_data, width: int, height: int) -> None:
        if self.framebuffer is None:
            self.framebuffer = Framebuffer(width, height, ("rgba8",), depth=False)
        elif (self.framebuffer.width, self.framebuffer.height) != (width, height):
            self.framebuffer.resize(width, height)
        viewport = gl.glGetIntegerv(gl.GL_VIEWPORT)
        self.framebuffer.clear(color=(0.0, 0.0, 0.0, 0.0))
        self.framebuffer.bind()
        try:
            with _coverage_in_alpha():
                renderer.render(draw_data)
        finally:
            Framebuffer.unbind()
            gl.glViewport(*(int(v) for v in viewport))

    def _upload_corners(self, width: int, height: int) -> None:
        """The covered rects as triangles in normalised device coordinates (one draw lays them all)."""
        triangles = []
        for x, y, w, h in self.rects:
            x0, y0 = 2.0 * x / width - 1.0, 2.0 * y / height - 1.0
            x1, y1 = 2.0 * (x + w) / width - 1.0, 2.0 * (y + h) / height - 1.0
            triangles += [(x0, y0), (x1, y0), (x1, y1), (x0, y0), (x1, y1), (x0, y1)]
        self._corner_count = len(triangles)
        if triangles:
            self.corners.write(np.asarray(triangles, np.float32))

    def composite(self, width: int, height: int) -> None:
        """The layer over whatever the default framebuffer holds, only where it holds something."""
        if self.framebuffer is None or not self.rects:
            return
        viewport = gl.glGetIntegerv(gl.GL_VIEWPORT)  # the frame's, as the backend too leaves it
        gl.glViewport(0, 0, width, height)
        gl.glDisable(gl.GL_DEPTH_TEST)
        gl.glEnable(gl.GL_BLEND)
        gl.glBlendFunc(gl.GL_ONE, gl.GL_ONE_MINUS_SRC_ALPHA)
        self.program.use()
        self.program["layer"] = 0
        gl.glActiveTexture(gl.GL_TEXTURE0)
        gl.glBindTexture(gl.GL_TEXTURE_2D, self.framebuffer.texture(0))
        gl.glDisable(gl.GL_SCISSOR_TEST)
        self.vao.draw(gl.GL_TRIANGLES, self._corner_count)
        gl.glBlendFunc(gl.GL_SRC_ALPHA, gl.GL_ONE_MINUS_SRC_ALPHA)
        gl.glDisable(gl.GL_BLEND)
        gl.glUseProgram(0)
        gl.glViewport(*(int(v) for v in viewport))

    def release(self) -> None:
        if self.framebuffer is not None:
            self.framebuffer.release()
            self.framebuffer = None
        self.vao.release()
        self.corners.release()
        self.program.release()
