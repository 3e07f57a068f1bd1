"""The 3-d layer cache with adaptive detail: a big cloud draws a subset while the layer
changes frame to frame, and at rest its cached layer fills up a chunk of the draw order per frame until
every point is in it, so a turning view holds its frame rate and a resting one reaches full detail
within about a second (detail.py has the order, the budget and the schedule).

The scene's `draw_layer(part)` draws one `LayerPart`: the guides (`base`), the draw-order range
[first, first + count) of the points, and the extra renderers (`extras`). The extras join the cached
layer only with its last chunk, so the finished layer is exactly a full draw (same order, same
depth ties); while it refines they are drawn over its copy each frame. The bookkeeping here (which
key the pixels show, how far refinement got, frame times) is render bookkeeping, like the cache's.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, replace
from typing import Callable, Hashable

import numpy as np
from OpenGL import GL as gl

from latentwalk.engine.memory import return_free_memory
from latentwalk.scenes.explorer.view.adaptive_detail import AdaptiveDetail
from latentwalk.scenes.explorer.view.detail import compensation
from latentwalk.scenes.explorer.view.layer import LayerCache

# A new model's first frame waits this long at most for its draw order: drawing every point of a
# big cloud instead would take longer (1M points: ~0.4 s of drawing against ~0.25 s of ordering).
FIRST_FRAME_ORDER_WAIT_S = 1.0


@dataclass(frozen=True)
class LayerPart:
    base: bool = True  # the guides (and, into the cache, a cleared target)
    first: int = 0
    count: int | None = None  # None: every point
    extras: bool = True
    compensate: bool = False  # a subset straight into the window: points drawn larger, density kept


WHOLE_LAYER = LayerPart()


def draw_points(cloud, view_projection, view, style, part: LayerPart) -> None:
    """The part's points: a plain full draw when it is every point, else a range of the draw order."""
    count = cloud.count - part.first if part.count is None else part.count
    if count <= 0:
        return
    if part.first == 0 and count >= cloud.count:
        cloud.draw(view_projection, view, style)
        return
    if part.compensate:
        style = replace(style, point_size=style.point_size * compensation(count, cloud.count))
    cloud.draw(view_projection, view, style, first=part.first, count=count)


class DetailLayerCache(LayerCache):
    def __init__(self, options: dict | None = None) -> None:
        super().__init__()
        self.options = dict(options or {})  # AdaptiveDetail's: target_fps, min_points, fixed, enabled
        self.detail: AdaptiveDetail | None = None
        self._refining: Hashable | None = None  # the key whose layer is being refined
        self._shows_cache = False  # the window shows the cached layer's colour this frame
        self._drawn_model = False  # a frame was drawn since the model was set
        # every frame complete, as before adaptive detail (offline recording: a video frame must not
        # depend on how fast the machine drew the one before it)
        self.full_detail = False
        self.frame_ms: Callable[[], float] | None = None  # the last drawn frame's cost (the App's timings)
        self.frames = None  # the App's FrameRequests: a frame short of full detail asks for the next one

    def set_model(self, positions: np.ndarray, labels: np.ndarray) -> None:
        """A new model: its draw order starts building in the background."""
        self.detail = AdaptiveDetail(positions, labels, **self.options)
        self._drawn_model = False
        self.invalidate()

    def poll_order(self, cloud) -> bool:
        """Prepare phase: hand a finished draw order to the cloud; True when it did (a redraw is due)."""
        detail = self.detail
        if detail is None:
            return False
        if not self._drawn_model and detail.builder is not None and detail.total > detail.controller.moving_count():
            detail.builder.wait(FIRST_FRAME_ORDER_WAIT_S)  # the first frame then draws a subset
        order = detail.take_order()
        if order is None:
            return False
        cloud.set_order(order)
        del order
        return_free_memory()  # the sort's temporaries and the reordered copies made for the upload
        self.invalidate()
        return True

    def invalidate(self) -> None:
        super().invalidate()
        self._refining = None

    @property
    def refining(self) -> bool:
        """A subset or a half-refined layer is on screen: frames to come will add points."""
        return self.detail is not None and not self.full_detail and self.detail.mode != "full"

    @property
    def depth_texture_id(self) -> int | None:
        return self.framebuffer.depth_texture_id if self._shows_cache else None

    def draw(self, key: Hashable | None, viewport: tuple[int, int], clear_color,
             draw_layer: Callable[..., None]) -> None:
        detail = self.detail
        self._drawn_model = True
        if detail is None or self.full_detail:
            if detail is not None:
                detail.at_rest()  # every point, every frame
            super().draw(key, viewport, clear_color, draw_layer)
            self._shows_cache = self.key is not None
            return
        now = time.perf_counter()
        detail.begin_frame(now, None if self.frame_ms is None else self.frame_ms())
        self._shows_cache = True
        if key is not None and key == self.key and self._fits(viewport):
            self.reuses += 1
            detail.at_rest()
            self._blit(viewport)
        elif key is not None and key == self._previous:
            self._refine(key, viewport, clear_color, draw_layer, now)
        else:
            gl.glDisable(gl.GL_SCISSOR_TEST)
            gl.glBindFramebuffer(gl.GL_FRAMEBUFFER, 0)
            gl.glViewport(0, 0, *viewport)
            if key is None:  # some renderer cannot say what it draws: moving or not, no one can tell
                detail.at_rest()
                draw_layer(WHOLE_LAYER)
            else:
                draw_layer(LayerPart(count=detail.moving_count(), compensate=True))
            self.key = self._refining = None
            self._shows_cache = False
        self._previous = key
        if detail.mode != "full" and self.frames is not None:
            # a subset or a half-refined layer is on screen: the next frame refines it, input or not
            self.frames.request()

    def _refine(self, key, viewport, clear_color, draw_layer, now: float) -> None:
        restart = self._refining != key or not self._fits(viewport)
        first, count = self.detail.rest_chunk(restart, now)
        complete = self.detail.refinement.complete
        if restart:
            target = self._target(viewport)
            target.clear(color=clear_color)
            target.bind()
        else:
            self.framebuffer.bind()
        gl.glDisable(gl.GL_SCISSOR_TEST)
        draw_layer(LayerPart(base=restart, first=first, count=count, extras=complete))
        self._refining = key
        self.key = key if complete else None
        self._blit(viewport)
        if complete:  # the driver's memory for the chunks' primitives is free from here on
            return_free_memory()
        if not complete:
            draw_layer(LayerPart(base=False, count=0))
