"""Pygame events -> named actions, through one binding table, gated by what ImGui wants.

`Bindings` is data: keys, mouse drags, the wheel, pad buttons and pad axes, and the inputs of source
devices such as MIDI -> action names, readable and writable as {input name: action}
(engine.input_names), listed for a Help panel by `describe()`.
`InputMapper` is the stateful part (drags, clicks vs drags, double clicks, held keys, pointer leaving)
and asks the input sources (engine.input_sources: gamepads, OSC, MIDI) once a frame. Scenes only ever
see `Action`s that ImGui did not capture; `user_inputs` counts every user input, captured or not.
Clicks and double clicks ("click", "double_click") are the engine's own names, not table entries.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterable

import pygame

from latentwalk.engine.actions import (CLICK, DOUBLE_CLICK, DROP_FILE, ENGINE_ACTIONS, POINTER_LEAVE, POINTER_MOVE,
                                      ZOOM, default_inputs)
from latentwalk.engine.input_names import (MOUSE_DRAGS, BindingError, format_key_chord, parse_input,
                                             pretty_input)

# Only these modifiers distinguish bindings; NumLock/CapsLock must not break a shortcut.
MOD_MASK = pygame.KMOD_CTRL | pygame.KMOD_SHIFT | pygame.KMOD_ALT | pygame.KMOD_META
DRAG_THRESHOLD_PX = 3
DOUBLE_CLICK_SECONDS = 0.4
DOUBLE_CLICK_DISTANCE_PX = 4

# Actions whose Ctrl/Alt chords or function keys still work while a text field has the keyboard: none
# of them edits text, and a user typing a session's path expects Ctrl+S to save.
KEYBOARD_GLOBAL_ACTIONS = frozenset({"quit", "save_session", "load_session", "ui_scale_up", "ui_scale_down",
                                     "ui_scale_reset", "toggle_fullscreen", "toggle_help", "toggle_stats"})

# Events that mean a person is at the controls (kiosk mode hands over on any of them). A pad counts
# when a button goes down or a stick leaves its dead zone: plugging one in sends resting axes.
USER_INPUT_EVENTS = (pygame.KEYDOWN, pygame.KEYUP, pygame.MOUSEMOTION, pygame.MOUSEBUTTONDOWN,
                     pygame.MOUSEBUTTONUP, pygame.MOUSEWHEEL, pygame.FINGERDOWN, pygame.FINGERMOTION,
                     pygame.DROPFILE, pygame.TEXTINPUT)


@dataclass(frozen=True)
class Action:
    """Something the user asked for. `pos` is in window pixels, origin top-left."""
    name: str
    pos: tuple[int, int] | None = None
    delta: tuple[float, float] = (0.0, 0.0)
    value: float = 0.0
    button: int | None = None
    mods: int = 0
    key: int | None = None
    text: str | None = None


def normalize_mods(mods: int) -> int:
    """Fold left/right variants together and drop lock keys: KMOD_LSHIFT -> KMOD_SHIFT, etc."""
    result = 0
    for group in (pygame.KMOD_CTRL, pygame.KMOD_SHIFT, pygame.KMOD_ALT, pygame.KMOD_META):
        if mods & group:
            result |= group
    return result


class Bindings:
    """The one binding table: keys (with modifiers), mouse drags, the wheel, pad buttons and pad axes ->
    action names. Every entry has an input name (engine.input_names) so the table is read from and
    written to a config as {input: action}, and listed for a Help panel by `describe()`.

    A pad axis binds to an axis action with a sign: "-orbit_pitch" means pushing the stick down
    (SDL's +y) turns the other way; actions bound to several axes add up.
    """

    def __init__(self) -> None:
        self._keys: dict[tuple[int, int], str] = {}
        self._drags: dict[int, str] = {}
        self.wheel_action: str | None = ZOOM
        self._pad_buttons: dict[str, str] = {}
        self._pad_axes: dict[str, tuple[str, float]] = {}
        self._source_inputs: dict[str, tuple[str, float]] = {}  # "midi:cc:21" -> (action, sign)

    @classmethod
    def defaults(cls) -> "Bindings":
        """The default bindings of the engine's declared actions (engine/actions.py); Esc never quits
        (a popup open, unsaved work): it closes a popup or clears the selection."""
        bindings = cls()
        bindings.update(default_inputs(ENGINE_ACTIONS.values()))
        return bindings

    # -- keys and mouse ------------------------------------------------------------------------
    def bind_key(self, key: int, action: str, mods: int = 0) -> None:
        self._keys[(key, normalize_mods(mods))] = action

    def unbind_key(self, key: int, mods: int = 0) -> None:
        self._keys.pop((key, normalize_mods(mods)), None)

    def bind_drag(self, button: int, action: str) -> None:
        self._drags[button] = action

    def unbind_drag(self, button: int) -> None:
        self._drags.pop(button, None)

    def key_action(self, key: int, mods: int = 0) -> str | None:
        """The action for a key: an exact modifier match first, else the key's unmodified binding.

        The fallback lets Shift+Left still orbit (the Action carries the mods for scenes that care).
        """
        mods = normalize_mods(mods)
        return self._keys.get((key, mods)) or self._keys.get((key, 0))

    def drag_action(self, button: int) -> str | None:
        return self._drags.get(button)

    # -- gamepad -------------------------------------------------------------------------------
    def bind_pad_button(self, name: str, action: str) -> None:
        """`name` as in engine.input_names.PAD_BUTTONS ("a", "start", "dpleft", ...)."""
        self.bind(f"pad:{name}", action)

    def bind_pad_axis(self, name: str, action: str, scale: float = 1.0) -> None:
        """`name` as in engine.input_names.PAD_AXES ("leftx", "righttrigger", ...)."""
        self._pad_axes[parse_input(f"pad:{name}")[1]] = (action, float(scale))

    def pad_button_action(self, name: str) -> str | None:
        return self._pad_buttons.get(name)

    def pad_axis_binding(self, name: str) -> tuple[str, float] | None:
        """(axis action, scale) for a pad axis, or None."""
        return self._pad_axes.get(name)

    # -- source devices (engine.input_names.SOURCE_DEVICES) --------------------------------------
    def source_binding(self, input_name: str) -> tuple[str, float] | None:
        """(action, scale) for a source device's input as input_names writes it ("midi:cc:21"), or None.
        The scale is -1 for an action bound with a leading "-" (an axis turned the other way)."""
        return self._source_inputs.get(input_name)

    # -- the table as data ---------------------------------------------------------------------
    def bind(self, input_name: str, action: str | None) -> None:
        """Bind one input by its name (engine.input_names); an empty action or "none" unbinds it.
        Raises BindingError (one line) for an unknown input."""
        kind, what = parse_input(input_name)
        action = (action or "").strip()
        if action.lower() == "none":
            action = ""
        if kind == "key":
            key, mods = what
            if action:
                self.bind_key(key, action, mods)
            else:
                self.unbind_key(key, mods)
        elif kind == "drag":
            if action:
                self.bind_drag(what, action)
            else:
                self.unbind_drag(what)
        elif kind == "wheel":
            self.wheel_action = action or None
        elif kind == "pad_button":
            if action:
                self._pad_buttons[what] = action
            else:
                self._pad_buttons.pop(what, None)
        else:
            table = self._pad_axes if kind == "pad_axis" else self._source_inputs
            if not action:
                table.pop(what, None)
                return
            name = action.lstrip("+-").strip()
            if not name:
                raise BindingError(f"input {input_name!r}: {action!r} names no action")
            table[what] = (name, -1.0 if action.startswith("-") else 1.0)

    def update(self, table: dict[str, str | None]) -> None:
        """Override entries from {input name: action} (a config's [bindings]); all checked first, so a
        bad entry changes nothing."""
        for input_name in table:
            parse_input(input_name)
        for input_name, action in table.items():
            if action is not None and not isinstance(action, str):
                raise BindingError(f"input {input_name!r}: the action must be a string, got {action!r}")
        for input_name, action in table.items():
            self.bind(input_name, action)

    def to_dict(self) -> dict[str, str]:
        """{input name: action}: every binding in force, in a form `update` reads back."""
        table: dict[str, str] = {}
        for (key, mods), action in sorted(self._keys.items()):
            table[f"key:{format_key_chord(key, mods)}"] = action
        drag_names = {button: name for name, button in MOUSE_DRAGS.items()}
        for button, action in sorted(self._drags.items()):
            if button in drag_names:
                table[f"mouse:{drag_names[button]}"] = action
        if self.wheel_action:
            table["mouse:wheel"] = self.wheel_action
        for name, action in self._pad_buttons.items():
            table[f"pad:{name}"] = action
        for name, (action, scale) in self._pad_axes.items():
            table[f"pad:{name}"] = ("-" if scale < 0 else "") + action
        for name, (action, scale) in self._source_inputs.items():
            table[name] = ("-" if scale < 0 else "") + action
        return table

    @classmethod
    def from_dict(cls, table: dict[str, str], base: "Bindings | None" = None) -> "Bindings":
        bindings = cls()
        bindings.wheel_action = None  # the table says everything: no entry, no binding
        if base is not None:
            bindings.update(base.to_dict())
        bindings.update(table)
        return bindings

    def describe(self, devices: tuple[str, ...] | None = None) -> list[tuple[str, str]]:
        """The bindings in force as (input, action) pairs for a Help panel: mouse, keys, pad, then
        source devices, inputs written for people ("Ctrl+S", "Left drag", "Pad A", "MIDI cc 21");
        only those of `devices` ("key", "mouse", "pad", "midi") when given."""
        order = {"mouse": 0, "key": 1, "pad": 2}
        rows = sorted(((name, action) for name, action in self.to_dict().items()
                       if devices is None or name.split(":")[0] in devices),
                      key=lambda item: (order.get(item[0].split(":")[0], 3), item[0]))
        return [(pretty_input(name), action) for name, action in rows]


_FUNCTION_KEYS = frozenset(getattr(pygame, f"K_F{n}") for n in range(1, 13))


def _chord_or_function_key(key: int, mods: int) -> bool:
    """A key press that types no text: with Ctrl, Alt or Meta held, or F1-F12."""
    return bool(mods & (pygame.KMOD_CTRL | pygame.KMOD_ALT | pygame.KMOD_META)) or key in _FUNCTION_KEYS


@dataclass
class _Press:
    button: int
    start: tuple[int, int]
    dragging: bool = False


class InputMapper:
    """Turns one frame's events into actions, given whether ImGui wants the mouse/keyboard."""

    def __init__(self, bindings: Bindings, time_source: Callable[[], float]) -> None:
        self.bindings = bindings
        self._time = time_source
        self._presses: dict[int, _Press] = {}
        self._held: dict[int, str] = {}  # key -> action, for keys whose press reached the scene
        self._pointer_inside = False
        self._pointer_pos: tuple[int, int] | None = None  # posted events never move pygame's own cursor
        self._last_click: tuple[float, tuple[int, int], int] | None = None
        self.sources: list = []  # engine.input_sources.InputSource, in the order added
        self._event_sources: dict[int, list] = {}  # pygame event type -> the sources that take it
        self._event_inputs = 0  # user input events seen (USER_INPUT_EVENTS), captured by the UI or not
        self._removed_inputs = 0  # the counts of sources removed since, so user_inputs never goes back

    # -- input sources (engine/input_sources.py) -------------------------------------------------
    def add_source(self, source):
        """Start `source` and ask it every frame from now on; returns it. Its `start` may raise
        (EngineError, one line): it is then not added."""
        if source.bindings is None:
            source.bindings = self.bindings
        source.start()
        self.sources.append(source)
        for event_type in source.event_types:
            self._event_sources.setdefault(event_type, []).append(source)
        return source

    def remove_source(self, source) -> None:
        """Stop asking `source` (its owner closes it)."""
        if source not in self.sources:
            return
        self.sources.remove(source)
        self._removed_inputs += source.inputs
        for takers in self._event_sources.values():
            if source in takers:
                takers.remove(source)

    def close(self) -> None:
        """Close every source still added (the App closes its mapper)."""
        for source in list(self.sources):
            self.remove_source(source)
            source.close()

    @property
    def user_inputs(self) -> int:
        """What people did so far: keyboard and mouse events (captured by the UI or not) and every
        source's inputs. It only grows; a kiosk hands over when it changes."""
        return self._event_inputs + self._removed_inputs + sum(source.inputs for source in self.sources)

    def axes(self) -> dict[str, float]:
        """Each axis action's value now, summed over the sources and clamped to [-1, 1]; non-zero ones."""
        totals: dict[str, float] = {}
        for source in self.sources:
            for action, value in source.axes().items():
                totals[action] = totals.get(action, 0.0) + value
        return {action: max(-1.0, min(1.0, value)) for action, value in totals.items() if value != 0.0}

    def sources_active(self) -> bool:
        """Whether any source has something held or deflected now."""
        return any(source.active() for source in self.sources)

    def is_held(self, action: str) -> bool:
        """Whether a key bound to `action` is down (and its press was not captured by the UI)."""
        return action in self._held.values()

    def held_actions(self) -> set[str]:
        return set(self._held.values())

    def release_all(self) -> None:
        self._held.clear()
        self._presses.clear()
        for source in self.sources:
            source.release_all()

    def translate(self, events: Iterable[pygame.event.Event], *, ui_mouse: bool,
                  ui_keyboard: bool) -> list[Action]:
        actions: list[Action] = []
        # The scene must learn the pointer is gone as soon as the UI takes it: no sticky hover.
        if ui_mouse and self._pointer_inside and not self._presses:
            self._pointer_inside = False
            actions.append(Action(POINTER_LEAVE))
        for event in events:
            # a motion with no movement (the window opening or going fullscreen under a resting
            # pointer) is not a person
            if event.type in USER_INPUT_EVENTS and not (event.type == pygame.MOUSEMOTION and not any(event.rel)):
                self._event_inputs += 1
            takers = self._event_sources.get(event.type)
            if takers:
                for source in takers:
                    actions.extend(source.handle_event(event))
            elif event.type in (pygame.MOUSEMOTION, pygame.MOUSEBUTTONDOWN, pygame.MOUSEBUTTONUP,
                              pygame.MOUSEWHEEL):
                self._mouse(event, ui_mouse, actions)
            elif event.type in (pygame.KEYDOWN, pygame.KEYUP):
                self._key(event, ui_keyboard, actions)
            elif event.type == pygame.WINDOWLEAVE:
                if self._pointer_inside:
                    self._pointer_inside = False
                    actions.append(Action(POINTER_LEAVE))
            elif event.type == pygame.DROPFILE:
                actions.append(Action(DROP_FILE, text=str(event.file)))
            elif event.type == pygame.WINDOWFOCUSLOST:
                self.release_all()  # a key released in another window never sends KEYUP here
        for source in self.sources:
            actions.extend(source.poll())
        return actions

    def _mouse(self, event: pygame.event.Event, ui_mouse: bool, actions: list[Action]) -> None:
        mods = normalize_mods(pygame.key.get_mods())
        if event.type == pygame.MOUSEMOTION:
            pos = (int(event.pos[0]), int(event.pos[1]))
            self._pointer_pos = pos
            for press in self._presses.values():
                self._drag_motion(press, pos, event.rel, mods, actions)
            if not ui_mouse or self._presses:
                self._pointer_inside = True
                actions.append(Action(POINTER_MOVE, pos=pos, delta=(float(event.rel[0]), float(event.rel[1])), mods=mods))
        elif event.type == pygame.MOUSEBUTTONDOWN:
            if event.button in (4, 5) or ui_mouse:  # 4/5: legacy wheel, MOUSEWHEEL carries it
                return
            self._presses[event.button] = _Press(event.button, (int(event.pos[0]), int(event.pos[1])))
        elif event.type == pygame.MOUSEBUTTONUP:
            press = self._presses.pop(event.button, None)
            if press is None:  # the press went to the UI
                return
            if not press.dragging:
                pos = (int(event.pos[0]), int(event.pos[1]))
                actions.append(Action(CLICK, pos=pos, button=event.button, mods=mods))
                if self._is_double_click(pos, event.button):
                    actions.append(Action(DOUBLE_CLICK, pos=pos, button=event.button, mods=mods))
        elif event.type == pygame.MOUSEWHEEL:
            if ui_mouse or self.bindings.wheel_action is None:
                return
            pos = self._pointer_pos or pygame.mouse.get_pos()
            value = float(getattr(event, "precise_y", event.y) or event.y)
            actions.append(Action(self.bindings.wheel_action, pos=(int(pos[0]), int(pos[1])), value=value, mods=mods))

    def _drag_motion(self, press: _Press, pos: tuple[int, int], rel, mods: int, actions: list[Action]) -> None:
        name = self.bindings.drag_action(press.button)
        if not press.dragging:
            dx, dy = pos[0] - press.start[0], pos[1] - press.start[1]
            if max(abs(dx), abs(dy)) < DRAG_THRESHOLD_PX:
                return
            press.dragging = True
            rel = (dx, dy)  # the sub-threshold motion counts too, so the drag does not lag the cursor
        if name is not None:
            actions.append(Action(name, pos=pos, delta=(float(rel[0]), float(rel[1])), button=press.button, mods=mods))

    def _is_double_click(self, pos: tuple[int, int], button: int) -> bool:
        now = self._time()
        last, self._last_click = self._last_click, (now, pos, button)
        if last is None:
            return False
        then, last_pos, last_button = last
        close = max(abs(pos[0] - last_pos[0]), abs(pos[1] - last_pos[1])) <= DOUBLE_CLICK_DISTANCE_PX
        if last_button == button and close and now - then <= DOUBLE_CLICK_SECONDS:
            self._last_click = None  # a third click starts a new pair
            return True
        return False

    def _key(self, event: pygame.event.Event, ui_keyboard: bool, actions: list[Action]) -> None:
        if event.type == pygame.KEYUP:
            self._held.pop(event.key, None)
            return
        mods = normalize_mods(event.mod)
        name = self.bindings.key_action(event.key, mods)
        if name is None:
            return
        if ui_keyboard and not (name in KEYBOARD_GLOBAL_ACTIONS and _chord_or_function_key(event.key, mods)):
            return
        self._held[event.key] = name
        actions.append(Action(name, key=event.key, mods=mods, value=1.0))
