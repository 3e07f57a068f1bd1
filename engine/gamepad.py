"""Gamepads through SDL's GameController API (`pygame._sdl2.controller`): hot-plug, several pads at once,
dead zones and response curves, buttons and axes turned into named actions by the binding table.
`Gamepads` is an input source (engine/input_sources.py): `app.input.add_source(Gamepads(bindings))`.

- Pads come and go as CONTROLLERDEVICEADDED (a device index) and CONTROLLERDEVICEREMOVED (an instance
  id) arrive; a pad is known by its instance id, which SDL never reuses in a process.
- Buttons become `Action`s at once (engine.input's binding table, "pad:a" -> "add_control_point").
  Axes are state: `axes()` gives each bound axis action's value now, after the dead zone and the
  curve, summed over pads and clamped to [-1, 1]; a driver reads it once per fixed step, so a stick
  held for a second moves things as far at any frame rate.
- Sticks use a radial dead zone (a stick resting slightly off centre reads 0 in both axes, and
  a diagonal is not cut into a cross), rescaled so the response starts at 0 just outside it, then
  raised to `exponent` (2: fine control near the centre, full speed at the rim). Triggers have their
  own dead zone, linear above it.
- A pad event with no pad behind it (posted by a test, or a device SDL already closed) is still
  read: the event carries everything needed.
- The pad drives the scene by default. Panel navigation is entered on purpose, as in games: while a
  button bound to NAVIGATE_PANELS ("pad:leftshoulder" in the explorer) is held and the scene says
  there is UI to navigate (`set_ui_available`), the other buttons drive ImGui's gamepad keys instead
  of actions, except those in `ui_passthrough` (Start toggles the panels either way), and the left
  stick moves ImGui's navigation; the axes then drive nothing else. Letting go releases every key
  ImGui was given, so nothing stays pressed in a panel.
"""
from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field

import pygame

from latentwalk.engine.actions import ActionSpec
from latentwalk.engine.input import Action
from latentwalk.engine.input_names import PAD_AXIS_NAMES, PAD_BUTTON_NAMES
from latentwalk.engine.input_sources import InputSource

log = logging.getLogger(__name__)

AXIS_FULL_SCALE = 32767.0
STICKS = (("leftx", "lefty"), ("rightx", "righty"))
TRIGGERS = ("lefttrigger", "righttrigger")
NAVIGATE_PANELS = "navigate_panels"  # the held button's action: the pad navigates the panels meanwhile
NAVIGATE_PANELS_ACTION = ActionSpec(NAVIGATE_PANELS, "hold: the pad moves through the panels (D-pad, A to "
                                    "press, B to back out); let go: it drives the view again",
                                    ("pad:leftshoulder",))
PAD_EVENTS = (pygame.CONTROLLERDEVICEADDED, pygame.CONTROLLERDEVICEREMOVED, pygame.CONTROLLERBUTTONDOWN,
              pygame.CONTROLLERBUTTONUP, pygame.CONTROLLERAXISMOTION)


@dataclass(frozen=True)
class AxisResponse:
    stick_dead_zone: float = 0.18  # of full deflection; worn sticks rest at up to ~0.15
    trigger_dead_zone: float = 0.06
    exponent: float = 2.0

    def stick(self, x: float, y: float) -> tuple[float, float]:
        magnitude = math.hypot(x, y)
        if magnitude <= self.stick_dead_zone:
            return 0.0, 0.0
        scaled = min(1.0, (magnitude - self.stick_dead_zone) / (1.0 - self.stick_dead_zone)) ** self.exponent
        return x / magnitude * scaled, y / magnitude * scaled

    def trigger(self, value: float) -> float:
        value = max(0.0, value)
        if value <= self.trigger_dead_zone:
            return 0.0
        return min(1.0, (value - self.trigger_dead_zone) / (1.0 - self.trigger_dead_zone))


@dataclass
class Pad:
    instance_id: int
    name: str = "gamepad"
    controller: object | None = None  # the pygame._sdl2.controller.Controller, when SDL opened one
    raw: dict[str, float] = field(default_factory=dict)  # axis name -> [-1, 1] (triggers [0, 1])
    held: set[str] = field(default_factory=set)  # button names down


def _imgui_keys():
    from imgui_bundle import imgui
    key = imgui.Key
    return {"a": key.gamepad_face_down, "b": key.gamepad_face_right, "x": key.gamepad_face_left,
            "y": key.gamepad_face_up, "dpup": key.gamepad_dpad_up, "dpdown": key.gamepad_dpad_down,
            "dpleft": key.gamepad_dpad_left, "dpright": key.gamepad_dpad_right, "leftshoulder": key.gamepad_l1,
            "rightshoulder": key.gamepad_r1, "start": key.gamepad_start, "back": key.gamepad_back}


class Gamepads(InputSource):
    """Every connected pad; `handle_event(event)` for each CONTROLLER* event, `axes()` once per fixed
    step. A person is here when a button goes down or a stick moves outside its dead zone."""

    name = "gamepads"
    event_types = PAD_EVENTS

    def __init__(self, bindings, response: AxisResponse | None = None) -> None:
        super().__init__()
        self.bindings = bindings
        self.response = response or AxisResponse()
        self.pads: dict[int, Pad] = {}
        self.ui_available = False  # whether the scene shows UI that the pad could navigate
        self.ui_passthrough = {"start"}
        self.navigate_ui = False  # navigating the panels now: kept by _update_navigation
        self._imgui_down: set[str] = set()  # buttons ImGui was told are down
        self.connections = 0  # pads added since start, for logs and tests
        self._imgui_keys = None
        self._started = False

    def start(self) -> None:
        """Initialise SDL's joystick and controller subsystems: SDL then reports the pads already
        plugged in as CONTROLLERDEVICEADDED events, and later ones as they come."""
        if self._started:
            return
        from pygame._sdl2 import controller
        pygame.joystick.init()
        controller.init()
        self._started = True

    def close(self) -> None:
        for pad in list(self.pads.values()):
            self._close(pad)
        self.pads.clear()

    # -- events ---------------------------------------------------------------------------------
    def handle_event(self, event: pygame.event.Event) -> list[Action]:
        """Take one CONTROLLER* event; return the actions its buttons ask for."""
        actions = self._handle(event)
        if event.type == pygame.CONTROLLERBUTTONDOWN or (
                event.type == pygame.CONTROLLERAXISMOTION and self.active()):
            self.inputs += 1  # plugging a pad in sends resting axes: no person yet
        return actions

    def _handle(self, event: pygame.event.Event) -> list[Action]:
        if event.type == pygame.CONTROLLERDEVICEADDED:
            self._add(event.device_index)
            return []
        if event.type == pygame.CONTROLLERDEVICEREMOVED:
            pad = self.pads.pop(event.instance_id, None)
            if pad is not None:
                log.info("gamepad %s (%s) disconnected", pad.instance_id, pad.name)
                self._close(pad)
                self._update_navigation()
            return []
        pad = self.pads.get(event.instance_id)
        if pad is None:
            pad = self.pads[event.instance_id] = Pad(event.instance_id)
        if event.type == pygame.CONTROLLERAXISMOTION:
            name = PAD_AXIS_NAMES.get(event.axis)
            if name is not None:
                pad.raw[name] = max(-1.0, min(1.0, event.value / AXIS_FULL_SCALE))
                if self.navigate_ui:
                    self._feed_imgui_stick(pad)
            return []
        name = PAD_BUTTON_NAMES.get(event.button)
        if name is None:
            return []
        down = event.type == pygame.CONTROLLERBUTTONDOWN
        (pad.held.add if down else pad.held.discard)(name)
        action = self.bindings.pad_button_action(name)
        if action == NAVIGATE_PANELS:
            self._update_navigation()
            return []
        if self.navigate_ui and name not in self.ui_passthrough:
            self._feed_imgui_button(name, down)
            return []
        return [Action(action, button=event.button, value=1.0)] if down and action else []

    def _add(self, device_index: int) -> None:
        from pygame._sdl2 import controller
        try:
            pad_controller = controller.Controller(device_index)
            instance_id = pad_controller.as_joystick().get_instance_id()
            name = pad_controller.name
        except (pygame.error, ValueError, IndexError) as exc:  # unplugged again already, or not a controller
            log.warning("gamepad at device index %s could not be opened: %s", device_index, exc)
            return
        if instance_id in self.pads:
            return
        self.pads[instance_id] = Pad(instance_id, name, pad_controller)
        self.connections += 1
        log.info("gamepad %s (%s) connected", instance_id, name)

    @staticmethod
    def _close(pad: Pad) -> None:
        if pad.controller is not None:
            try:
                pad.controller.quit()
            except pygame.error:
                pass
            pad.controller = None

    def release_all(self) -> None:
        """Forget held buttons and deflections (focus lost: the releases may never arrive)."""
        for pad in self.pads.values():
            pad.raw.clear()
            pad.held.clear()
        self._update_navigation()

    # -- state ----------------------------------------------------------------------------------
    def shaped(self, pad: Pad) -> dict[str, float]:
        """One pad's axes after dead zones and curves."""
        values: dict[str, float] = {}
        for x_name, y_name in STICKS:
            values[x_name], values[y_name] = self.response.stick(pad.raw.get(x_name, 0.0), pad.raw.get(y_name, 0.0))
        for name in TRIGGERS:
            values[name] = self.response.trigger(pad.raw.get(name, 0.0))
        return values

    def axes(self) -> dict[str, float]:
        """Each bound axis action's value, summed over pads and clamped to [-1, 1]; only non-zero ones."""
        totals: dict[str, float] = {}
        if self.navigate_ui:  # the pad is the panels' meanwhile
            return totals
        for pad in self.pads.values():
            for name, value in self.shaped(pad).items():
                binding = self.bindings.pad_axis_binding(name)
                if binding is None or value == 0.0:
                    continue
                action, scale = binding
                totals[action] = totals.get(action, 0.0) + value * scale
        return {action: max(-1.0, min(1.0, value)) for action, value in totals.items() if value != 0.0}

    def active(self) -> bool:
        """Whether any pad is deflected past a dead zone or has a button down (a visitor is using it)."""
        return any(pad.held or any(self.shaped(pad).values()) for pad in self.pads.values())

    # -- ImGui navigation ---------------------------------------------------------------------
    def set_ui_available(self, available: bool) -> None:
        """Whether the scene shows UI to navigate (the explorer: its panels); without it the navigation
        button does nothing and the pad stays the scene's."""
        self.ui_available = bool(available)
        self._update_navigation()

    def feeding_ui(self) -> bool:
        """Whether ImGui is being given a held button or a deflected stick: its navigation repeats and
        moves only in frames, so the loop must keep drawing meanwhile."""
        return self.navigate_ui and (bool(self._imgui_down) or any(
            any(self.shaped(pad)[axis] for axis in STICKS[0]) for pad in self.pads.values()))

    def navigation_held(self) -> bool:
        return any(self.bindings.pad_button_action(name) == NAVIGATE_PANELS
                   for pad in self.pads.values() for name in pad.held)

    def _update_navigation(self) -> None:
        navigate = self.ui_available and self.navigation_held()
        if navigate == self.navigate_ui:
            return
        self.navigate_ui = navigate
        if navigate:
            for pad in self.pads.values():
                self._feed_imgui_stick(pad)
            return
        for name in list(self._imgui_down):  # let go of what ImGui holds: no button stuck down in a panel
            self._feed_imgui_button(name, False)
        self._feed_imgui_stick(None)

    def _feed_imgui_button(self, name: str, down: bool) -> None:
        from imgui_bundle import imgui
        if self._imgui_keys is None:
            self._imgui_keys = _imgui_keys()
        key = self._imgui_keys.get(name)
        if key is not None:
            imgui.get_io().add_key_event(key, down)
            (self._imgui_down.add if down else self._imgui_down.discard)(name)

    def _feed_imgui_stick(self, pad: Pad | None) -> None:
        """ImGui's left-stick keys from `pad`'s left stick; None: released."""
        from imgui_bundle import imgui
        io, key = imgui.get_io(), imgui.Key
        x, y = (0.0, 0.0) if pad is None else self.response.stick(pad.raw.get("leftx", 0.0),
                                                                   pad.raw.get("lefty", 0.0))
        for k, value in ((key.gamepad_l_stick_left, -x), (key.gamepad_l_stick_right, x),
                         (key.gamepad_l_stick_up, -y), (key.gamepad_l_stick_down, y)):
            io.add_key_analog_event(k, value > 0.0, max(0.0, value))


def enable_imgui_navigation(enabled: bool = True) -> None:
    """Tell ImGui that a gamepad feeds it and that it may navigate windows with it."""
    from imgui_bundle import imgui
    io = imgui.get_io()
    if enabled:
        io.config_flags |= imgui.ConfigFlags_.nav_enable_gamepad
        io.backend_flags |= imgui.BackendFlags_.has_gamepad
    else:
        io.config_flags &= ~imgui.ConfigFlags_.nav_enable_gamepad
        io.backend_flags &= ~imgui.BackendFlags_.has_gamepad
