"""Runs one Scene: events -> ImGui -> bindings -> actions -> commands -> fixed updates -> prepare(alpha) ->
render(alpha) -> catch_up -> UI -> capture (frame listeners) -> present.

Idle redraw (interactive runs only): a frame with no input, a few frames after the last input, no
mouse button held and no frame listener, whose scene says `wants_redraw()` is False (nothing it shows
moved) and for which nothing asked (`app.frames`, frames.py: whatever changes on its own in time asks
there), is not drawn or presented; the loop then sleeps in `pygame.event.wait` until an event or the
next frame period, and the fixed updates keep running on time. The UI asks for itself: while any ImGui
window's place, size or content extent changes from one drawn frame to the next (auto-sized windows
take a frame or two to fit new content), the next frame draws too. `run()` turns idle redraw on when
it runs open-ended on the wall clock (no frame budget, no screenshot); scripted runs, `step_frame` and
offline recording draw every frame.
"""
from __future__ import annotations

import time
from pathlib import Path
from typing import Callable

import numpy as np
import pygame
from OpenGL import GL as gl

from latentwalk.engine.capture import FrameReader, check_writable, save_png
from latentwalk.engine.clock import FixedStepClock, TimeSource, wall_time
from latentwalk.engine.frames import FrameRequests
from latentwalk.engine.actions import APP_ACTIONS, CANCEL
from latentwalk.engine.input import Action, Bindings, InputMapper
from latentwalk.engine.scene import Scene
from latentwalk.engine.timings import FrameTimings
from latentwalk.engine.ui import Ui, stats_window
from latentwalk.engine.window import Window

_RESIZE_EVENTS = (pygame.VIDEORESIZE, pygame.WINDOWSIZECHANGED, pygame.WINDOWRESIZED)
# Frames still drawn after the last input: ImGui needs a frame or two to settle hover/active states.
IDLE_SETTLE_FRAMES = 5
# At most this many drawn frames in a row are asked for by the UI's windows changing (a UI that changes
# every frame by itself would otherwise never let the loop rest; settling takes two or three).
UI_SETTLE_MAX_FRAMES = 8
# Without a frame cap, how often an idle window wakes to run the fixed updates and ask the scene.
IDLE_WAKE_HZ = 60
# Where vsync was not granted and no cap was asked for, run() paces to this, so a fast scene does not
# spin a core drawing frames no display shows. frame_cap=0 means uncapped.
UNSYNCED_FRAME_CAP = 144

FrameListener = Callable[["App"], None]


class App:
    """Owns the loop. Pass `window`/`ui` to reuse existing ones (tests share one window per process)."""

    def __init__(self, scene: Scene, *, size: tuple[int, int] = (1280, 720), fullscreen: bool = False,
                 title: str = "latentwalk", update_hz: float = 120, frame_cap: float | None = None,
                 vsync: bool = True, time_source: TimeSource | None = None,
                 window: Window | None = None, ui: Ui | None = None,
                 bindings: Bindings | None = None, clear_color=(0.08, 0.08, 0.10, 1.0)) -> None:
        self._owns_window = window is None
        self.window = window or Window(size, fullscreen=fullscreen, title=title, vsync=vsync)
        if not self._owns_window:
            self.window.set_title(title)
            if self.window.fullscreen != fullscreen:
                self.window.toggle_fullscreen()
            if not fullscreen and self.window.size != tuple(size):
                self.window.resize(size)
        self._owns_ui = ui is None
        self.ui = ui or Ui()
        self.time_source = time_source or wall_time
        self.clock = FixedStepClock(step=1.0 / update_hz)
        self.bindings = bindings or Bindings.defaults()
        self.input = InputMapper(self.bindings, self.time_source)
        self.timings = FrameTimings()
        self.frame_cap = frame_cap
        self.clear_color = tuple(clear_color)
        self.show_stats = False
        self.sync_timings = False  # glFinish between phases so GPU work is charged to its phase (benches)
        self.frame_index = 0
        self.running = True
        self.framebuffer_size = self.window.size
        self.frame_listeners: list[FrameListener] = []  # each one makes every frame draw
        self.settle_frames = IDLE_SETTLE_FRAMES
        self.idle_frames = 0  # frames skipped by idle redraw (frame_index counts the drawn ones)
        self.frames = FrameRequests()  # what changes on its own asks for frames here (frames.py)
        self.now = 0.0  # the current frame's time on the App's clock
        self._ui_time_owed = 0.0  # time since the last UI frame: ImGui's clock runs through skipped frames
        self._ui_settle_run = 0  # drawn frames in a row whose UI windows changed
        self._settle_left = self.settle_frames
        self._buttons_down: set[int] = set()
        self._waited_events: list[pygame.event.Event] = []  # taken off the queue by wait_for_input
        self._reader = FrameReader()
        self._last_time: float | None = None
        self.scene: Scene | None = None
        self.set_scene(scene)

    # -- scene management -------------------------------------------------------------------
    def set_scene(self, scene: Scene) -> None:
        """Replace the running scene; the old one is closed first, so only one ever draws."""
        if self.scene is not None:
            self.scene.close()
        self.scene = scene
        self.input.release_all()
        self.clock.reset()
        self.frames.clear()
        self._settle_left = self.settle_frames
        scene.start(self)
        self.framebuffer_size = self.window.apply_viewport()
        scene.resize(*self.framebuffer_size)

    def quit(self) -> None:
        self.running = False

    def close(self) -> None:
        """Close the scene, and the window/UI if this App created them."""
        if self.scene is not None:
            self.scene.close()
            self.scene = None
        self.input.close()
        if self._owns_ui:
            self.ui.shutdown()
        if self._owns_window:
            self.window.close()

    def __enter__(self) -> "App":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- the loop -----------------------------------------------------------------------------
    def run(self, frames: int | None = None, screenshot: str | Path | None = None, *,
            idle: bool | None = None) -> None:
        """Run until quit or for `frames` frames. `screenshot` saves the last frame, UI included
        (read before the swap), whether the run ends by frame budget or by quit. `idle` skips frames
        that would show nothing new (module docstring); by default on only for an open-ended run on
        the wall clock, since a frame budget counts drawn frames and a screenshot needs its frame."""
        if screenshot is not None:
            screenshot = check_writable(screenshot)
        if idle is None:
            idle = frames is None and screenshot is None and self.time_source is wall_time
        self.running = True
        self._last_time = None
        last_frame = None if frames is None else self.frame_index + frames - 1

        def save_last(app: App) -> None:
            if app.frame_index == last_frame or not app.running:
                save_png(app.read_frame(), screenshot)

        if screenshot is not None:
            self.frame_listeners.append(save_last)
        try:
            while self.running and (last_frame is None or self.frame_index <= last_frame):
                frame_start = wall_time()
                if self.step_frame(skip_if_idle=idle):
                    self._pace(frame_start)
                elif self.time_source is wall_time:
                    self.wait_for_input(self._frame_period() - (wall_time() - frame_start))
                else:  # offline time never sleeps: the injected clock says when the next frame is
                    self.wait_for_input(0.0)
        finally:
            if screenshot is not None:
                self.frame_listeners.remove(save_last)

    def step_frame(self, frame_time: float | None = None, *, skip_if_idle: bool = False) -> bool:
        """Run exactly one frame; True if it was drawn and presented. `frame_time` (seconds) overrides
        the time source: offline rendering. With `skip_if_idle`, an idle frame (module docstring)
        takes input and runs poll and the fixed updates, but draws nothing."""
        frame_start = time.perf_counter()
        if frame_time is None:
            now = self.time_source()
            frame_time = 0.0 if self._last_time is None else now - self._last_time
            self._last_time = now
        else:
            now = self.now + frame_time
        self.now = self.frames.now = now
        self._ui_time_owed += frame_time
        scene = self.scene
        assert scene is not None, "App has no scene (closed?)"

        events = self._waited_events + pygame.event.get()
        self._waited_events = []
        resized = False
        for event in events:
            if event.type == pygame.QUIT:
                self.quit()
            elif event.type in _RESIZE_EVENTS:
                resized = True
            elif event.type == pygame.MOUSEBUTTONDOWN:
                self._buttons_down.add(event.button)
            elif event.type == pygame.MOUSEBUTTONUP:
                self._buttons_down.discard(event.button)
            elif event.type == pygame.WINDOWFOCUSLOST:
                self._buttons_down.clear()
            self.ui.process_event(event)
        if resized or self.window.framebuffer_size != self.framebuffer_size:
            self._on_resize()

        if events:
            self._settle_left = self.settle_frames
        must_draw = (not skip_if_idle or bool(events) or self._settle_left > 0 or bool(self._buttons_down)
                     or bool(self.frame_listeners))
        if must_draw:  # ImGui takes this frame's events before the bindings ask what it captured
            self._new_ui_frame()
        actions = self.input.translate(events, ui_mouse=self.ui.want_capture_mouse,
                                       ui_keyboard=self.ui.want_capture_keyboard)
        for action in actions:
            if action.name == CANCEL and self.ui.close_popups():  # Esc closed a popup: that is all it does
                continue
            if action.name in APP_ACTIONS:
                self._app_action(action)
            else:
                scene.handle_action(action)

        t0 = time.perf_counter()
        scene.apply_commands()
        updates = self.clock.advance(frame_time)
        for _ in range(updates):
            scene.update(self.clock.step)
        self.timings.updates_last_frame = updates
        scene.prepare(self.clock.alpha)
        requested = self.frames.take(now)  # asked every frame: what a drawn frame satisfies is used up
        if not must_draw:
            if not requested and not scene.wants_redraw():
                self.idle_frames += 1
                return False
            self._new_ui_frame()
        if not events and self._settle_left > 0:
            self._settle_left -= 1
        t1 = time.perf_counter()

        self._render_scene()
        t2 = time.perf_counter()

        scene.catch_up()
        scene.build_ui()
        if self.show_stats:
            stats_window(self.timings, vsync=self.window.vsync, updates_per_second=1.0 / self.clock.step,
                         sources=self.input.sources)
        t_built = time.perf_counter()
        self.ui.render()
        self._sync()
        self._ask_for_settling_ui()
        t3 = time.perf_counter()

        for listener in self.frame_listeners:
            listener(self)
        t4 = time.perf_counter()
        self.window.flip()
        self._sync()
        t5 = time.perf_counter()

        self.timings.record("update", (t1 - t0) * 1000)
        self.timings.record("render", (t2 - t1) * 1000)
        self.timings.record("ui", (t3 - t2) * 1000)
        self.timings.record("ui_build", (t_built - t2) * 1000)
        self.timings.record("ui_draw", (t3 - t_built) * 1000)
        self.timings.record("present", (t5 - t4) * 1000)
        self.timings.record("frame", (t5 - frame_start) * 1000)
        self.frame_index += 1
        return True

    def _new_ui_frame(self) -> None:
        self.ui.new_frame(self._ui_time_owed, self.framebuffer_size)
        self._ui_time_owed = 0.0

    def _ask_for_settling_ui(self) -> None:
        """A window that moved, resized or whose content grew this frame is drawn again next frame:
        auto-sized windows fit new content a frame late, and panels placed after others follow them."""
        if self.ui.windows_changed and self._ui_settle_run < UI_SETTLE_MAX_FRAMES:
            self._ui_settle_run += 1
            self.frames.request()
        elif not self.ui.windows_changed:
            self._ui_settle_run = 0

    def wait_for_input(self, timeout: float) -> bool:
        """Sleep until an event arrives or `timeout` seconds pass; True if one is waiting. The event
        stays for the next frame, in order, ahead of anything queued after it."""
        if self._waited_events or pygame.event.peek():
            return True
        milliseconds = int(timeout * 1000)
        if milliseconds <= 0:
            return False
        event = pygame.event.wait(milliseconds)
        if event.type == pygame.NOEVENT:
            return False
        self._waited_events.append(event)
        return True

    def _frame_period(self) -> float:
        return 1.0 / (self.frame_cap or IDLE_WAKE_HZ)

    def effective_frame_cap(self) -> float | None:
        """The cap run() paces to: the asked one; else none under vsync, UNSYNCED_FRAME_CAP without it."""
        if self.frame_cap is not None:
            return self.frame_cap or None
        return None if self.window.vsync else UNSYNCED_FRAME_CAP

    def _render_scene(self) -> None:
        gl.glBindFramebuffer(gl.GL_FRAMEBUFFER, 0)
        gl.glViewport(0, 0, *self.framebuffer_size)
        gl.glDisable(gl.GL_SCISSOR_TEST)
        gl.glDepthMask(gl.GL_TRUE)
        gl.glClearColor(*self.clear_color)
        gl.glClear(gl.GL_COLOR_BUFFER_BIT | gl.GL_DEPTH_BUFFER_BIT)
        self.scene.render(self.clock.alpha)
        self._sync()

    def _sync(self) -> None:
        if self.sync_timings:
            gl.glFinish()

    def _pace(self, frame_start: float) -> None:
        cap = self.effective_frame_cap()
        if not cap or self.time_source is not wall_time:  # offline time never sleeps
            return
        remaining = 1.0 / cap - (wall_time() - frame_start)
        if remaining > 0:
            time.sleep(remaining)

    def _on_resize(self) -> None:
        self.framebuffer_size = self.window.apply_viewport()
        self.scene.resize(*self.framebuffer_size)

    def _app_action(self, action: Action) -> None:
        if action.name == "toggle_fullscreen":
            self.window.toggle_fullscreen()
            self._on_resize()
        elif action.name == "toggle_stats":
            self.show_stats = not self.show_stats
        elif action.name == "quit":
            self.quit()
        elif action.name in ("ui_scale_up", "ui_scale_down"):
            self.ui.step_user_scale(1 if action.name == "ui_scale_up" else -1)
        elif action.name == "ui_scale_reset":
            self.ui.set_user_scale(1.0)

    # -- capture ------------------------------------------------------------------------------
    def read_frame(self, out: np.ndarray | None = None) -> np.ndarray:
        """The back buffer as drawn so far this frame; valid only inside a frame listener (before the swap)."""
        return self._reader.read_back_buffer(self.framebuffer_size, out=out)

    def capture(self, include_ui: bool = True, out: np.ndarray | None = None) -> np.ndarray:
        """The current state drawn again into the back buffer (not presented) and read: (H, W, 3) uint8,
        top-down. Between frames the back buffer is undefined, hence the redraw."""
        self._render_scene()
        if include_ui:
            self.ui.render_again()
        image = self._reader.read_back_buffer(self.framebuffer_size, out=out)
        return image.copy() if out is None else image
