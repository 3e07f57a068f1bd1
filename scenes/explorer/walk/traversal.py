"""Walking along a curve: position, steps, and playback advanced in the fixed-step update.

Decisions:
- `t` in [0, 1] is the arc-length fraction of the curve (see `curve.Curve`), so equal changes of t are
  equal distances in latent space.
- `speed` is in curve fractions per second (0.25: the whole curve in 4 s). It does not depend on the
  number of steps, so changing the filmstrip's resolution does not change how fast playback looks.
- `update(dt)` is called once per fixed step with that step's dt; the position moves by speed * dt,
  so one second of playback moves as far at 60 Hz as at 120 Hz.
- Modes: "once" stops at the end and pauses (play() there starts again from 0); "loop" wraps from 1
  to 0; "ping-pong" reflects at both ends and reverses.
- The steps are the N equally spaced positions i / (N - 1) that the filmstrip decodes; `step_index` is
  the nearest one. The position itself is continuous: playback does not snap to steps.
- No curve (fewer than one control point): t stays a valid number, every method works, and update()
  does not move t, since there is nothing to walk along. `point` is then None.
"""
from __future__ import annotations

import math

import numpy as np

from latentwalk.scenes.errors import SceneError

MODES = ("once", "loop", "ping-pong")
DEFAULT_STEPS = 100
DEFAULT_SPEED = 0.25
MIN_STEPS = 2
MAX_STEPS = 1000  # the filmstrip decodes every step: more is minutes of decoding and a huge allocation
MAX_SPEED = 2.0  # curve fractions per second: the whole walk in half a second is already a blur


class Traversal:
    """Position and playback along an optional curve (anything with `at(t)` and `sample(n)`)."""

    def __init__(self, steps: int = DEFAULT_STEPS, mode: str = "loop", speed: float = DEFAULT_SPEED,
                 t: float = 0.0, playing: bool = False, curve=None) -> None:
        self._steps = DEFAULT_STEPS
        self._mode = "loop"
        self._speed = DEFAULT_SPEED
        self._t = 0.0
        self.direction = 1  # +1 forwards, -1 backwards (only ping-pong goes backwards)
        self.playing = bool(playing)
        self.curve = curve
        self.steps = steps
        self.mode = mode
        self.speed = speed
        self.seek(t)

    # -- settings -------------------------------------------------------------------------------
    @property
    def steps(self) -> int:
        return self._steps

    @steps.setter
    def steps(self, value: int) -> None:
        try:
            valid = not isinstance(value, bool) and int(value) == value and MIN_STEPS <= value <= MAX_STEPS
        except (TypeError, ValueError, OverflowError):
            valid = False
        if not valid:
            raise SceneError(f"number of steps must be an integer >= {MIN_STEPS} and <= {MAX_STEPS}, "
                             f"got {value!r:.40}")
        self._steps = int(value)

    @property
    def mode(self) -> str:
        return self._mode

    @mode.setter
    def mode(self, value: str) -> None:
        if value not in MODES:
            raise SceneError(f"unknown playback mode {value!r} (expected one of {', '.join(MODES)})")
        self._mode = value
        if value != "ping-pong":
            self.direction = 1

    @property
    def speed(self) -> float:
        """Curve fractions per second, >= 0."""
        return self._speed

    @speed.setter
    def speed(self, value: float) -> None:
        try:
            number = float(value)
        except (TypeError, ValueError):
            number = math.nan
        if not math.isfinite(number) or number < 0.0:
            raise SceneError(f"playback speed must be a finite number >= 0, got {value!r}")
        self._speed = number

    # -- position -------------------------------------------------------------------------------
    @property
    def t(self) -> float:
        return self._t

    def seek(self, t: float) -> None:
        """Move to t, clamped to [0, 1]; a NaN is ignored so the position always stays valid."""
        t = float(t)
        if not math.isnan(t):
            self._t = min(1.0, max(0.0, t))

    @property
    def step_index(self) -> int:
        """The step nearest to the current position, in [0, steps - 1]."""
        return int(round(self._t * (self._steps - 1)))

    def step_t(self, index: int) -> float:
        """The position of step `index` (clamped to the valid steps)."""
        index = min(self._steps - 1, max(0, int(index)))
        return index / (self._steps - 1)

    def jump_to_step(self, index: int) -> None:
        self._t = self.step_t(index)

    # -- playback -------------------------------------------------------------------------------
    def play(self) -> None:
        if self._mode == "once" and self._t >= 1.0:
            self._t = 0.0
        self.playing = True

    def pause(self) -> None:
        self.playing = False

    def toggle(self) -> None:
        if self.playing:
            self.pause()
        else:
            self.play()

    def update(self, dt: float) -> None:
        """Advance one fixed step of dt seconds."""
        if not self.playing or self.curve is None or dt <= 0.0:
            return
        travel = self._speed * dt
        if self._mode == "once":
            self._t = min(1.0, self._t + travel)
            if self._t >= 1.0:
                self.playing = False
        elif self._mode == "loop":
            self._t = (self._t + travel) % 1.0
        else:
            self._t, self.direction = _bounce(self._t, self.direction, travel)

    # -- the curve ------------------------------------------------------------------------------
    @property
    def point(self) -> np.ndarray | None:
        """The latent vector at the current position, or None without a curve."""
        return None if self.curve is None else self.curve.at(self._t)

    def step_points(self) -> np.ndarray | None:
        """The latent vectors of every step, (steps, d), for the filmstrip; None without a curve."""
        return None if self.curve is None else self.curve.sample(self._steps)


def _bounce(t: float, direction: int, travel: float) -> tuple[float, int]:
    """Move t by `travel` between walls at 0 and 1, reversing at each; return t and the direction.

    Unfolded, a ping-pong is a point on a circle of length 2: phase [0, 1) goes forwards, [1, 2)
    comes back. Working on the phase handles any number of bounces in one step (a long dt or a high
    speed) without a loop.
    """
    phase = t if direction > 0 else 2.0 - t
    phase = (phase + travel) % 2.0
    if phase < 1.0:
        return phase, 1
    return 2.0 - phase, -1
