"""Screen-space markers at 3-d positions (shaders/marker.*): discs and rings whose size is in pixels, so a
marker reads the same at any zoom, drawn without the depth test so the cloud cannot hide them.

`MarkerRenderer.draw` takes a (k, 9) float32 array, one row a marker: centre xyz, radius in pixels, RGBA,
style (DISC: a disc with a dark rim; RING: a coloured rim with a dark inner edge). `haloed_ring` makes the
rows of a ring with a dark edge on both sides, which stays visible over light and dark points alike.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from OpenGL import GL as gl

from latentwalk.engine.gl import Buffer, Program, VertexArray
from latentwalk.engine.gl.resource import GLResource

FLOATS = 9  # per marker: centre (3), radius, colour (4), style
DISC, RING = 0.0, 1.0


def marker_rows(centre: Sequence[float], radius_px: float, color: Sequence[float], style: float) -> np.ndarray:
    row = np.zeros((1, FLOATS), np.float32)
    row[0, 0:3], row[0, 3], row[0, 4:8], row[0, 8] = centre, radius_px, color, style
    return row


def haloed_ring(centre: Sequence[float], radius_px: float, color: Sequence[float], rim_px: float) -> np.ndarray:
    """A ring of `color` between dark edges: a dark ring one rim wider, then the coloured one over it."""
    return np.concatenate([marker_rows(centre, radius_px + rim_px, (0.0, 0.0, 0.0, 1.0), RING),
                           marker_rows(centre, radius_px, color, RING)])


class MarkerRenderer(GLResource):
    def __init__(self, capacity: int = 4) -> None:
        self.program = Program.from_files("marker.vert", "marker.frag")
        self.buffer = Buffer(usage="stream", nbytes=capacity * FLOATS * 4)
        self.vertices = VertexArray()
        for location, (components, offset) in enumerate(((3, 0), (1, 12), (4, 16), (1, 32))):
            self.vertices.attribute(location, self.buffer, components, stride=FLOATS * 4, offset=offset, divisor=1)

    def draw(self, markers: np.ndarray, view_projection: np.ndarray, viewport: tuple[int, int],
             rim_px: float = 1.5) -> None:
        """Draw the rows of `markers` in order (later ones on top), over whatever is on screen."""
        if not len(markers):
            return
        self.buffer.write(np.ascontiguousarray(markers, np.float32))
        gl.glDisable(gl.GL_DEPTH_TEST)
        self.program.use().set_uniforms(u_view_projection=np.asarray(view_projection, np.float64),
                                        u_viewport=tuple(int(v) for v in viewport), u_rim=float(rim_px))
        self.vertices.draw(gl.GL_TRIANGLE_STRIP, 4, instances=len(markers))
        gl.glEnable(gl.GL_DEPTH_TEST)
        gl.glUseProgram(0)

    def release(self) -> None:
        for resource in (self.vertices, self.buffer, self.program):
            resource.release()
