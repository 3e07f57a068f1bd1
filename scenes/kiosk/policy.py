"""What the kiosk lets its tour and its visitors do, by the effects each command type declares
(scenes/explorer/core/commands.py): the explorer's `command_policy`, checked at `scene.submit`, where every
driver and panel passes. Allow-lists only: a command with any effect not listed is refused, so a new
command that opens, writes or switches something is refused until someone lists it here.

- The tour (and the kiosk handing back to it) may do TOUR_EFFECTS.
- A visitor may do ALWAYS plus the effects of the kinds the config's `visitors.may` names
  (VISITOR_EFFECTS). Opening or writing files, switching the model and starting programs are in no
  kind: no config lets a visitor do them. A screenshot (a picture under a fresh name) is a kind of
  its own that a config may name; it is off by default.
- Bindings: a config may bind an input only to a declared action (scenes/explorer/input/actions.py)
  whose command some kind allows (`bindable_actions`), so a misspelt action is refused at start, not
  ignored forever. What an action makes, and so what it may change, is read from its declaration.
"""
from __future__ import annotations

from latentwalk.scenes.explorer.core import commands as c
from latentwalk.scenes.explorer.input.actions import ACTIONS

ALWAYS = (c.HOVER,)
VISITOR_EFFECTS = {
    "orbit": (c.ORBIT,), "zoom": (c.ZOOM,), "pan": (c.PAN,), "select": (c.SELECT, c.FLY), "path": (c.PATH,),
    "walk": (c.WALK,), "highlight": (c.HIGHLIGHT,), "panels": (c.PANELS,), "reset": (c.RESET,),
    "style": (c.STYLE,),
    "screenshot": (c.SCREENSHOT,),  # only when a config names it: a fresh file, never over one
}
VISITOR_KINDS = tuple(VISITOR_EFFECTS)
TOUR_EFFECTS = frozenset((c.HOVER, c.ORBIT, c.ZOOM, c.PAN, c.RESET, c.FLY, c.CAMERA, c.SELECT, c.PATH, c.WALK,
                          c.HIGHLIGHT, c.PANELS))
REFUSAL = "not at this installation"


def visitor_effects(kinds) -> frozenset[str]:
    return frozenset(ALWAYS).union(*(VISITOR_EFFECTS[kind] for kind in kinds))


def denied(command, allowed: frozenset[str]) -> tuple[str, ...]:
    """The effects of `command` (a command or its type) that `allowed` does not list (none: it may be submitted)."""
    return tuple(effect for effect in command.effects if effect not in allowed)


def refusal(command, effects: tuple[str, ...]) -> str:
    return f"{REFUSAL}: {type(command).__name__} ({', '.join(e.replace('_', ' ') for e in effects)})"


def command_type(action: str) -> type | None:
    """The type of command an action makes (a leading "-", an axis turned round, is the same action),
    or None for one that makes none or that nobody declared."""
    spec = ACTIONS.get(action.lstrip("-"))
    return None if spec is None else spec.command_type


def allows(action: str, allowed: frozenset[str]) -> bool:
    kind = command_type(action)
    return kind is not None and all(effect in allowed for effect in kind.effects)


def bindable_actions() -> tuple[str, ...]:
    """Every action a config may bind: the declared actions whose command some visitor kind allows."""
    every = visitor_effects(VISITOR_KINDS)
    return tuple(sorted(name for name in ACTIONS if allows(name, every)))
