"""The kiosk's TOML config (read with tomllib), checked whole at start: an unknown key, a wrong type or
a value out of range is refused in one line that names the file, the key and the problem. An example
(tests parse it, so it stays true):

    model = "mnist"                # a bundled model's name or a bundle folder
    display = 0                    # which screen, fullscreen
    idle_timeout = 60              # seconds without input before the tour comes back
    overlay_seconds = 8            # how long the controls overlay shows when a visitor starts
    exit_chord = "ctrl+alt+shift+q"  # the only way out
    inhibit_screensaver = true
    osc_port = 9000                # optional: take OSC messages (engine/osc.py) on this UDP port
    osc_host = "127.0.0.1"         # the interface OSC listens on; "0.0.0.0": every interface
    midi_port = "nanoKONTROL2"     # optional: a MIDI input, by (part of) its name

    [tour]
    style = "mixed"                # "classes" (class to class), "random" (training points), "mixed"
    speed = 1.0                    # 2: everything twice as fast
    points = 5                     # control points per tour
    seconds = 40                   # one tour's walk at speed 1
    orbit_degrees_per_second = 6
    seed = 7                       # optional: the same tours every start

    [visitors]                     # what keys, pads, OSC and MIDI may do alike
    may = ["orbit", "zoom", "pan", "select", "path", "walk", "highlight", "panels", "reset", "style"]
                                   # (the default; "screenshot" also lets F12 and OSC save pictures)

    [gamepad]
    dead_zone = 0.18
    trigger_dead_zone = 0.06
    exponent = 2.0                 # response curve: 1 linear, 2 fine near the centre
    orbit_degrees_per_second = 90
    cursor_speed = 0.6             # scene radii per second at full deflection
    zoom_per_second = 2.5          # distance factor per second at a full trigger

    [bindings]                     # input -> action, over the defaults ("" unbinds)
    "pad:a" = "add_control_point"
    "key:space" = "play_walk"

An action a binding names must be one a visitor's command can come from (policy.bindable_actions);
opening or writing files and switching models are never among them (policy.py).
"""
from __future__ import annotations

import ipaddress
import math
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import pygame

from latentwalk.engine.input_names import BindingError, parse_input, parse_key_chord
from latentwalk.scenes.errors import SceneError

from latentwalk.scenes.kiosk.policy import VISITOR_KINDS, bindable_actions

TOUR_STYLES = ("classes", "random", "mixed")
# Unless the config says otherwise, every kind but saving screenshots.
DEFAULT_VISITOR_KINDS = tuple(kind for kind in VISITOR_KINDS if kind != "screenshot")
OSC_DEFAULT_HOST = "127.0.0.1"


class KioskConfigError(SceneError):
    """A config that cannot be used; the message names the file and the key."""


@dataclass(frozen=True)
class TourConfig:
    style: str = "mixed"
    speed: float = 1.0
    points: int = 5
    seconds: float = 40.0
    orbit_degrees_per_second: float = 6.0
    seed: int | None = None


@dataclass(frozen=True)
class GamepadConfig:
    dead_zone: float = 0.18
    trigger_dead_zone: float = 0.06
    exponent: float = 2.0
    orbit_degrees_per_second: float = 90.0
    cursor_speed: float = 0.6
    zoom_per_second: float = 2.5


@dataclass(frozen=True)
class KioskConfig:
    path: Path | None = None
    model: str = "mnist"
    display: int = 0
    idle_timeout: float = 60.0
    overlay_seconds: float = 8.0
    exit_chord: str = "ctrl+alt+shift+q"
    inhibit_screensaver: bool = True
    osc_port: int | None = None
    osc_host: str = OSC_DEFAULT_HOST
    midi_port: str | None = None
    tour: TourConfig = field(default_factory=TourConfig)
    visitors_may: tuple[str, ...] = DEFAULT_VISITOR_KINDS
    gamepad: GamepadConfig = field(default_factory=GamepadConfig)
    bindings: dict[str, str] = field(default_factory=dict)

    @property
    def exit_key(self) -> tuple[int, int]:
        return parse_key_chord(self.exit_chord)


class _Reader:
    """Takes keys out of one TOML table, checking each; leftovers are unknown keys."""

    def __init__(self, source: str, table: dict, prefix: str = "") -> None:
        self.source, self.table, self.prefix = source, dict(table), prefix

    def fail(self, key: str, problem: str) -> KioskConfigError:
        return KioskConfigError(f"{self.source}: {self.prefix}{key}: {problem}")

    def number(self, key: str, default: float, *, low: float = 0.0, high: float = math.inf,
               low_open: bool = True) -> float:
        if key not in self.table:
            return default
        value = self.table.pop(key)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise self.fail(key, f"expected a number, got {value!r}")
        if value < low or (low_open and value == low) or value > high:
            lower = f"> {low:g}" if low_open else f">= {low:g}"
            upper = "" if high == math.inf else f" and <= {high:g}"
            raise self.fail(key, f"must be {lower}{upper}, got {value!r}")
        return float(value)

    def integer(self, key: str, default: int | None, *, low: int = 0, high: int = 10**9) -> int | None:
        if key not in self.table:
            return default
        value = self.table.pop(key)
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise self.fail(key, f"expected a whole number from {low} to {high}, got {value!r}")
        return value

    def text(self, key: str, default: str, choices: tuple[str, ...] | None = None) -> str:
        if key not in self.table:
            return default
        value = self.table.pop(key)
        if not isinstance(value, str) or not value.strip():
            raise self.fail(key, f"expected a non-empty string, got {value!r}")
        if choices is not None and value not in choices:
            raise self.fail(key, f"{value!r} is not one of {', '.join(choices)}")
        return value

    def flag(self, key: str, default: bool) -> bool:
        if key not in self.table:
            return default
        value = self.table.pop(key)
        if not isinstance(value, bool):
            raise self.fail(key, f"expected true or false, got {value!r}")
        return value

    def sub(self, key: str) -> "_Reader":
        value = self.table.pop(key, {})
        if not isinstance(value, dict):
            raise self.fail(key, f"expected a table [{self.prefix}{key}], got {value!r}")
        return _Reader(self.source, value, f"{self.prefix}{key}.")

    def done(self) -> None:
        if self.table:
            key = sorted(self.table)[0]
            raise self.fail(key, "unknown key")


def parse_config(data: dict, source: str = "<config>", path: Path | None = None) -> KioskConfig:
    top = _Reader(source, data)
    model = top.text("model", "mnist")
    display = top.integer("display", 0, high=63)
    idle_timeout = top.number("idle_timeout", 60.0, high=86400.0)
    overlay_seconds = top.number("overlay_seconds", 8.0, low=0.0, low_open=False, high=600.0)
    exit_chord = top.text("exit_chord", "ctrl+alt+shift+q")
    try:
        key, mods = parse_key_chord(exit_chord)
    except BindingError as exc:
        raise top.fail("exit_chord", str(exc)) from None
    if not mods & (pygame.KMOD_CTRL | pygame.KMOD_ALT | pygame.KMOD_META):  # shift+a is typing a capital A
        raise top.fail("exit_chord", f"{exit_chord!r} needs at least one modifier besides shift (ctrl, alt, "
                                     "meta), or any visitor could leave by typing")
    inhibit = top.flag("inhibit_screensaver", True)
    osc_port = top.integer("osc_port", None, low=1, high=65535)
    osc_host = top.text("osc_host", OSC_DEFAULT_HOST)
    try:
        ipaddress.ip_address(osc_host)
    except ValueError:
        raise top.fail("osc_host", f"{osc_host!r} is not an IP address (127.0.0.1: this machine only; "
                                   "0.0.0.0: every interface)") from None
    midi_port = top.text("midi_port", None)

    reader = top.sub("tour")
    tour = TourConfig(style=reader.text("style", "mixed", TOUR_STYLES), speed=reader.number("speed", 1.0, high=20.0),
                      points=reader.integer("points", 5, low=2, high=50),
                      seconds=reader.number("seconds", 40.0, high=3600.0),
                      orbit_degrees_per_second=reader.number("orbit_degrees_per_second", 6.0, low=0.0,
                                                             low_open=False, high=360.0),
                      seed=reader.integer("seed", None, high=2**63 - 1))
    reader.done()

    reader = top.sub("visitors")
    may = reader.table.pop("may", list(DEFAULT_VISITOR_KINDS))
    if not isinstance(may, list) or not all(isinstance(kind, str) for kind in may):
        raise reader.fail("may", f"expected a list of strings, got {may!r}")
    unknown = [kind for kind in may if kind not in VISITOR_KINDS]
    if unknown:
        raise reader.fail("may", f"unknown kind {unknown[0]!r} (expected some of {', '.join(VISITOR_KINDS)})")
    reader.done()

    reader = top.sub("gamepad")
    gamepad = GamepadConfig(dead_zone=reader.number("dead_zone", 0.18, low=0.0, low_open=False, high=0.9),
                            trigger_dead_zone=reader.number("trigger_dead_zone", 0.06, low=0.0, low_open=False,
                                                            high=0.9),
                            exponent=reader.number("exponent", 2.0, high=5.0),
                            orbit_degrees_per_second=reader.number("orbit_degrees_per_second", 90.0, high=1440.0),
                            cursor_speed=reader.number("cursor_speed", 0.6, high=100.0),
                            zoom_per_second=reader.number("zoom_per_second", 2.5, low=1.0, high=100.0))
    reader.done()

    reader = top.sub("bindings")
    bindings: dict[str, str] = {}
    actions = bindable_actions()
    for input_name, action in reader.table.items():
        try:
            parse_input(input_name)
        except BindingError as exc:
            raise reader.fail(repr(input_name), str(exc)) from None
        if not isinstance(action, str):
            raise reader.fail(repr(input_name), f"expected an action name (a string), got {action!r}")
        if action and action.lstrip("-") not in actions:
            raise reader.fail(repr(input_name), f"unknown action {action!r} (valid: {', '.join(actions)}; "
                                                '"" unbinds)')
        bindings[input_name] = action
    reader.table.clear()
    top.done()
    return KioskConfig(path=path, model=model, display=display, idle_timeout=idle_timeout,
                       overlay_seconds=overlay_seconds, exit_chord=exit_chord, inhibit_screensaver=inhibit,
                       osc_port=osc_port, osc_host=osc_host, midi_port=midi_port, tour=tour, visitors_may=tuple(dict.fromkeys(may)), gamepad=gamepad, bindings=bindings)


def load_config(path: str | Path | None) -> KioskConfig:
    """The config at `path` (None: the defaults); KioskConfigError, one line, for any problem."""
    if path is None:
        return KioskConfig()
    from latentwalk.scenes.limits import MAX_CONFIG_BYTES
    from latentwalk.vae.safeio import read_limited

    path = Path(path)
    # a regular file only, judged by its length first: a FIFO would block the start for ever
    raw = read_limited(path, KioskConfigError, MAX_CONFIG_BYTES, what="a TOML file")
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise KioskConfigError(f"{path}: not valid TOML ({str(exc).splitlines()[0]})") from None
    except RecursionError:  # tomllib parses nested arrays and inline tables by recursion
        raise KioskConfigError(f"{path}: not valid TOML (tables or arrays nested too deeply)") from None
    return parse_config(data, str(path), path)
