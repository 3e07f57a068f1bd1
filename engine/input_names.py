"""Names for every bindable input, one string each, as a config file and the Help panel write them.

    key:<mods+>NAME     key:ctrl+s, key:escape, key:f11, key:left    (NAME: pygame's K_<NAME>, lower case)
    mouse:left-drag     mouse:middle-drag, mouse:right-drag, mouse:wheel
    pad:BUTTON          pad:a b x y back guide start leftstick rightstick leftshoulder rightshoulder
                        dpup dpdown dpleft dpright
    pad:AXIS            pad:leftx lefty rightx righty lefttrigger righttrigger
    midi:cc:N           midi:cc:21 (a knob or fader, 0-127), midi:note:36 (a key or pad, 0-127)

A device of an input source (engine/input_sources.py) whose inputs are numbered is one line of
SOURCE_DEVICES: its kinds of input and their number ranges.

Key names come from pygame's K_* constants rather than `pygame.key.name`, which needs an initialised
display to answer and so cannot check a config before the window opens.
"""
from __future__ import annotations

import pygame

MOD_NAMES = {"ctrl": pygame.KMOD_CTRL, "shift": pygame.KMOD_SHIFT, "alt": pygame.KMOD_ALT, "meta": pygame.KMOD_META}
MOUSE_DRAGS = {"left-drag": 1, "middle-drag": 2, "right-drag": 3}
WHEEL = "wheel"

PAD_BUTTONS = {
    "a": pygame.CONTROLLER_BUTTON_A, "b": pygame.CONTROLLER_BUTTON_B, "x": pygame.CONTROLLER_BUTTON_X,
    "y": pygame.CONTROLLER_BUTTON_Y, "back": pygame.CONTROLLER_BUTTON_BACK, "guide": pygame.CONTROLLER_BUTTON_GUIDE,
    "start": pygame.CONTROLLER_BUTTON_START, "leftstick": pygame.CONTROLLER_BUTTON_LEFTSTICK,
    "rightstick": pygame.CONTROLLER_BUTTON_RIGHTSTICK, "leftshoulder": pygame.CONTROLLER_BUTTON_LEFTSHOULDER,
    "rightshoulder": pygame.CONTROLLER_BUTTON_RIGHTSHOULDER, "dpup": pygame.CONTROLLER_BUTTON_DPAD_UP,
    "dpdown": pygame.CONTROLLER_BUTTON_DPAD_DOWN, "dpleft": pygame.CONTROLLER_BUTTON_DPAD_LEFT,
    "dpright": pygame.CONTROLLER_BUTTON_DPAD_RIGHT,
}
PAD_AXES = {
    "leftx": pygame.CONTROLLER_AXIS_LEFTX, "lefty": pygame.CONTROLLER_AXIS_LEFTY,
    "rightx": pygame.CONTROLLER_AXIS_RIGHTX, "righty": pygame.CONTROLLER_AXIS_RIGHTY,
    "lefttrigger": pygame.CONTROLLER_AXIS_TRIGGERLEFT, "righttrigger": pygame.CONTROLLER_AXIS_TRIGGERRIGHT,
}
# device -> {kind: (lowest, highest number)}: "midi:cc:21" is device "midi", kind "cc", number 21.
SOURCE_DEVICES = {"midi": {"cc": (0, 127), "note": (0, 127)}}
PAD_BUTTON_NAMES = {code: name for name, code in PAD_BUTTONS.items()}
PAD_AXIS_NAMES = {code: name for name, code in PAD_AXES.items()}

_KEY_CODES = {attr[2:].lower(): getattr(pygame, attr) for attr in dir(pygame)
              if attr.startswith("K_") and isinstance(getattr(pygame, attr), int)}
_KEY_NAMES = {}
for _name, _code in sorted(_KEY_CODES.items(), key=lambda item: len(item[0]), reverse=True):
    _KEY_NAMES[_code] = _name  # the shortest of several names for one code wins ("return" over "kp_enter")

# How the Help panel writes inputs.
_PRETTY_PAD = {"a": "A", "b": "B", "x": "X", "y": "Y", "back": "Back", "guide": "Guide", "start": "Start",
               "leftstick": "Left stick press", "rightstick": "Right stick press", "leftshoulder": "LB",
               "rightshoulder": "RB", "dpup": "D-pad up", "dpdown": "D-pad down", "dpleft": "D-pad left",
               "dpright": "D-pad right", "leftx": "Left stick X", "lefty": "Left stick Y",
               "rightx": "Right stick X", "righty": "Right stick Y", "lefttrigger": "Left trigger",
               "righttrigger": "Right trigger"}


class BindingError(ValueError):
    """An input or action name that cannot be bound; the message is one line."""


def key_code(name: str) -> int:
    code = _KEY_CODES.get(name.strip().lower())
    if code is None:
        raise BindingError(f"unknown key name {name!r} (use pygame's names: a, f11, escape, left, space, ...)")
    return code


def key_name(code: int) -> str:
    return _KEY_NAMES.get(code, f"code{code}")


def parse_key_chord(text: str) -> tuple[int, int]:
    """'ctrl+alt+q' -> (K_q, KMOD_CTRL | KMOD_ALT)."""
    parts = [p.strip().lower() for p in text.split("+")]
    if not parts or not parts[-1]:
        raise BindingError(f"key {text!r} names no key (write e.g. ctrl+alt+q)")
    mods = 0
    for part in parts[:-1]:
        if part not in MOD_NAMES:
            raise BindingError(f"unknown modifier {part!r} in {text!r} (expected {', '.join(MOD_NAMES)})")
        mods |= MOD_NAMES[part]
    return key_code(parts[-1]), mods


def format_key_chord(code: int, mods: int) -> str:
    held = [name for name, bit in MOD_NAMES.items() if mods & bit]
    return "+".join(held + [key_name(code)])


def parse_input(text: str) -> tuple[str, object]:
    """'key:ctrl+s' -> ("key", (code, mods)); 'mouse:left-drag' -> ("drag", 1); 'mouse:wheel' ->
    ("wheel", None); 'pad:a' -> ("pad_button", "a"); 'pad:leftx' -> ("pad_axis", "leftx");
    'midi:CC:021' -> ("source", "midi:cc:21") (a source device's input, written one way)."""
    device, sep, rest = str(text).partition(":")
    device, rest = device.strip().lower(), rest.strip().lower()
    if not sep or not rest:
        raise BindingError(f"input {text!r} should read device:name (key:ctrl+s, mouse:wheel, pad:a)")
    if device == "key":
        return "key", parse_key_chord(rest)
    if device == "mouse":
        if rest == WHEEL:
            return "wheel", None
        if rest in MOUSE_DRAGS:
            return "drag", MOUSE_DRAGS[rest]
        raise BindingError(f"unknown mouse input {rest!r} (expected {', '.join([*MOUSE_DRAGS, WHEEL])})")
    if device == "pad":
        if rest in PAD_BUTTONS:
            return "pad_button", rest
        if rest in PAD_AXES:
            return "pad_axis", rest
        raise BindingError(f"unknown pad input {rest!r} (expected one of {', '.join([*PAD_BUTTONS, *PAD_AXES])})")
    if device in SOURCE_DEVICES:
        return "source", _source_input(device, rest, text)
    raise BindingError(f"unknown device {device!r} in {text!r} (expected {', '.join(['key', 'mouse', 'pad', *SOURCE_DEVICES])})")


def _source_input(device: str, rest: str, text: str) -> str:
    kinds = SOURCE_DEVICES[device]
    kind, _, number = rest.partition(":")
    kind, number = kind.strip(), number.strip()
    if kind not in kinds:
        raise BindingError(f"unknown {device} input {kind!r} in {text!r} (expected {', '.join(kinds)})")
    low, high = kinds[kind]
    if not number.isdigit() or not low <= int(number) <= high:
        raise BindingError(f"{text!r}: {device}:{kind} needs a number from {low} to {high} ({device}:{kind}:{low})")
    return f"{device}:{kind}:{int(number)}"


def pretty_input(text: str) -> str:
    """'key:ctrl+s' -> 'Ctrl+S', 'pad:a' -> 'Pad A', 'mouse:left-drag' -> 'Left drag'."""
    device, _, rest = text.partition(":")
    if device == "key":
        return "+".join(part.capitalize() for part in rest.split("+"))
    if device == "mouse":
        return "Mouse wheel" if rest == WHEEL else rest.replace("-", " ").capitalize()
    if device in SOURCE_DEVICES:
        return f"{device.upper()} {rest.replace(':', ' ')}"
    return f"Pad {_PRETTY_PAD.get(rest, rest)}"
