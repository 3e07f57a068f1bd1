"""The explorer's 3-d layer (guides, points, extra renderers) and its offscreen cache.

A layer that changes frame to frame (the camera moving, playback) is drawn straight into the window;
one whose key stayed the same for two frames is drawn once more into an offscreen framebuffer (colour
+ depth) and copied from then on, so a frame where only the pointer or the hovered point changed
costs a blit. The key is built by the scene from state versions (scene.py, `layer_key`); None means
some renderer cannot say what it draws, and then every frame draws afresh.

The cache's bookkeeping (which key its pixels show) is the only thing drawing changes: it is not
explorer state, and drawing the same state twice gives the same pixels.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Hashable

import numpy as np
from OpenGL import GL as gl

from latentwalk.engine.gl.framebuffer import Framebuffer
from latentwalk.scenes.explorer.view.points import PointStyle
from latentwalk.scenes.explorer.model.projection import LatentProjection


@dataclass(frozen=True)
class RenderContext:
    """What an extra renderer needs to draw in the cloud's space, this frame."""
    view_projection: np.ndarray  # float32 4x4, maths convention (Program transposes)
    view: np.ndarray
    alpha: float
    viewport: tuple[int, int]
    style: PointStyle
    projection: LatentProjection


class LayerCache:
    def __init__(self) -> None:
        self.framebuffer: Framebuffer | None = None
        self.key: Hashable | None = None  # what the framebuffer shows; None: nothing valid there
        self._previous: Hashable | None = None  # the key of the last layer drawn
        self.reuses = 0  # frames that blitted the cached layer instead of drawing it

    def invalidate(self) -> None:
        """Draw afresh next frame (for a change no key can see)."""
        self.key = self._previous = None

    def draw(self, key: Hashable | None, viewport: tuple[int, int], clear_color,
             draw_layer: Callable[[], None]) -> None:
        """Show the layer for `key` in the window: a blit when cached, else `draw_layer()` into the
        cache (second frame at rest) or straight into the window (the App has cleared it)."""
        if key is not None and key == self.key and self._fits(viewport):
            self.reuses += 1
        elif key is not None and key == self._previous:
            target = self._target(viewport)
            target.clear(color=clear_color)
            target.bind()
            gl.glDisable(gl.GL_SCISSOR_TEST)
            draw_layer()
            self.key = key
        else:
            gl.glDisable(gl.GL_SCISSOR_TEST)
            gl.glBindFramebuffer(gl.GL_FRAMEBUFFER, 0)
            gl.glViewport(0, 0, *viewport)
            draw_layer()
            self.key = None
        self._previous = key
        if self.key is not None:
            self._blit(viewport)

    @property
    def depth_texture_id(self) -> int | None:
        """The cached depth, while the window shows the cached layer (the hovered point tests it)."""
        return None if self.key is None else self.framebuffer.depth_texture_id

    def _fits(self, viewport) -> bool:
        fb = self.framebuffer
        return fb is not None and (fb.width, fb.height) == tuple(viewport)

    def _target(self, viewport) -> Framebuffer:
        width, height = viewport
        if self.framebuffer is None:
            self.framebuffer = Framebuffer(width, height, ("rgba8",), depth_texture=True)
        elif not self._fits(viewport):
            self.framebuffer.resize(width, height)
        return self.framebuffer

    def _blit(self, viewport) -> None:
        """The layer's colour into the window's framebuffer, pixel for pixel; depth stays the window's."""
        width, height = self.framebuffer.width, self.framebuffer.height
        gl.glDisable(gl.GL_SCISSOR_TEST)
        gl.glBindFramebuffer(gl.GL_READ_FRAMEBUFFER, self.framebuffer.id)
        gl.glReadBuffer(gl.GL_COLOR_ATTACHMENT0)
        gl.glBindFramebuffer(gl.GL_DRAW_FRAMEBUFFER, 0)
        gl.glBlitFramebuffer(0, 0, width, height, 0, 0, width, height, gl.GL_COLOR_BUFFER_BIT, gl.GL_NEAREST)
        gl.glBindFramebuffer(gl.GL_FRAMEBUFFER, 0)
        gl.glViewport(0, 0, *viewport)

    def release(self) -> None:
        if self.framebuffer is not None:
            self.framebuffer.release()
            self.framebuffer = None
        self.invalidate()
