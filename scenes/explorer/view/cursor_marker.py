"""The gamepad cursor's marker: a crosshair ring (shaders/crosshair.frag on marker.vert's screen-space
quads) where a selection made with the pad's stick lies, over everything in the 3-d view.

It is drawn from the state alone: while the selection is a free latent with source "gamepad" (the
stick's cursor, scenes/kiosk/pad_driver.py), at that latent's place in the view. Any other selection,
or none, takes it away; it needs no redraw bookkeeping of its own, since the selection and the view
each have their version."""
from __future__ import annotations

import numpy as np
from OpenGL import GL as gl

from latentwalk.engine.gl import Buffer, Program, VertexArray

CURSOR_SOURCE = "gamepad"
CURSOR_COLOR = (1.0, 0.85, 0.2, 1.0)  # amber: apart from the class colours, the walk's and a drawing's marker
CURSOR_RADIUS_PX = 14.0
LINE_PX, OUTLINE_PX = 2.0, 1.0
_FLOATS = 9  # marker.vert's instance: centre (3), radius, colour (4), style


class CursorMarker:
    """Made by the explorer; `render(ctx)` is one of its overlay renderers."""

    def __init__(self, scene) -> None:
        self.scene = scene
        self._program = Program.from_files("marker.vert", "crosshair.frag")
        self._buffer = Buffer(usage="stream", nbytes=_FLOATS * 4)
        self._quad = VertexArray()
        for location, (components, offset) in enumerate(((3, 0), (1, 12), (4, 16), (1, 32))):
            self._quad.attribute(location, self._buffer, components, stride=_FLOATS * 4, offset=offset, divisor=1)
        scene.overlay_renderers.append(self.render)

    def position(self) -> np.ndarray | None:
        """The cursor in the view's 3-d space, or None when the stick's cursor is not the selection."""
        selection = self.scene.state.selection
        if selection.source != CURSOR_SOURCE or selection.latent is None:
            return None
        return self.scene.installed.projection.to_3d(np.asarray(selection.latent)[None])[0]

    def render(self, ctx) -> None:
        position = self.position()
        if position is None:
            return
        data = np.zeros(_FLOATS, np.float32)
        data[0:3], data[3], data[4:8] = position, CURSOR_RADIUS_PX, CURSOR_COLOR
        gl.glDisable(gl.GL_DEPTH_TEST)  # over the points, wherever the cursor is in the cloud
        self._buffer.write(data)
        self._program.use().set_uniforms(u_view_projection=np.asarray(ctx.view_projection, np.float64),
                                         u_viewport=tuple(int(v) for v in ctx.viewport),
                                         u_line=LINE_PX, u_outline=OUTLINE_PX)
        self._quad.draw(gl.GL_TRIANGLE_STRIP, 4, instances=1)
        gl.glEnable(gl.GL_DEPTH_TEST)
        gl.glUseProgram(0)

    def release(self) -> None:
        for resource in (self._quad, self._buffer, self._program):
            resource.release()
