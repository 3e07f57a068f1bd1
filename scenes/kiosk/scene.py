"""Installation mode: the explorer wrapped so it tours by itself, hands over to any visitor at once, and
takes the tour back after the idle timeout. The tour and the gamepad are drivers: they only submit
the explorer's commands.

- Time is the fixed step's: the idle timeout and the tour advance by the `dt`s of `update`, so a
  test (or an offline run) drives them with a fake clock and gets the same result every time.
- Any user input event (engine.input's `user_inputs`: keys, mouse, wheel, pad buttons and sticks,
  captured by the UI or not), a held key or a deflected stick counts as a visitor: the tour pauses
  its walk and stops moving the camera in that frame, and the controls overlay shows for
  `overlay_seconds`. A pointer nobody moves neither counts nor hovers points under the tour.
- What visitors may do is checked on commands, not on actions or panels: the explorer's
  `command_policy` (policy.py) refuses at `submit` any command with an effect the mode does not
  allow, whichever key, pad, panel or text field it came from. Opening or writing files, switching
  the model and starting programs are never allowed; the rest by the kinds in `visitors.may`.
  Refusals are counted in `refused` (by command type) and a notice says so for a moment. Panels
  whose every command would be refused are left out, and controls no visitor may use unlisted.
  The App's own actions (quit, fullscreen, UI scale) are unbound and `KioskApp.quit` refuses window-close
  requests; only the exit chord (`kiosk_exit`) or a frame budget ends a run.
- No developer read-outs: the explorer's detail hint, stats and hover tooltip are off; the caption
  under the large image says what it looks like, in letters sized for a room (overlay.CAPTION_FRACTION).
- It must not stop: a failing decoder leaves the last good image up and is logged (once per distinct
  message); a driver that raises is logged and the tour starts afresh.
"""
from __future__ import annotations

import logging
import math

import pygame

from latentwalk.engine.actions import APP_ACTIONS, ActionSpec, declare
from latentwalk.engine.app import App
from latentwalk.engine.scene import Scene
from latentwalk.scenes.explorer.core import commands as c
from latentwalk.scenes.explorer.tools.insight import output_latent
from latentwalk.scenes.kiosk import overlay, policy
from latentwalk.scenes.kiosk.config import KioskConfig
from latentwalk.scenes.kiosk.pad_driver import PadDriver
from latentwalk.scenes.kiosk.tour import TourPlanner
from latentwalk.scenes.kiosk.tour_driver import TourDriver

log = logging.getLogger("latentwalk.scenes.kiosk")

EXIT_ACTION = "kiosk_exit"
KIOSK_ACTIONS = declare(ActionSpec(EXIT_ACTION, "leave the installation", unbound="the config's exit_chord"))
NOTICE_SECONDS = 3.0  # how long the notice stays up after a refusal
NOTICE = "That is not available here."
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
        self.refused: dict[str, int] = {}  # command type -> how many the policy refused
        self.notice_until = -math.inf
        self.handovers = 0  # tour -> visitor
        self.errors_logged = 0
        self.caption = ""
        self._inputs_seen = 0
        self._last_error: str | None = None
        self._caption_due = 0.0
        self._caption_drawn: str | None = None

    # -- lifecycle ----------------------------------------------------------------------------
    def start(self, app) -> None:
        self.app, config, explorer = app, self.config, self.explorer
        explorer.start(app)
        self._visitor_effects = policy.visitor_effects(config.visitors_may)
        explorer.command_policy = self._permit
        explorer.developer_readouts = False
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
        explorer.panels[:] = [panel for panel in explorer.panels if self._panel_useful(panel)]
        if explorer.walk_tools.record_dialog not in explorer.panels:
            explorer.walk_tools.walk_panel.on_record = None  # no button for a dialog that is not there
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
        self.explorer.handle_action(action)

    def _allowed(self, action: str) -> bool:
        """Whether a visitor's action makes a command they may submit (to list and bind controls)."""
        return policy.allows(action, self._visitor_effects)

    def _panel_useful(self, panel) -> bool:
        """False for a panel all of whose commands (its `submits`, where it declares them) are refused."""
        submits = getattr(panel, "submits", None)
        return not submits or any(not policy.denied(kind, self._visitor_effects) for kind in submits)

    def _permit(self, command) -> str | None:
        """The explorer's command_policy: None, or why `command` may not be submitted now."""
        allowed = policy.TOUR_EFFECTS if self.mode == "tour" else self._visitor_effects
        denied = policy.denied(command, allowed)
        if not denied:
            return None
        name = type(command).__name__
        self.refused[name] = self.refused.get(name, 0) + 1
        self.notice_until = self.seconds + NOTICE_SECONDS
        if self.app is not None:
            self.app.frames.request_while(self._notice_shown)  # and one frame more, which hides it
        log.info("kiosk: refused %s (%s)", name, ", ".join(denied))
        return policy.refusal(command, denied)

    def _visitor_present(self) -> bool:
        app = self.app
        inputs = app.input.user_inputs
        seen, self._inputs_seen = self._inputs_seen, inputs
        return inputs != seen or bool(app.input.held_actions()) or app.input.sources_active()

    def apply_commands(self) -> None:
        """The commands phase, after this frame's input: hand over first, so the tour queues nothing
        more once a visitor has touched anything."""
        self._take_input()
        self.explorer.apply_commands()

    def _take_input(self) -> None:
        if self._visitor_present():
            self.last_input = self.seconds
            if self.mode == "tour":
                self.tour.pause()  # still the tour's: its pause is no visitor's command
                self.mode = "visitor"
                self.handovers += 1
                self.overlay_until = self.seconds + self.config.overlay_seconds
                self.app.frames.request_while(self._overlay_shown)  # and one frame more, which hides it
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
        if self.seconds >= self._caption_due:
            self._caption_due = self.seconds + CAPTION_SECONDS
            self.caption = self._image_caption()

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

    def _image_caption(self) -> str:
        """What the large image looks like (the class of the nearest training point), for visitors."""
        latent = output_latent(self.explorer)
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

    def catch_up(self) -> None:
        self.explorer.catch_up()  # a visitor's hovered point shows its image in the frame that hovered it

    def resize(self, width: int, height: int) -> None:
        self.explorer.resize(width, height)

    def _overlay_shown(self) -> bool:
        return self.seconds < self.overlay_until

    def _notice_shown(self) -> bool:
        return self.seconds < self.notice_until

    def wants_redraw(self) -> bool:
        return self.mode == "tour" or self.caption != self._caption_drawn or self.explorer.wants_redraw()

    def build_ui(self) -> None:
        self.explorer.build_ui()
        viewport = self.explorer.viewport
        self._caption_drawn = self.caption
        if self.mode == "tour":
            overlay.draw_image(self.explorer, self.caption, viewport)
            return
        if not self.explorer.state.ui.panels_visible:
            overlay.draw_image(self.explorer, self.caption, viewport)
        if self.seconds < self.notice_until:
            overlay.draw_notice(NOTICE, viewport)
        left = self.overlay_until - self.seconds
        if left > 0:
            overlay.draw_controls(self.controls, viewport, min(1.0, left))
