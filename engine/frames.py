"""Frame requests: how anything that changes on its own in time keeps an idle loop drawing.

An idle App (app.py) draws a frame only for input, for a scene whose state moved since the last frame
drawn (`Scene.wants_redraw`), or for a request held here. Whatever changes without input asks here,
once, when it starts: a refinement that continues next frame (`request`), an animation with an end
(`request_until`), a message that expires (`request_at`: idle until then, one frame after), a worker
or a child process (`request_while`: every frame while it runs, and one more when it ends, which shows
its outcome). The App asks `take` once a frame, after the scene's prepare; a request made while a
frame draws (in render or the UI) is for the frames after it.

Times are the App's clock (its time source, or the offline frame times it was stepped by): `now`.
"""
from __future__ import annotations

from typing import Callable

Condition = Callable[[], bool]


class FrameRequests:
    def __init__(self) -> None:
        self.now = 0.0  # the current frame's time, set by the App before anything runs in it
        self._frames = 0  # frames still owed, whatever the time
        self._until: float | None = None  # every frame until one at or after this time
        self._at: list[float] = []  # one frame at or after each of these times
        self._while: list[Condition] = []  # every frame while each holds, then one more

    def request(self, frames: int = 1) -> None:
        """The next `frames` frames are drawn (the current one too, when asked before it draws)."""
        self._frames = max(self._frames, int(frames))

    def request_until(self, deadline: float) -> None:
        """Every frame is drawn until (and including) the first one at or after `deadline`."""
        self._until = deadline if self._until is None else max(self._until, deadline)

    def request_for(self, seconds: float) -> None:
        """Every frame for the next `seconds` of the App's clock (request_until from now)."""
        self.request_until(self.now + seconds)

    def request_at(self, deadline: float) -> None:
        """One frame at or after `deadline` (an expiry); frames before it may be skipped."""
        if deadline not in self._at:
            self._at.append(deadline)

    def request_while(self, condition: Condition) -> None:
        """Every frame while `condition()` is true, then one more. Asking again with an equal callable
        (the same bound method) while it is held adds nothing."""
        if condition not in self._while:
            self._while.append(condition)

    @property
    def pending(self) -> bool:
        """Whether any request is held (a frame may be due now or later)."""
        return bool(self._frames or self._until is not None or self._at or self._while)

    def take(self, now: float) -> bool:
        """Once a frame: whether a request makes this frame (at time `now`) draw; what it satisfies
        is used up. Conditions are asked here, so one that turned false gets its last frame now."""
        self.now = now
        due = False
        if self._while:
            held = [condition for condition in self._while if condition()]
            if len(held) < len(self._while):
                due = True  # the outcome of what just ended
            self._while = held
            due = due or bool(held)
        if self._frames > 0:
            self._frames -= 1
            due = True
        if self._until is not None:
            due = True
            if now >= self._until:
                self._until = None
        if any(deadline <= now for deadline in self._at):
            due = True
            self._at = [deadline for deadline in self._at if deadline > now]
        return due

    def clear(self) -> None:
        """Drop every request (a new scene)."""
        self._frames, self._until, self._at, self._while = 0, None, [], []
