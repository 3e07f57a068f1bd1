"""MIDI as an input source (engine/input_sources.py): knobs and faders are axes, notes and pads are
actions, bound in the one binding table as "midi:cc:N" and "midi:note:N" (engine.input_names):

    bindings.bind("midi:cc:21", "walk_t"); bindings.bind("midi:note:36", "play_walk")
    app.input.add_source(MidiSource("nanoKONTROL2"))   # a port, by (part of) its name; the App's table

- A control change puts its CC at value / 127, in [0, 1] (times -1 for an action bound with a
  leading "-"). `axes()` gives each bound action's value, summed over CCs and clamped to [-1, 1], for
  drivers that read axes once per fixed step; a CC that changed also yields Action(action,
  value=...) at once, so an absolute control (the walk's position) reaches the scene, and its
  checks, through the same path as a key.
- note_on with a velocity above 0 yields Action(action, value=velocity / 127, button=note); note_off
  (or velocity 0) lets it go. A held note keeps `active()` true.
- Every note_on and control change is a person's input (`inputs`); the channel does not matter.
  Anything else (clock, sysex, aftertouch, program change) is ignored and counted (`ignored`).
- The port is anything whose `iter_pending()` yields mido.Message-like objects (`type`, `note`,
  `velocity`, `control`, `value`): a mido input port, opened by name when given a string (mido's
  ports need python-rtmidi: the `midi` extra), or a test's fake. At most `per_frame` messages are
  taken a frame; the rest stay in the port's queue for the next frame.
"""
from __future__ import annotations

import logging
import os
import sys
from contextlib import contextmanager
from itertools import islice

from latentwalk.engine.errors import EngineError
from latentwalk.engine.input import Action
from latentwalk.engine.input_sources import InputSource

log = logging.getLogger(__name__)

PER_FRAME = 256
FULL_SCALE = 127.0
INSTALL_HINT = "pip install 'latentwalk[midi]'"


@contextmanager
def _c_stderr_silenced():
    """ALSA's C library prints its own errors on the process's stderr; the one-line error says it all."""
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "wb") as devnull:
            os.dup2(devnull.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def _reason(exc: BaseException) -> str:
    text = exc.args[0] if exc.args and isinstance(exc.args[0], str) else str(exc)
    return (text.strip().splitlines() or [type(exc).__name__])[0]


def input_names() -> list[str]:
    """The MIDI inputs this machine has; EngineError (one line) when they cannot be listed."""
    try:
        import mido
        with _c_stderr_silenced():
            return list(mido.get_input_names())
    except ImportError:
        raise EngineError(f"MIDI ports need mido and python-rtmidi ({INSTALL_HINT})") from None
    except Exception as exc:  # noqa: BLE001 - rtmidi raises SystemError/RuntimeError without a MIDI system
        raise EngineError(f"MIDI: cannot list the inputs ({_reason(exc)})") from None


def open_input(name: str):
    """The MIDI input named `name`, or the one input whose name contains it (case ignored)."""
    names = input_names()
    matches = [n for n in names if n == name] or [n for n in names if name.lower() in n.lower()]
    if len(matches) != 1:
        listed = ", ".join(repr(n) for n in names) or "none"
        problem = "no" if not matches else "more than one"
        raise EngineError(f"MIDI: {problem} input named {name!r} (inputs: {listed})")
    import mido
    try:
        with _c_stderr_silenced():
            return mido.open_input(matches[0])
    except Exception as exc:  # noqa: BLE001
        raise EngineError(f"MIDI: cannot open {matches[0]!r} ({_reason(exc)})") from None


class MidiSource(InputSource):
    name = "midi"

    def __init__(self, port, bindings=None, *, per_frame: int = PER_FRAME) -> None:
        """`port`: an input's name (opened in `start`) or an object with `iter_pending()`; `bindings`:
        the table to read (None: the App's, once added)."""
        super().__init__()
        self.bindings = bindings
        self.port = port
        self.per_frame = int(per_frame)
        self.ignored = 0
        self.handled = 0
        self._cc: dict[int, float] = {}  # control -> value in [0, 1], for those moved since start
        self._notes: set[int] = set()  # notes held

    def start(self) -> None:
        if isinstance(self.port, str):
            self.port = open_input(self.port)
            log.info("MIDI: reading %s", getattr(self.port, "name", self.port))

    def poll(self) -> list[Action]:
        actions: list[Action] = []
        for message in islice(self.port.iter_pending(), self.per_frame):
            self.handled += 1
            actions.extend(self.feed(message))
        return actions

    def feed(self, message) -> list[Action]:
        """One MIDI message; the actions it asks for."""
        kind = getattr(message, "type", None)
        if kind == "control_change":
            self.inputs += 1
            value = message.value / FULL_SCALE
            changed = self._cc.get(message.control) != value
            self._cc[message.control] = value
            binding = self.bindings.source_binding(f"midi:cc:{message.control}")
            if binding is None or not changed:
                return []
            action, scale = binding
            return [Action(action, value=value * scale, button=message.control)]
        if kind == "note_on" and message.velocity > 0:
            self.inputs += 1
            self._notes.add(message.note)
            binding = self.bindings.source_binding(f"midi:note:{message.note}")
            if binding is None:
                return []
            return [Action(binding[0], value=message.velocity / FULL_SCALE, button=message.note)]
        if kind in ("note_on", "note_off"):
            self._notes.discard(message.note)
            return []
        self.ignored += 1
        return []

    def axes(self) -> dict[str, float]:
        totals: dict[str, float] = {}
        for control, value in self._cc.items():
            binding = self.bindings.source_binding(f"midi:cc:{control}")
            if binding is not None and value:
                action, scale = binding
                totals[action] = totals.get(action, 0.0) + value * scale
        return {action: max(-1.0, min(1.0, value)) for action, value in totals.items() if value}

    def active(self) -> bool:
        return bool(self._notes)

    def release_all(self) -> None:
        self._notes.clear()
        self._cc.clear()

    def status_line(self) -> str:
        name = getattr(self.port, "name", None) or "port"
        return f"midi {name}  {self.handled:,} taken, {self.ignored:,} ignored"

    def close(self) -> None:
        close = getattr(self.port, "close", None)
        if callable(close):
            close()
