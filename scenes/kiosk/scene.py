"""Installation mode: the explorer wrapped so it tours by itself, hands over to any visitor at once, and
takes the tour back after the idle timeout. The tour and the gamepad are drivers: they only submit
the explorer's commands.

- Time is the fixed step's: the idle timeout and the tour advance by the `dt`s of `update`, so a
  test (or an offline run) drives them with a fake clock and gets the same result every time.
- Any user input event (engine.input's `user_inputs`: keys, mouse, wheel, pad buttons and sticks,
  captured by the UI or not), a held key or a deflected stick counts as a visitor: the tour pauses
  its walk and stops moving the camera in that frame, and the controls overlay shows for
  `overlay_seconds`. A pointer nobody moves neither counts nor hovers points under the tour.
- Visitors act only through actions of the kinds the config allows (`visitors.may`); anything else,
  and always quitting, fullscreen toggling, dropped files, sessions and model switching, is ignored
  and counted in `refused`. The panels that open files or switch models are left out in kiosk mode.
  The App's own actions (quit, fullscreen, UI scale) are unbound and `KioskApp.quit` refuses window-close
  requests; only the exit chord (`kiosk_exit`) or a frame budget ends a run.
- It must not stop: a failing decoder leaves the last good image up and is logged (once per distinct
  message); a driver that raises is logged and the tour starts afresh.
"""
from __future__ import annotations

import logging
import math

import pygame

from latentwalk.engine.app import APP_ACTIONS, App
from latentwalk.engine.scene import Scene
from latentwalk.scenes.explorer.core import commands as c
from latentwalk.scenes.kiosk import overlay
from latentwalk.scenes.kiosk.config import KioskConfig
from latentwalk.scenes.kiosk.pad_driver import PadDriver
from latentwalk.scenes.kiosk.tour import TourPlanner
from latentwalk.scenes.kiosk.tour_driver import TourDriver

log = logging.getLogger("latentwalk.scenes.kiosk")

EXIT_ACTION = "kiosk_exit"
# Which visitor kind (config `visitors.may`) each action belongs to; actions not listed are refused.
ACTION_KINDS = {
    "pointer_move": "always", "pointer_leave": "always", "cancel": "always",
    "drag_rotate": "orbit", "orbit_left": "orbit", "orbit_right": "orbit", "orbit_up": "orbit",
    "orbit_down": "orbit", "zoom": "zoom", "drag_pan": "pan",
    "click": "select", "double_click": "select", "select_left": "select", "select_right": "select",
    "select_up": "select", "select_down": "select", "select_next_neighbor": "select",
    "select_previous_neighbor": "select", "select_next_on_walk": "select", "select_previous_on_walk": "select",
    "fly_to_selection": "select",
    "add_hovered_point": "path", "add_control_point": "path", "remove_last_control_point": "path",
    "undo": "path", "redo": "path",
    "play_walk": "walk", "walk_step_back": "walk", "walk_step_forward": "walk", "walk_step_back_10": "walk",
    "walk_step_forward_10": "walk",
    "cycle_highlight": "highlight", "toggle_panels": "panels", "reset_view": "reset",
    "navigate_panels": "panels",
}
AXIS_KINDS = {"orbit_yaw": "orbit", "orbit_pitch": "orbit", "cursor_x": "select", "cursor_y": "select",
              "zoom_axis": "zoom"}
# Panels that open or write files or switch the model: not for visitors (matched on class names).
RESTRICTED_PANELS = ("Model", "Session", "Record", "Export", "Import", "File")
CAPTION_SECONDS = 0.25  # how often the tour's caption (the nearest class) is recomputed


class KioskApp(App):
    """An App that window-close requests and quit actions cannot end: only `leave()` (the exit chord)
    or a frame budget does."""

    refused_quits = 0

    def quit(self) -> None:
        if getattr(self, "leaving", False):
            super().quit()
        else:
            self.refused_quits += 1
            log.info("kiosk: a request to quit was ignored (the exit chord leaves)")

    def leave(self) -> None:
        self.leaving = True
        super().quit()


class KioskScene(Scene):
    def __init__(self, config: KioskConfig, explorer=None) -> None:
        """`explorer`: an ExplorerScene not yet started; by default one on the config's model, loaded
        now so a bad model fails before a window opens."""
        if explorer is None:
            from latentwalk.scenes.explorer.scene import ExplorerScene
            explorer = ExplorerScene(config.model)
        self.config = config
        self.explorer = explorer
        self.app = None
        self.mode = "tour"
        self.seconds = 0.0  # fixed-step time since start
        self.last_input = 0.0
        self.overlay_until = -math.inf
        self.refused: dict[str, int] = {}
        self.handovers = 0  # tour -> visitor
        self.errors_logged = 0
        self.caption = ""
        self._inputs_seen = 0
        self._last_error: str | None = None
        self._caption_due = 0.0

    # -- lifecycle ----------------------------------------------------------------------------
    def start(self, app) -> None:
        self.app, config, explorer = app, self.config, self.explorer
        explorer.start(app)
        settings = config.gamepad
        self.pads = PadDriver(explorer, app, dead_zone=settings.dead_zone,
                              trigger_dead_zone=settings.trigger_dead_zone, exponent=settings.exponent,
                              orbit_degrees_per_second=settings.orbit_degrees_per_second,
                              cursor_speed=settings.cursor_speed, zoom_per_second=settings.zoom_per_second,
                              allowed=self._allowed)
        bindings = app.bindings
        for input_name, action in bindings.to_dict().items():
            # unbound, since neither reaches handle_action to be refused: the App's own actions (quit,
            # fullscreen, UI scale), and held orbit keys (the explorer's update reads them)
            if action in APP_ACTIONS or (action.startswith("orbit_") and not self._allowed(action)):
                bindings.bind(input_name, None)
        bindings.update(config.bindings)
        key, mods = config.exit_key
        bindings.bind_key(key, EXIT_ACTION, mods)
        explorer.panels[:] = [panel for panel in explorer.panels
                              if not any(word in type(panel).__name__ for word in RESTRICTED_PANELS)]
        explorer.walk_tools.walk_panel.on_record = None  # its dialog is gone with the panels above: no button
        self.controls = overlay.control_rows(bindings, self._allowed)
        bundle = explorer.bundle
        tour = config.tour
        planner = TourPlanner(bundle.labels, bundle.latents, style=tour.style, points=tour.points,
                              seconds=tour.seconds, orbit_degrees_per_second=tour.orbit_degrees_per_second,
                              seed=tour.seed)
        self.tour = TourDriver(explorer, planner, speed=tour.speed)
        explorer.submit(c.ShowPanels(False))
        pygame.mouse.set_visible(False)
        pygame.display.set_allow_screensaver(not config.inhibit_screensaver)
        self._inputs_seen = app.input.user_inputs
        self.tour.begin()

    def close(self) -> None:
        if self.app is None:
            return
        self.pads.close()
        self.explorer.close()
        pygame.mouse.set_visible(True)
        pygame.display.set_allow_screensaver(True)
        self.app = None

    def __getattr__(self, name):  # read-only access to the explorer's state for panels and tools
        explorer = self.__dict__.get("explorer")
        if explorer is None:
            raise AttributeError(name)
        return getattr(explorer, name)

    # -- input --------------------------------------------------------------------------------
    def handle_action(self, action) -> None:
        self._take_input()  # a visitor's first input already acts as theirs
        if self.mode == "tour" and action.name in ("pointer_move", "pointer_leave"):
            return  # a resting pointer must not hover points under the tour
        if action.name == EXIT_ACTION:
            log.info("kiosk: exit chord pressed, leaving")
            if isinstance(self.app, KioskApp):
                self.app.leave()
            else:
                self.app.quit()
            return
        if not self._allowed(action.name):
            self.refused[action.name] = self.refused.get(action.name, 0) + 1
            return
        if not self.pads.handle_action(action):
            self.explorer.handle_action(action)

    def _allowed(self, action: str) -> bool:
        kind = ACTION_KINDS.get(action, AXIS_KINDS.get(action))
        return kind == "always" or kind in self.config.visitors_may

    def _visitor_present(self) -> bool:
        app = self.app
        inputs = app.input.user_inputs
        seen, self._inputs_seen = self._inputs_seen, inputs
        return inputs != seen or bool(app.input.held_actions()) or self.pads.gamepads.active()

    def apply_commands(self) -> None:
        """The commands phase, after this frame's input: hand over first, so the tour queues nothing
        more once a visitor has touched anything."""
        self._take_input()
        self.explorer.apply_commands()

    def _take_input(self) -> None:
        if self._visitor_present():
            self.last_input = self.seconds
            if self.mode == "tour":
                self.mode = "visitor"
                self.handovers += 1
                self.overlay_until = self.seconds + self.config.overlay_seconds
                self.app.frames.request_while(self._overlay_shown)  # and one frame more, which hides it
                self.tour.pause()
                log.info("kiosk: a visitor took over")

    def poll(self) -> None:
        self.explorer.poll()

    def _watch_decoder(self) -> None:
        decoder = self.explorer.decoder
        error = decoder.last_error or getattr(decoder.worker, "last_error", None)
        if error and error != self._last_error:
            self.errors_logged += 1
            log.error("kiosk: decoding failed, the tour goes on with the last good image: %s", error)
        self._last_error = error

    # -- fixed step ---------------------------------------------------------------------------
    def update(self, dt: float) -> None:
        self.seconds += dt
        if self.mode == "visitor" and self.seconds - self.last_input >= self.config.idle_timeout:
            self.mode = "tour"
            self.pads.forget_cursor()
            self.explorer.submit(c.ShowPanels(False))
            self.explorer.submit(c.PointerMoved(None))  # no hover left over: the walk owns the image
            self._run_driver(self.tour.begin)
            log.info("kiosk: idle for %.0f s, the tour resumes", self.config.idle_timeout)
        if self.mode == "tour":
            self._run_driver(self.tour.step, dt)
        else:
            self._run_driver(self.pads.step, dt)
        self.explorer.update(dt)
        if self.mode == "tour" and self.seconds >= self._caption_due:
            self._caption_due = self.seconds + CAPTION_SECONDS
            self.caption = self._tour_caption()

    def _run_driver(self, fn, *args) -> None:
        try:
            fn(*args)
        except Exception:  # noqa: BLE001 - an installation must not stop; the log says what broke
            self.errors_logged += 1
            log.exception("kiosk: a driver failed; starting a new tour")
            if self.mode == "tour" and fn is not self.tour.begin:
                try:
                    self.tour.begin()
                except Exception:  # noqa: BLE001
                    log.exception("kiosk: the tour could not restart")

    def _tour_caption(self) -> str:
        latent = self.explorer.state.walk.path.traversal.point
        if latent is None:
            return ""
        bundle = self.explorer.bundle
        label = overlay.nearest_label(bundle.latents, bundle.labels, latent)
        return f"looks like: {bundle.class_names[label]}"

    # -- the frame ----------------------------------------------------------------------------
    def prepare(self, alpha: float) -> None:
        self.explorer.prepare(alpha)
        self._watch_decoder()

    def render(self, alpha: float) -> None:
        self.explorer.render(alpha)

    def resize(self, width: int, height: int) -> None:
        self.explorer.resize(width, height)

    def _overlay_shown(self) -> bool:
        return self.seconds < self.overlay_until

    def wants_redraw(self) -> bool:
        return self.mode == "tour" or self.explorer.wants_redraw()

    def build_ui(self) -> None:
        self.explorer.build_ui()
        viewport = self.explorer.viewport
        if self.mode == "tour":
            overlay.draw_image(self.explorer, self.caption, viewport)
            return
        if not self.explorer.state.ui.panels_visible:
            overlay.draw_image(self.explorer, self.explorer.output_images.caption, viewport)
        left = self.overlay_until - self.seconds
        if left > 0:
            overlay.draw_controls(self.controls, viewport, min(1.0, left))
