"""The scene's adaptive detail for one model (the pieces are in detail.py): the draw order handed to
the cloud once built, the moving frames' point count learnt from the frame times it causes, and the
chunks that refine the cached layer at rest."""
from __future__ import annotations

import numpy as np

from latentwalk.scenes.explorer.view.detail import (MIN_MOVING_POINTS, TARGET_FPS, DetailController, OrderBuilder,
                                         Refinement)


class AdaptiveDetail:
    """One model's detail, as the scene uses it once a frame: the draw order (built in the background;
    `take_order` hands it over once), how many points a moving frame draws, and the chunks that refine
    the cached layer at rest. `enabled=False` (offline recording wants every frame complete) or a cloud
    no bigger than `min_points` draws every point always, with no order built."""

    def __init__(self, positions: np.ndarray, labels: np.ndarray, *, target_fps: float = TARGET_FPS,
                 min_points: int = MIN_MOVING_POINTS, fixed: int | None = None, enabled: bool = True,
                 seed: int = 0) -> None:
        self.total = len(positions)
        self.controller = DetailController(self.total, target_fps=target_fps, min_points=min_points, fixed=fixed)
        self.refinement = Refinement(self.total, target_fps=target_fps)
        smallest = min(min_points, fixed if fixed is not None else min_points)
        self.enabled = enabled and smallest < self.total
        self.builder = OrderBuilder(positions, labels, seed=seed) if self.enabled else None
        self.ordered = False  # the cloud holds the order: ranges are fair subsets from now on
        self.drawn = self.total  # points on screen in the last frame drawn
        self.mode = "full"  # "moving" | "refining" | "full": what the last frame drew
        self._last_frame_at: float | None = None
        self._last_mode = "full"
        self._last_chunk = 0

    # ----------------------------------------------------------------- order
    def take_order(self) -> np.ndarray | None:
        """The draw order, once, when it is ready (the caller uploads it)."""
        if self.builder is None or self.ordered:
            return None
        order = self.builder.result()
        if order is None:
            if self.builder.done:  # it failed: stay at full detail
                self.enabled = False
            return None
        self.ordered = True
        return order

    @property
    def reduced(self) -> bool:
        return self.drawn < self.total

    # ----------------------------------------------------------------- per frame
    def begin_frame(self, now: float, last_frame_ms: float | None = None) -> None:
        """A drawn frame starts. `last_frame_ms`: what the last drawn frame cost (the App's own
        measure, idle waits excluded); without it, the interval since the last frame, unless so long
        that the loop must have waited."""
        if self._last_frame_at is not None and self._last_mode in ("moving", "refining"):
            cost = last_frame_ms if last_frame_ms is not None else (now - self._last_frame_at) * 1000.0
            if last_frame_ms is not None or cost < 1000.0:
                self.controller.observe(cost, self.drawn if self._last_mode == "moving" else self._last_chunk)
        else:
            self.controller.forget_run()  # a frame at rest came between: slow frames before it are no run
        self._last_frame_at = now

    def moving_count(self) -> int:
        """Points the frame draws straight while the view changes."""
        count = self.controller.moving_count() if self.enabled and self.ordered else self.total
        self._finish("moving", count)
        return count

    def rest_chunk(self, restart: bool, now: float) -> tuple[int, int]:
        """(first, count) of the draw order to add to the cached layer this frame; `restart`: the layer
        starts empty (first rest frame after a change), and then gets at least what moving frames drew."""
        refinement = self.refinement
        if not (self.enabled and self.ordered):
            refinement.restart(0, now)
            first, count = 0, self.total
        elif restart:
            refinement.restart(0, now)
            start = max(self.controller.moving_count(), refinement.next_chunk(self.controller.moving_count(), now)[1])
            first, count = 0, min(self.total, start)
        else:
            first, count = refinement.next_chunk(self.controller.moving_count(), now)
        refinement.advance(count, now)
        self._last_chunk = count
        self._finish("full" if refinement.complete else "refining", refinement.drawn)
        return first, count

    def at_rest(self) -> None:
        """A frame that reused the complete layer."""
        self._finish("full", self.total)

    def _finish(self, mode: str, drawn: int) -> None:
        self._last_mode = self.mode = mode
        self.drawn = drawn
