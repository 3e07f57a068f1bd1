"""Mouse and keyboard actions (engine.input) -> explorer commands. The key bindings are added to the
App's one table (`bind_keys`), so a config or the Help panel sees them like any other.

Keys: Tab panels; Space play / pause; C or Insert (and Shift+click) adds the hovered or selected point;
Alt+arrows select the nearest point on screen that way; N / Shift+N the next / previous nearest
neighbour; ] / [ the next / previous control point along the walk; F flies to the selection;
Ctrl+Z undo, Ctrl+Shift+Z or Ctrl+Y redo; Esc clears the selection (the App gives it to an open popup
first; Ctrl+Q quits). A click selects the point under the cursor (or clears the
selection on empty space), a double-click flies there.
"""
from __future__ import annotations

import pygame

from latentwalk.engine.input import CLICK, DOUBLE_CLICK, DROP_FILE, Action, Bindings
from latentwalk.scenes.explorer.core import commands as c

ADD_POINT = "add_hovered_point"
# held-key orbit: the direction of each action, in (yaw, pitch)
ORBIT_KEYS = {"orbit_left": (-1, 0), "orbit_right": (1, 0), "orbit_up": (0, 1), "orbit_down": (0, -1)}
ORBIT_RADIANS_PER_SECOND = 1.2

KEYS = (
    (pygame.K_TAB, 0, "toggle_panels"),
    (pygame.K_SPACE, 0, "play_walk"),
    (pygame.K_c, 0, ADD_POINT),
    (pygame.K_INSERT, 0, ADD_POINT),
    (pygame.K_LEFT, pygame.KMOD_ALT, "select_left"),
    (pygame.K_RIGHT, pygame.KMOD_ALT, "select_right"),
    (pygame.K_UP, pygame.KMOD_ALT, "select_up"),
    (pygame.K_DOWN, pygame.KMOD_ALT, "select_down"),
    (pygame.K_n, 0, "select_next_neighbor"),
    (pygame.K_n, pygame.KMOD_SHIFT, "select_previous_neighbor"),
    (pygame.K_RIGHTBRACKET, 0, "select_next_on_walk"),
    (pygame.K_LEFTBRACKET, 0, "select_previous_on_walk"),
    (pygame.K_f, 0, "fly_to_selection"),
    (pygame.K_z, pygame.KMOD_CTRL, "undo"),
    (pygame.K_z, pygame.KMOD_CTRL | pygame.KMOD_SHIFT, "redo"),
    (pygame.K_y, pygame.KMOD_CTRL, "redo"),
)

# actions that stand for one command, whatever the pointer or the state
SIMPLE = {
    "toggle_panels": c.ShowPanels(None),
    "play_walk": c.PlayWalk(None),
    ADD_POINT: c.AddControlPoint(),
    "select_left": c.SelectInDirection(-1, 0),
    "select_right": c.SelectInDirection(1, 0),
    "select_up": c.SelectInDirection(0, -1),
    "select_down": c.SelectInDirection(0, 1),
    "select_next_neighbor": c.SelectNeighbor(1),
    "select_previous_neighbor": c.SelectNeighbor(-1),
    "select_next_on_walk": c.SelectAlongWalk(1),
    "select_previous_on_walk": c.SelectAlongWalk(-1),
    "reset_view": c.ResetView(),
    "cancel": c.Select(None, source="keyboard"),  # Esc (engine.input.CANCEL), when no popup took it
    "undo": c.Undo(),
    "redo": c.Redo(),
}


def bind_keys(bindings: Bindings) -> None:
    for key, mods, name in KEYS:
        bindings.bind_key(key, name, mods)


def commands_for(scene, action: Action) -> list:
    """The commands one action stands for (none for an action the explorer does not use)."""
    name, state = action.name, scene.state
    if name in SIMPLE:
        return [SIMPLE[name]]
    hovered = state.pointer.hovered
    if name == "pointer_move":
        return [c.PointerMoved(action.pos)]
    if name == "pointer_leave":
        return [c.PointerMoved(None)]
    if name == "drag_rotate":
        x, y = action.pos
        return [c.ArcballDrag((x - action.delta[0], y - action.delta[1]), (x, y))]
    if name == "drag_pan":
        return [c.Pan(*action.delta)]
    if name == "zoom":
        anchor = None if hovered is None else tuple(float(v) for v in scene.installed.positions[hovered])
        return [c.Zoom(scene.camera.zoom_step ** action.value, at=action.pos, anchor=anchor)]
    if name == CLICK and action.button == 1:
        if action.mods & pygame.KMOD_SHIFT:
            return [c.AddControlPoint()] if hovered is not None else []
        return [c.Select(hovered, source="pointer")]
    if name == DOUBLE_CLICK:
        return [c.FlyTo(pixel=action.pos)]
    if name == "fly_to_selection" and state.selection.index is not None:
        return [c.FlyTo(index=state.selection.index)]
    if name == DROP_FILE and action.text:
        return [c.LoadModel(action.text)]
    return []


def held_orbit(held: set[str], dt: float) -> c.Orbit | None:
    """The orbit that the arrow keys held down ask for over one fixed step of dt seconds."""
    yaw = sum(ORBIT_KEYS[n][0] for n in held if n in ORBIT_KEYS) * ORBIT_RADIANS_PER_SECOND * dt
    pitch = sum(ORBIT_KEYS[n][1] for n in held if n in ORBIT_KEYS) * ORBIT_RADIANS_PER_SECOND * dt
    return c.Orbit(yaw, pitch) if (yaw or pitch) else None
