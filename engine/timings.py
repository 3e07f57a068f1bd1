"""Per-frame phase timings (update, render, ui, present) as rolling averages, for the stats overlay and benches."""
from __future__ import annotations

from collections import deque

PHASES = ("update", "render", "ui", "present")
UI_PARTS = ("ui_build", "ui_draw")  # the ui phase split: Python widget calls vs. ImGui's GL draw


class FrameTimings:
    """Rolling window of per-phase milliseconds; `frame_ms` is the whole frame, wall clock."""

    def __init__(self, window: int = 120) -> None:
        self._samples: dict[str, deque[float]] = {name: deque(maxlen=window) for name in (*PHASES, *UI_PARTS, "frame")}
        self.last: dict[str, float] = {name: 0.0 for name in (*PHASES, *UI_PARTS, "frame")}
        self.updates_last_frame = 0

    def record(self, phase: str, milliseconds: float) -> None:
        self._samples[phase].append(milliseconds)
        self.last[phase] = milliseconds

    def average(self, phase: str) -> float:
        samples = self._samples[phase]
        return sum(samples) / len(samples) if samples else 0.0

    def averages(self) -> dict[str, float]:
        return {name: self.average(name) for name in self._samples}

    @property
    def fps(self) -> float:
        frame = self.average("frame")
        return 1000.0 / frame if frame > 0 else 0.0

    def reset(self) -> None:
        for samples in self._samples.values():
            samples.clear()
