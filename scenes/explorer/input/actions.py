"""Every action the explorer knows, each declared once (engine.actions.ActionSpec): its name, its words
for the Help panel, its default inputs (keys, mouse, pad), and the command it makes, whose type's
`effects` tell the kiosk's policy what it may change and whose `undoable` tells Undo. `ACTIONS` is the
one table: the explorer's key bindings (`bind_keys`), the pad driver's defaults, the Help panel, the
kiosk's list of bindable actions and `commands_for` all read it.

Keys: Tab panels; Space play / pause; C or Insert (and Shift+click) adds the hovered or selected point;
Alt+arrows select the nearest point on screen that way; N / Shift+N the next / previous nearest
neighbour; ] / [ the next / previous control point along the walk; F flies to the selection; A shows
or hides the axes; Ctrl+F types into the search field; Ctrl+Z undo, Ctrl+Shift+Z or Ctrl+Y redo; Esc
clears the selection (the App gives it to an open popup first; Ctrl+Q quits). A click selects the point
under the cursor (or clears the selection on empty space), a double-click flies there; Alt+click in
empty space decodes the place under the pointer, Alt+Shift+click adds that place to the path.

Actions with a value, which remote sources send (engine/osc.py's addresses, a MIDI knob or pad):
"select_index" (value: a point's index), "walk_t" (value: the walk's position, 0 to 1),
"set_playing" (value 1 plays, 0 pauses), "orbit_by" (delta: radians right and up),
"highlight_class" (value: a class, < 0 every class). MIDI: knob CC 21 moves the walk, pads (notes)
36 play / pause, 37 add the hovered or selected point, 38 reset the view.
"""
from __future__ import annotations

from dataclasses import replace

import pygame

from latentwalk.engine.actions import CLICK, DOUBLE_CLICK, DROP_FILE, ENGINE_ACTIONS, ActionSpec, declare, default_inputs
from latentwalk.engine.gamepad import NAVIGATE_PANELS_ACTION
from latentwalk.engine.input import Action, Bindings
from latentwalk.engine.screenshots import SCREENSHOT, SCREENSHOT_ACTIONS, SCREENSHOT_WITHOUT_UI
from latentwalk.scenes.explorer.core import commands as c
from latentwalk.scenes.explorer.core.state import PLACE_SOURCE

# held-key orbit: the direction of each action, in (yaw, pitch)
ORBIT_KEYS = {"orbit_left": (-1, 0), "orbit_right": (1, 0), "orbit_up": (0, 1), "orbit_down": (0, -1)}
ORBIT_RADIANS_PER_SECOND = 1.2
TOGGLE_HELP = "toggle_help"  # the Help panel's (panels/help.py): no command
# A click with Alt held in empty space decodes the place under the pointer (with Shift too: adds it to
# the path, as Shift+click adds a point). Alt, because Shift+click already adds the hovered point,
# Ctrl+click is the right button on a Mac, and Alt already means "a place on screen" here (Alt+arrows).
PLACE_MODIFIER = pygame.KMOD_ALT
SELECT_PLACE, ADD_PLACE = "select_place", "add_place"
FOCUS_SEARCH = "focus_search"  # the Search panel's (panels/search.py): no command, the field takes the keys


# -- commands made from the action or the scene ---------------------------------------------------

def _drag_rotate(scene, action: Action) -> list:
    x, y = action.pos
    return [c.ArcballDrag((x - action.delta[0], y - action.delta[1]), (x, y))]


def _zoom(scene, action: Action) -> list:
    hovered = scene.state.pointer.hovered
    anchor = None if hovered is None else tuple(float(v) for v in scene.installed.positions[hovered])
    return [c.Zoom(scene.camera.zoom_step ** action.value, at=action.pos, anchor=anchor)]


def _click(scene, action: Action) -> list:
    if action.button != 1:
        return []
    hovered = scene.state.pointer.hovered
    if action.mods & PLACE_MODIFIER and hovered is None:
        name = ADD_PLACE if action.mods & pygame.KMOD_SHIFT else SELECT_PLACE
        return EXPLORER_ACTIONS[name].commands(scene, action)
    if action.mods & pygame.KMOD_SHIFT:
        return [c.AddControlPoint()] if hovered is not None else []
    return [c.Select(hovered, source="pointer")]


def _place_under_pointer(scene, action: Action) -> tuple[float, float, float] | None:
    """The place a click (or a key a config binds, at the pointer) points at, on the plane through the
    camera's target facing the camera: nothing in empty space says how deep it lies."""
    pixel = action.pos if action.pos is not None else scene.state.pointer.position
    return None if pixel is None else tuple(float(v) for v in scene.camera.place_at(pixel, scene.viewport))


def _select_place(scene, action: Action) -> list:
    place = _place_under_pointer(scene, action)
    return [] if place is None else [c.Select(place=place, source=PLACE_SOURCE)]


def _add_place(scene, action: Action) -> list:
    place = _place_under_pointer(scene, action)
    return [] if place is None else [c.AddControlPoint(place=place)]


def _fly_to_selection(scene, action: Action) -> list:
    index = scene.state.selection.index
    return [] if index is None else [c.FlyTo(index=index)]


def _toggle_axes(scene, action: Action) -> list:
    return [c.SetPointStyle(show_axes=not scene.state.style.show_axes)]


def _engine(spec: ActionSpec, makes, make=None, *, pad: tuple[str, ...] = ()) -> ActionSpec:
    """An action the engine declares (its words and inputs), as the explorer's command."""
    return replace(spec, makes=makes, make=make, defaults=spec.defaults + pad)


# -- the engine's actions, as the explorer's commands ---------------------------------------------
ENGINE = {**ENGINE_ACTIONS, **SCREENSHOT_ACTIONS}
HANDLED = (
    _engine(ENGINE["pointer_move"], c.PointerMoved, lambda scene, action: [c.PointerMoved(action.pos)]),
    _engine(ENGINE["pointer_leave"], c.PointerMoved(None)),
    _engine(ENGINE["drag_rotate"], c.ArcballDrag, _drag_rotate),
    _engine(ENGINE["drag_pan"], c.Pan, lambda scene, action: [c.Pan(*action.delta)]),
    _engine(ENGINE["zoom"], c.Zoom, _zoom),
    _engine(ENGINE[CLICK], c.Select, _click),  # Shift+click adds the point to the path
    _engine(ENGINE[DOUBLE_CLICK], c.FlyTo, lambda scene, action: [c.FlyTo(pixel=action.pos)]),
    # a dropped picture is the Draw tools' (drawing.py takes it first); anything else is a bundle
    _engine(ENGINE[DROP_FILE], c.LoadModel, lambda scene, action: [c.LoadModel(action.text)] if action.text else []),
    _engine(ENGINE["cancel"], c.Select(None, source="keyboard")),  # when no popup took Esc
    _engine(ENGINE["reset_view"], c.ResetView(), pad=("pad:back", "midi:note:38")),
    *(_engine(ENGINE[name], c.Orbit) for name in ORBIT_KEYS),  # held: `held_orbit`
    _engine(ENGINE[SCREENSHOT], c.TakeScreenshot,
            lambda scene, action: [c.TakeScreenshot(ui=True, path=action.text or None)]),
    _engine(ENGINE[SCREENSHOT_WITHOUT_UI], c.TakeScreenshot,
            lambda scene, action: [c.TakeScreenshot(ui=False, path=action.text or None)]),
    # held: the pad's buttons go to the panels, which ShowPanels shows
    _engine(NAVIGATE_PANELS_ACTION, c.ShowPanels),
)

# -- the explorer's own ---------------------------------------------------------------------------
DECLARED = (
    ActionSpec(TOGGLE_HELP, "this help", ("key:f1",)),
    ActionSpec(FOCUS_SEARCH, "search points by class, index or metadata", ("key:ctrl+f",)),
    ActionSpec("toggle_panels", "hide / show the panels", ("key:tab", "pad:start"), makes=c.ShowPanels(None)),
    ActionSpec("play_walk", "play / pause the walk", ("key:space", "pad:x", "midi:note:36"), makes=c.PlayWalk(None)),
    ActionSpec("add_hovered_point", "add the hovered (or selected) point to the path",
               ("key:c", "key:insert", "midi:note:37"),
               makes=c.AddControlPoint()),
    ActionSpec("select_left", "select the nearest point to the left", ("key:alt+left",),
               makes=c.SelectInDirection(-1, 0)),
    ActionSpec("select_right", "select the nearest point to the right", ("key:alt+right",),
               makes=c.SelectInDirection(1, 0)),
    ActionSpec("select_up", "select the nearest point above", ("key:alt+up",), makes=c.SelectInDirection(0, -1)),
    ActionSpec("select_down", "select the nearest point below", ("key:alt+down",), makes=c.SelectInDirection(0, 1)),
    ActionSpec("select_next_neighbor", "next nearest neighbour", ("key:n",), makes=c.SelectNeighbor(1)),
    ActionSpec("select_previous_neighbor", "previous nearest neighbour", ("key:shift+n",),
               makes=c.SelectNeighbor(-1)),
    ActionSpec("select_next_on_walk", "next control point", ("key:rightbracket",), makes=c.SelectAlongWalk(1)),
    ActionSpec("select_previous_on_walk", "previous control point", ("key:leftbracket",),
               makes=c.SelectAlongWalk(-1)),
    ActionSpec(SELECT_PLACE, "decode the place in the view under the pointer (not a data point)",
               unbound="Alt+click in empty space", makes=c.Select, make=_select_place),
    ActionSpec(ADD_PLACE, "add the place under the pointer to the path", unbound="Alt+Shift+click in empty space",
               makes=c.AddControlPoint, make=_add_place),
    ActionSpec("fly_to_selection", "fly to the selection", ("key:f",), makes=c.FlyTo, make=_fly_to_selection),
    ActionSpec("toggle_axes", "show / hide the axes", ("key:a",), makes=c.SetPointStyle, make=_toggle_axes),
    ActionSpec("undo", "undo", ("key:ctrl+z",), makes=c.Undo()),
    ActionSpec("redo", "redo", ("key:ctrl+shift+z", "key:ctrl+y"), makes=c.Redo()),
    ActionSpec("save_session", "save the session", ("key:ctrl+s",), makes=c.SaveSession()),
    ActionSpec("load_session", "open a session", ("key:ctrl+o",), makes=c.LoadSession()),
    # the pad's buttons (scenes/kiosk/pad_driver.py binds every pad default)
    ActionSpec("add_control_point", "add the cursor's point to the path", ("pad:a",), makes=c.AddControlPoint()),
    ActionSpec("remove_last_control_point", "remove the last control point", ("pad:b",),
               makes=c.RemoveLastControlPoint()),
    ActionSpec("cycle_highlight", "highlight the next class", ("pad:y",), makes=c.CycleHighlight()),
    ActionSpec("walk_step_back", "one step back along the walk", ("pad:dpleft",), makes=c.StepWalk(-1)),
    ActionSpec("walk_step_forward", "one step along the walk", ("pad:dpright",), makes=c.StepWalk(1)),
    ActionSpec("walk_step_back_10", "ten steps back along the walk", ("pad:dpdown",), makes=c.StepWalk(-10)),
    ActionSpec("walk_step_forward_10", "ten steps along the walk", ("pad:dpup",), makes=c.StepWalk(10)),
    # the pad's sticks and triggers: the pad driver reads them each fixed step (its `step`)
    ActionSpec("orbit_yaw", "turn the view left / right", ("pad:leftx",), makes=c.Orbit),
    ActionSpec("orbit_pitch", "turn the view up / down", ("-pad:lefty",), makes=c.Orbit),
    ActionSpec("cursor_x", "move the cursor left / right in latent space", ("pad:rightx",), makes=c.Select),
    ActionSpec("cursor_y", "move the cursor up / down", ("-pad:righty",), makes=c.Select),
    ActionSpec("zoom_axis", "zoom in", ("pad:righttrigger", "-pad:lefttrigger"), makes=c.Zoom),
    # actions with a value, which remote sources send (engine/osc.py's addresses, a MIDI knob)
    ActionSpec("select_index", "select a point by its index", unbound="sent by OSC (/latentwalk/select i)",
               makes=c.Select, make=lambda scene, action: [c.Select(int(action.value), source="remote")]),
    ActionSpec("walk_t", "move along the walk (0 to 1)", ("midi:cc:21",), makes=c.SetWalkT,
               make=lambda scene, action: [c.SetWalkT(action.value)]),
    ActionSpec("set_playing", "play (1) or pause (0) the walk", unbound="sent by OSC (/latentwalk/play 0|1)",
               makes=c.PlayWalk, make=lambda scene, action: [c.PlayWalk(action.value >= 0.5)]),
    ActionSpec("orbit_by", "turn the view by an angle", unbound="sent by OSC (/latentwalk/orbit dx dy)",
               makes=c.Orbit, make=lambda scene, action: [c.Orbit(*action.delta)]),
    ActionSpec("highlight_class", "highlight a class (< 0: every class)",
               unbound="sent by OSC (/latentwalk/highlight c)", makes=c.Highlight,
               make=lambda scene, action: [c.Highlight(None if action.value < 0 else (int(action.value),))]),
)
EXPLORER_ACTIONS = declare(*HANDLED, *DECLARED)
# Every action the explorer sees, by name: the engine's (the App's own among them), as it handles them.
ACTIONS = {**ENGINE, NAVIGATE_PANELS_ACTION.name: NAVIGATE_PANELS_ACTION, **EXPLORER_ACTIONS}


def bind_keys(bindings: Bindings) -> None:
    """The explorer's own default inputs but the pad's (the pad driver binds those when there is one),
    into the App's one table; the engine's were bound where it declares them."""
    inputs = default_inputs((*HANDLED, *DECLARED))  # the engine's actions bound again as they were, plus MIDI
    bindings.update({name: action for name, action in inputs.items() if not name.startswith("pad:")})


def commands_for(scene, action: Action) -> list:
    """The commands one action stands for (none for an action the explorer does not use)."""
    spec = ACTIONS.get(action.name)
    return [] if spec is None else spec.commands(scene, action)


def held_orbit(held: set[str], dt: float) -> c.Orbit | None:
    """The orbit that the arrow keys held down ask for over one fixed step of dt seconds."""
    yaw = sum(ORBIT_KEYS[n][0] for n in held if n in ORBIT_KEYS) * ORBIT_RADIANS_PER_SECOND * dt
    pitch = sum(ORBIT_KEYS[n][1] for n in held if n in ORBIT_KEYS) * ORBIT_RADIANS_PER_SECOND * dt
    return c.Orbit(yaw, pitch) if (yaw or pitch) else None
