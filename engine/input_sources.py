"""Input sources: devices beside the keyboard and mouse (gamepads, OSC, MIDI), each one object the
App's InputMapper asks once a frame, registered in one line: `app.input.add_source(source)`.

A source gives the loop three things, and nothing else:
- actions: the same `engine.input.Action`s keys produce, from `handle_event(event)` (for the pygame
  event types the source lists in `event_types`) and from `poll()` (once a frame, after the events:
  what arrived on the source's own channel since the last frame). They reach the scene through the
  same path as keys (App -> scene.handle_action), so whatever a scene checks for keys it checks
  for every source: a kiosk's visitor policy filters them with no code of the source's.
- axes: `axes()` is each bound axis action's value now ({action: value}, zero ones left out); the
  InputMapper sums them over sources (`app.input.axes()`), and a driver reads that once per fixed
  step.
- presence, "a person is here": `inputs` counts what a person did so far (it only grows), `active()`
  says whether something is held or deflected now. `app.input.user_inputs` adds the sources' counts
  to the keyboard's and mouse's, so a kiosk that waits for a change there hands over to a visitor on
  any source.

A source must never stall a frame: `poll()` handles a bounded amount, leaving the rest for the
next frame, and a source whose data comes from outside the process drops what it cannot read and
counts it (its `status_line()` shows the counts in the F3 stats) instead of raising.
"""
from __future__ import annotations

from latentwalk.engine.input import Action


class InputSource:
    """The protocol, with the do-nothing default of each part (a source overrides what it uses)."""

    name = "source"
    event_types: tuple[int, ...] = ()  # pygame event types `handle_event` takes
    bindings = None  # the table a source with bindable inputs reads; None: the App's, set by add_source

    def __init__(self) -> None:
        self.inputs = 0  # what a person did through this source so far; only grows

    def start(self) -> None:
        """Open the device or socket; raise EngineError (one line) when it cannot be opened.
        `InputMapper.add_source` calls it; a second call does nothing, so a command can open its
        sources before the window, and fail first."""

    def handle_event(self, event) -> list[Action]:
        """One pygame event of a type in `event_types`; the actions it asks for."""
        return []

    def poll(self) -> list[Action]:
        """Once a frame, after the events: the actions of what arrived since (a bounded number)."""
        return []

    def axes(self) -> dict[str, float]:
        """Each bound axis action's value now, in [-1, 1]; only non-zero ones."""
        return {}

    def active(self) -> bool:
        """Whether something is held or deflected now (a person is at it even without new input)."""
        return False

    def release_all(self) -> None:
        """Forget what is held (the window lost the focus, or the scene changed)."""

    def status_line(self) -> str | None:
        """One line for the F3 stats, or None."""
        return None

    def close(self) -> None:
        """Release the device or socket; called once, by the owner or by `InputMapper.close`."""
