"""The gamepad as a driver of the explorer: it reads the pads' axes once per fixed step and turns them
into explorer commands (scenes/explorer/core/commands.py); the pad's buttons are actions like keys,
which the explorer's action table (scenes/explorer/input/actions.py) turns into commands. It changes
nothing itself.

Default map (every entry remappable through the binding table / the kiosk config's [bindings]):
left stick orbits, right stick moves a selection cursor through the latent space (the Output image
follows it, since the cursor is the selection), triggers zoom, A adds the selected point as a
control point, B removes the last, X plays / pauses the walk, Y cycles the highlighted class, the
d-pad steps along the walk (left / right one step, up / down ten), Start shows / hides the panels,
Back resets the view. The pad drives the explorer even with the panels shown: holding LB hands its
buttons and left stick to the panels (ImGui's gamepad navigation) until it is let go.

Decisions:
- Per fixed step at full deflection: Orbit by `orbit_rate * dt` radians, Zoom by
  `zoom_per_second ** dt`, the cursor by `cursor_speed * scene radius * dt` along the camera's
  right / up axes, so a held stick moves as far per second at any frame rate.
- The cursor lives in the 3-d view, starting at the camera's target, and maps back to a latent
  through the current layout's inverse map (`Select(place=...)`: exact for d <= 3 and PCA, the
  layout's network for UMAP and t-SNE); it stays within two scene radii of the centre so it cannot
  get lost.
"""
from __future__ import annotations

import math

import numpy as np

from latentwalk.engine.actions import default_inputs
from latentwalk.engine.gamepad import AxisResponse, Gamepads, enable_imgui_navigation
from latentwalk.scenes.explorer.core import commands as c
from latentwalk.scenes.explorer.input.actions import ACTIONS

# The pad's default inputs, as the explorer's action table declares them (its button actions make
# their commands there, like keys; its axes are read here, in `step`).
PAD_DEFAULTS = default_inputs(ACTIONS.values(), devices=("pad",))
CURSOR_REACH = 2.0  # scene radii from the centre


class PadDriver:
    """Make in the scene's `start` (after the explorer's), with the App; `step(dt)` once per fixed step
    before the explorer applies its commands."""

    def __init__(self, scene, app, *, dead_zone: float = 0.18, trigger_dead_zone: float = 0.06,
                 exponent: float = 2.0, orbit_degrees_per_second: float = 90.0, cursor_speed: float = 0.6,
                 zoom_per_second: float = 2.5, allowed=None) -> None:
        """`allowed(action) -> bool` filters the axis actions (kiosk: what visitors may change)."""
        self.scene = scene
        self.allowed = allowed or (lambda action: True)
        for input_name, action in PAD_DEFAULTS.items():
            if app.bindings.to_dict().get(input_name) is None:
                app.bindings.bind(input_name, action)
        self.gamepads = app.input.add_source(Gamepads(app.bindings, AxisResponse(dead_zone, trigger_dead_zone,
                                                                                 exponent)))
        enable_imgui_navigation(True)
        self.app = app
        self.orbit_rate = math.radians(orbit_degrees_per_second)
        self.cursor_speed = cursor_speed
        self.zoom_log_rate = math.log(zoom_per_second)
        self.cursor: np.ndarray | None = None  # 3-d, scene space

    @classmethod
    def attach(cls, scene, app, **settings) -> "PadDriver":
        """For the plain explorer: hook into its fixed-step updaters (its commands apply in the same
        step, drained right after the updaters)."""
        driver = cls(scene, app, **settings)
        scene.updaters.append(driver.step)
        return driver

    def step(self, dt: float) -> None:
        scene = self.scene
        self.gamepads.set_ui_available(scene.state.ui.panels_visible)
        if self.gamepads.feeding_ui():  # ImGui repeats a held navigation key only on frames it sees
            self.app.frames.request_while(self.gamepads.feeding_ui)
        # every source's axes: a MIDI fader bound to "zoom_axis" zooms as a trigger does
        axes = {action: value for action, value in self.app.input.axes().items() if self.allowed(action)}
        if not axes:
            return
        yaw, pitch = axes.get("orbit_yaw", 0.0), axes.get("orbit_pitch", 0.0)
        if yaw or pitch:
            scene.submit(c.Orbit(self.orbit_rate * yaw * dt, self.orbit_rate * pitch * dt))
        zoom = axes.get("zoom_axis", 0.0)
        if zoom:
            scene.submit(c.Zoom(math.exp(self.zoom_log_rate * zoom * dt)))
        cx, cy = axes.get("cursor_x", 0.0), axes.get("cursor_y", 0.0)
        if cx or cy:
            self.move_cursor(cx, cy, dt)

    def move_cursor(self, x: float, y: float, dt: float) -> None:
        camera = self.scene.camera
        goal = camera.goal
        if self.cursor is None:
            self.cursor = np.array(goal.target, np.float64)
        rotation = goal.rotation
        step = self.cursor_speed * camera.scene_radius * dt
        moved = self.cursor + (rotation[:, 0] * x + rotation[:, 1] * y) * step
        offset = moved - camera.scene_center
        reach = CURSOR_REACH * camera.scene_radius
        length = float(np.linalg.norm(offset))
        if length > reach:
            moved = camera.scene_center + offset * (reach / length)
        self.cursor = moved
        # the place decodes through the layout shown (its inverse map), as a click or a typed x y z does
        self.scene.submit(c.Select(place=tuple(float(v) for v in moved), source="gamepad"))

    def forget_cursor(self) -> None:
        self.cursor = None

    def close(self) -> None:
        self.app.input.remove_source(self.gamepads)
        self.gamepads.close()
        enable_imgui_navigation(False)
