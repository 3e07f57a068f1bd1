"""A person at the machine, for tests of the real loop: the App's time source moves one frame (1/60 s)
a reading and plays the person's scripted actions on the loop's own thread when their time comes
(pygame.event.post from another thread can hand the loop a freed event dict).

A script is written in one of three ways, whichever reads best in the test:
- `script(actions, rest_until)`: (seconds from now, callable) pairs, then rest until a time;
- `then(after, step)` ... `leave(after)`: each step some seconds after the one before, as hands do;
- `follow(generator)`: a generator that acts and yields seconds to wait, or `until(condition, what)`
  to wait (at most `wait_s` seconds) for something to show; the run ends with the generator."""
from __future__ import annotations

from tests.explorer_helpers import FRAME


def until(condition, what: str):
    """A step of a `follow` script: wait until `condition()` (`what` says what, if it never comes)."""
    condition.__doc__ = what
    return condition


class PersonClock:
    """The App's time source: each reading is one frame (1/60 s) later, and what the person does at a
    time (a callable posting events) happens when the clock passes it; at the script's end the loop is
    told to stop, with no event (a QUIT would itself draw a frame). The loop never sleeps on an injected
    clock, so seconds of rest cost only skipped frames. `base`: a ManualTimeSource that moves with this
    clock, for an App made on it (its input reads the time for double-clicks)."""

    def __init__(self, base=None, *, wait_s: float = 20.0) -> None:
        self.base = base
        self.now = base() if base is not None else 0.0
        self.app = None
        self.screen = None  # the last frame presented: what the window shows
        self.actions: list[tuple[float, object]] = []
        self.end = float("inf")
        self.wait_s = wait_s  # the longest a `follow` script waits for a condition
        self.describe = lambda: ""  # what a test adds to the message of a wait that timed out
        self._script = None
        self._resume_at = 0.0
        self._condition = None
        self._deadline = 0.0

    def script(self, actions, rest_until: float) -> None:
        """`actions`: (seconds from now, callable); the run ends `rest_until` seconds from now."""
        self.actions = sorted(((self.now + at, act) for at, act in actions), key=lambda item: item[0])
        self.end = self.now + rest_until

    def then(self, after: float, step) -> "PersonClock":
        """`step` `after` seconds past the last step (or past now)."""
        last = self.actions[-1][0] if self.actions else self.now
        self.actions.append((last + after, step))
        return self

    def leave(self, after: float = 0.0) -> None:
        """The run ends `after` seconds past the last step."""
        self.end = (self.actions[-1][0] if self.actions else self.now) + after

    def follow(self, script) -> None:
        """Play a generator script (see the module); the run ends when it does."""
        self._script, self._condition, self._resume_at = script, None, self.now
        self.end = float("inf")

    @property
    def done(self) -> bool:
        return not self.actions and self._script is None

    def __call__(self) -> float:
        if self.base is not None:
            self.base.advance(FRAME)
            self.now = self.base()
        else:
            self.now += FRAME
        while self.actions and self.actions[0][0] <= self.now:
            self.actions.pop(0)[1]()
        if self._script is not None:
            self._step_script()
        if self.now >= self.end:
            self.app.quit()
            self.end = float("inf")
        return self.now

    def _step_script(self) -> None:
        if self._condition is not None:
            if self._condition():
                self._condition = None
            elif self.now > self._deadline:
                what, self._script = self._condition.__doc__, None
                raise AssertionError(f"still waiting after {self.wait_s} s for {what} {self.describe()}")
        if self._condition is None and self.now >= self._resume_at:
            try:
                wait = next(self._script)
            except StopIteration:
                self._script, self.end = None, self.now
                return
            if callable(wait):
                self._condition, self._deadline = wait, self.now + self.wait_s
            else:
                self._resume_at = self.now + wait

    def run(self) -> dict:
        """App.run(idle=True) through what is scripted; what the window shows at its end (the last frame
        presented, read before its swap), and how many frames were drawn and skipped."""
        app = self.app
        flip = app.window.flip

        def present():
            self.screen = app.read_frame().astype(int)
            flip()

        app.window.flip = present
        skipped, drawn = app.idle_frames, app.frame_index
        try:
            app.run(idle=True)
        finally:
            app.window.flip = flip
        assert self.done, "the run ended before the script"
        return {"skipped": app.idle_frames - skipped, "drawn": app.frame_index - drawn, "frame": self.screen}


def run_as_a_person(app, clock, actions, rest_until: float) -> dict:
    """App.run(idle=True) through the script; what the window shows at its end (the last frame
    presented, read before its swap) and how many frames were skipped."""
    clock.script(actions, rest_until)
    return clock.run()


def follow_as_a_person(app, script, *, describe=None, wait_s: float = 20.0) -> PersonClock:
    """Play a generator script on the App's PersonClock, or on one that takes over `app`'s time (moving
    the App's own ManualTimeSource with it, which its input reads)."""
    clock = app.time_source
    if not isinstance(clock, PersonClock):
        clock = PersonClock(app.time_source)
    clock.app, clock.wait_s = app, wait_s
    if describe is not None:
        clock.describe = describe
    app.time_source = clock
    clock.follow(script)
    clock.run()
    return clock
