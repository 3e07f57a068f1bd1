"""What the kiosk lets its tour and its visitors do, by the effects each command type declares
(scenes/explorer/commands.py): the explorer's `command_policy`, checked at `scene.submit`, where every
driver and panel passes. Allow-lists only: a command with any effect not listed is refused, so a new
command that opens, writes or switches something is refused until someone lists it here.

- The tour (and the kiosk handing back to it) may do TOUR_EFFECTS.
- A visitor may do ALWAYS plus the effects of the kinds the config's `visitors.may` names
  (VISITOR_EFFECTS). Opening or writing files, switching the model and starting programs are in no
  kind: no config lets a visitor do them.
- Bindings: a config may bind an input only to an action that makes a command some kind allows
  (`bindable_actions`), so a misspelt action is refused at start, not ignored forever.
"""
from __future__ import annotations

from latentwalk.engine.gamepad import NAVIGATE_PANELS
from latentwalk.scenes.explorer.input import actions
from latentwalk.scenes.explorer.core import commands as c

ALWAYS = (c.HOVER,)
VISITOR_EFFECTS = {
    "orbit": (c.ORBIT,), "zoom": (c.ZOOM,), "pan": (c.PAN,), "select": (c.SELECT, c.FLY), "path": (c.PATH,),
    "walk": (c.WALK,), "highlight": (c.HIGHLIGHT,), "panels": (c.PANELS,), "reset": (c.RESET,),
    "style": (c.STYLE,),
}
VISITOR_KINDS = tuple(VISITOR_EFFECTS)
TOUR_EFFECTS = frozenset((c.HOVER, c.ORBIT, c.ZOOM, c.PAN, c.RESET, c.FLY, c.CAMERA, c.SELECT, c.PATH, c.WALK,
                          c.HIGHLIGHT, c.PANELS))
# The pad driver's sticks and triggers, by the command each one makes (pad_driver.py's step), and the
# held button that takes the pad into the panels (no command itself: it reaches what ShowPanels shows).
AXIS_COMMANDS = {"orbit_yaw": c.Orbit, "orbit_pitch": c.Orbit, "cursor_x": c.Select, "cursor_y": c.Select,
                 "zoom_axis": c.Zoom, NAVIGATE_PANELS: c.ShowPanels}
REFUSAL = "not at this installation"


def visitor_effects(kinds) -> frozenset[str]:
    return frozenset(ALWAYS).union(*(VISITOR_EFFECTS[kind] for kind in kinds))


def denied(command, allowed: frozenset[str]) -> tuple[str, ...]:
    """The effects of `command` (a command or its type) that `allowed` does not list (none: it may be submitted)."""
    return tuple(effect for effect in command.effects if effect not in allowed)


def refusal(command, effects: tuple[str, ...]) -> str:
    return f"{REFUSAL}: {type(command).__name__} ({', '.join(e.replace('_', ' ') for e in effects)})"


def command_type(action: str) -> type | None:
    """The type of command an action makes in the kiosk (the pad driver's, the explorer's), or None."""
    from latentwalk.scenes.kiosk.pad_driver import ACTION_COMMANDS

    action = action.lstrip("-")
    if action in ACTION_COMMANDS:
        return type(ACTION_COMMANDS[action]())
    return AXIS_COMMANDS.get(action) or actions.command_type(action)


def allows(action: str, allowed: frozenset[str]) -> bool:
    kind = command_type(action)
    return kind is not None and all(effect in allowed for effect in kind.effects)


def bindable_actions() -> tuple[str, ...]:
    """Every action a config may bind: those whose command some visitor kind allows."""
    from latentwalk.scenes.kiosk.pad_driver import ACTION_COMMANDS, PAD_DEFAULTS

    every = visitor_effects(VISITOR_KINDS)
    names = (*ACTION_COMMANDS, *AXIS_COMMANDS, *(a.lstrip("-") for a in PAD_DEFAULTS.values()),
             *actions.SIMPLE, *actions.OTHER_ACTIONS)
    return tuple(sorted({name for name in names if allows(name, every)}))
