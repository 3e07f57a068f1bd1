"""Fixed-timestep accumulator: how many updates a frame owes, and how far into the next one we are.

Pure logic with an injectable time source, so it is tested with a fake clock and an offline
recorder can advance time by exactly 1/fps per video frame, with no wall clock involved.
"""
from __future__ import annotations

import math
import time
from typing import Callable

TimeSource = Callable[[], float]
"""A callable returning monotonic seconds."""

# Frame times are sums of floats; without this tolerance 2 * (1/120) might count as 1.999... steps.
_STEP_EPSILON = 1e-9


def wall_time() -> float:
    return time.perf_counter()


class ManualTimeSource:
    """A time source that moves only when told to: offline rendering and tests."""

    def __init__(self, start: float = 0.0) -> None:
        self.now = float(start)

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError(f"time cannot go backwards ({seconds} s)")
        self.now += seconds


class FixedStepClock:
    """Accumulates frame time and hands it out in whole fixed steps.

    A frame longer than `max_frame_time` (a stall, a breakpoint, a window drag) is clamped so the
    simulation slows down instead of running an ever-growing number of catch-up updates.
    """

    def __init__(self, step: float = 1.0 / 120.0, max_frame_time: float = 0.25) -> None:
        if step <= 0:
            raise ValueError(f"step must be positive, got {step}")
        if max_frame_time < step:
            raise ValueError(f"max_frame_time ({max_frame_time}) must be at least one step ({step})")
        self.step = float(step)
        self.max_frame_time = float(max_frame_time)
        self._accumulated_steps = 0.0  # in units of `step`, always in [0, 1) between calls
        self.total_updates = 0
        self.clamped_frames = 0

    @property
    def alpha(self) -> float:
        """Fraction of a step left over after the last advance, in [0, 1): the render interpolation weight."""
        return self._accumulated_steps

    def advance(self, frame_time: float) -> int:
        """Add one frame's elapsed seconds; return how many fixed updates to run now."""
        if frame_time < 0 or math.isnan(frame_time):
            frame_time = 0.0
        if frame_time > self.max_frame_time:
            frame_time = self.max_frame_time
            self.clamped_frames += 1
        self._accumulated_steps += frame_time / self.step
        updates = int(math.floor(self._accumulated_steps + _STEP_EPSILON))
        self._accumulated_steps = max(0.0, self._accumulated_steps - updates)
        if self._accumulated_steps >= 1.0:  # only reachable through float rounding
            self._accumulated_steps = math.nextafter(1.0, 0.0)
        self.total_updates += updates
        return updates

    def reset(self) -> None:
        self._accumulated_steps = 0.0
