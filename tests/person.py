"""A person at the machine, for tests of the real loop: the App's time source moves one frame (1/60 s)
a reading and plays the person's scripted actions on the loop's own thread when their time comes
(pygame.event.post from another thread can hand the loop a freed event dict)."""
from tests.explorer_helpers import FRAME


class PersonClock:
    """The App's time source: each reading is one frame (1/60 s) later, and what the person does at a
    time (a callable posting events) happens when the clock passes it; at the script's end the loop is
    told to stop, with no event (a QUIT would itself draw a frame). The loop never sleeps on an injected
    clock, so seconds of rest cost only skipped frames."""

    def __init__(self) -> None:
        self.now = 0.0
        self.app = None
        self.screen = None  # the last frame presented: what the window shows
        self.actions: list[tuple[float, object]] = []
        self.end = float("inf")

    def script(self, actions, rest_until: float) -> None:
        """`actions`: (seconds from now, callable); the run ends `rest_until` seconds from now."""
        self.actions = sorted(((self.now + at, act) for at, act in actions), key=lambda item: item[0])
        self.end = self.now + rest_until

    def __call__(self) -> float:
        self.now += FRAME
        while self.actions and self.actions[0][0] <= self.now:
            self.actions.pop(0)[1]()
        if self.now >= self.end:
            self.app.quit()
            self.end = float("inf")
        return self.now


def run_as_a_person(app, clock, actions, rest_until: float) -> dict:
    """App.run(idle=True) through the script; what the window shows at its end (the last frame
    presented, read before its swap) and how many frames were skipped."""
    clock.script(actions, rest_until)
    shown = {}
    flip = app.window.flip

    def present():
        clock.screen = app.read_frame().astype(int)
        flip()

    app.window.flip = present
    skipped = app.idle_frames
    try:
        app.run(idle=True)
    finally:
        app.window.flip = flip
    shown["skipped"] = app.idle_frames - skipped
    shown["frame"] = clock.screen
    return shown
