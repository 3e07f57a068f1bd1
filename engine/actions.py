"""Actions declared once: each `ActionSpec` says an action's name, what it does in words (a Help panel
reads them), the inputs bound to it by default, and, for a scene that turns it into a command, which
command (`makes`). A binding table, a Help panel, a config's check of action names and a kiosk's
policy all read the declarations; nothing else lists actions.

`makes` is opaque to the engine: a fixed value (the one command the action stands for), or a type
(the type of command `make(scene, action)` builds from the action, or that a driver makes of it each
step: held keys, pad axes). A scene that wants the engine's action to make something declares it
again with `dataclasses.replace(ENGINE_ACTIONS[name], makes=...)`, keeping its words and bindings.

The engine's own declarations: the inputs it turns into actions itself (the pointer, clicks, the
wheel, drags, dropped files, Esc), the usual camera keys, and the App's actions (`APP_ACTIONS`).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterable

# Action names the engine emits for the mouse, the window and Esc.
POINTER_MOVE = "pointer_move"
POINTER_LEAVE = "pointer_leave"
ZOOM = "zoom"
CLICK = "click"
DOUBLE_CLICK = "double_click"
DROP_FILE = "drop_file"  # a file or folder dropped on the window; `text` is its path
CANCEL = "cancel"  # Esc: the App lets an open popup take it, else the scene (clear the selection)


@dataclass(frozen=True)
class ActionSpec:
    """One action. `defaults`: input names (engine.input_names) bound to it unless a config says
    otherwise; a leading "-" binds an axis turned the other way ("-pad:lefty"). An action bound to
    nothing by default says how it comes instead in `unbound` (the mouse, a driver, a config).
    `make(scene, action)`: the commands one action stands for, when they depend on the action or the
    scene; without it a fixed `makes` is the one command."""
    name: str
    words: str
    defaults: tuple[str, ...] = ()
    unbound: str = ""
    makes: object = None
    make: Callable[[object, object], list] | None = None

    @property
    def command_type(self) -> type | None:
        """The type of command the action makes (its `effects` tell a policy what it may change)."""
        if self.makes is None or isinstance(self.makes, type):
            return self.makes
        return type(self.makes)

    @property
    def undoable(self) -> bool:
        return bool(getattr(self.command_type, "undoable", False))

    def commands(self, scene, action) -> list:
        """What one action stands for now (none for one a driver reads each step, or handled elsewhere)."""
        if self.make is not None:
            return list(self.make(scene, action))
        if self.makes is None or isinstance(self.makes, type):
            return []
        return [self.makes]


def declare(*specs: ActionSpec) -> dict[str, ActionSpec]:
    """{name: spec}; a name declared twice is a mistake, said in one line."""
    table: dict[str, ActionSpec] = {}
    for spec in specs:
        if spec.name in table:
            raise ValueError(f"action {spec.name!r} is declared twice")
        table[spec.name] = spec
    return table


def default_inputs(specs: Iterable[ActionSpec], devices: tuple[str, ...] | None = None) -> dict[str, str]:
    """{input name: action} of the declarations' default bindings, on `devices` ("key", "mouse",
    "pad", ...; None: every device), as `Bindings.update` reads them."""
    table: dict[str, str] = {}
    for spec in specs:
        for entry in spec.defaults:
            reversed_axis = entry.startswith("-")
            input_name = entry.removeprefix("-")
            if devices is None or input_name.split(":", 1)[0] in devices:
                table[input_name] = ("-" if reversed_axis else "") + spec.name
    return table


INPUT_ACTIONS = declare(
    ActionSpec(POINTER_MOVE, "the pointer moves over the view", unbound="the mouse moving"),
    ActionSpec(POINTER_LEAVE, "the pointer leaves the view", unbound="the mouse leaving the window or the UI taking it"),
    ActionSpec(CLICK, "click", unbound="a mouse click that is not a drag"),
    ActionSpec(DOUBLE_CLICK, "double-click", unbound="two clicks in a short time"),
    ActionSpec(DROP_FILE, "open a dropped file or folder", unbound="a file dropped on the window"),
    ActionSpec(CANCEL, "close a popup, else clear the selection", ("key:escape",)),
    ActionSpec(ZOOM, "zoom (towards the cursor)", ("mouse:wheel",)),
    ActionSpec("drag_rotate", "turn the view", ("mouse:left-drag",)),
    ActionSpec("drag_pan", "move the view", ("mouse:middle-drag", "mouse:right-drag")),
    ActionSpec("reset_view", "back to the first view", ("key:r", "key:home")),
    ActionSpec("orbit_left", "turn left", ("key:left",)),
    ActionSpec("orbit_right", "turn right", ("key:right",)),
    ActionSpec("orbit_up", "turn up", ("key:up",)),
    ActionSpec("orbit_down", "turn down", ("key:down",)),
)
# The App handles these itself; a scene never sees them.
APP_ACTIONS = declare(
    ActionSpec("toggle_fullscreen", "fullscreen on / off", ("key:f11",)),
    ActionSpec("toggle_stats", "frame-time overlay", ("key:f3",)),
    ActionSpec("quit", "quit (the session is kept for next time)", ("key:ctrl+q",)),
    ActionSpec("ui_scale_up", "larger text", ("key:ctrl+equals", "key:ctrl+plus", "key:ctrl+kp_plus",
                                              "key:ctrl+shift+equals")),  # Ctrl and "+" on any layout
    ActionSpec("ui_scale_down", "smaller text", ("key:ctrl+minus", "key:ctrl+kp_minus")),
    ActionSpec("ui_scale_reset", "text at normal size", ("key:ctrl+0",)),
)
ENGINE_ACTIONS = {**INPUT_ACTIONS, **APP_ACTIONS}
