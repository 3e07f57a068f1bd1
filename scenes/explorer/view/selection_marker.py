"""The selected point's marker: a ring a few times a point's size, in pixels, drawn over the cloud every
frame (engine/markers.py), so a selection stays findable among tens of thousands of points. A drawn digit's
selection and the gamepad's stick cursor have markers of their own (drawing.py, cursor_marker.py) and get
none here."""
from __future__ import annotations

import numpy as np

from latentwalk.engine.markers import MarkerRenderer, haloed_ring
from latentwalk.scenes.explorer.view.cursor_marker import CURSOR_SOURCE

RING_RADIUS_PX = 12.0
RING_RIM_PX = 2.5
RING_COLOR = (1.0, 1.0, 1.0, 1.0)  # white between dark edges: clear on light and dark classes alike


OWN_MARKERS = ("draw", CURSOR_SOURCE)  # free-latent selections marked elsewhere


class SelectionMarker:
    """Attached as one of the scene's overlay renderers; `release` in the scene's close."""

    def __init__(self, scene) -> None:
        self.scene = scene
        self.renderer = MarkerRenderer(capacity=2)
        self.drawn_at: np.ndarray | None = None  # where the last frame drew it (3-d), for tests
        scene.overlay_renderers.append(self.render)

    def position(self) -> np.ndarray | None:
        scene = self.scene
        selection = scene.state.selection
        if selection.index is not None:
            if not 0 <= selection.index < len(scene.installed.positions):  # an index of a model no longer shown
                return None
            return np.asarray(scene.installed.positions[selection.index], np.float64)
        if selection.latent is not None and selection.source not in OWN_MARKERS:
            return np.asarray(scene.installed.projection.to_3d(np.asarray(selection.latent, np.float32)[None])[0], np.float64)
        return None

    def render(self, ctx) -> None:
        position = self.drawn_at = self.position()
        if position is not None:
            self.renderer.draw(haloed_ring(position, RING_RADIUS_PX, RING_COLOR, RING_RIM_PX),
                               ctx.view_projection, ctx.viewport, rim_px=RING_RIM_PX)

    def release(self) -> None:
        self.renderer.release()
