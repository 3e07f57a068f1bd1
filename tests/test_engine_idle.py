"""Idle redraw: an idle scene stops drawing and presenting, input wakes it, a scene that changes keeps
it drawing, a held mouse button keeps it drawing, and scripted frames always draw (real GL, Xvfb)."""
from __future__ import annotations

import threading

import pygame
import pytest

from latentwalk.engine.scene import Scene

FRAME = 1 / 60


class IdleScene(Scene):
    """Counts what the App asks of it; `changing` is what it answers to wants_redraw."""

    def __init__(self) -> None:
        self.changing = False
        self.renders = self.updates = self.polls = 0
        self.pointer: list[tuple[int, int]] = []

    def handle_action(self, action) -> None:
        if action.name == "pointer_move":
            self.pointer.append(action.pos)

    def poll(self) -> None:
        self.polls += 1

    def update(self, dt: float) -> None:
        self.updates += 1

    def render(self, alpha: float) -> None:
        self.renders += 1

    def wants_redraw(self) -> bool:
        return self.changing


@pytest.fixture
def idle_app(gl_app, monkeypatch):
    scene = IdleScene()
    app = gl_app(scene)
    presents = []
    flip = app.window.flip
    monkeypatch.setattr(app.window, "flip", lambda: (presents.append(app.frame_index), flip())[1])
    return app, scene, presents


def idle_frames(app, count: int) -> int:
    """Step `count` interactive frames; how many were drawn."""
    return sum(app.step_frame(FRAME, skip_if_idle=True) for _ in range(count))


def settle(app) -> None:
    """Step until five frames in a row are skipped: the start (and the window events of the resize
    that fitted the shared window to this test) drew its settle frames."""
    quiet = 0
    for _ in range(100):
        quiet = 0 if app.step_frame(FRAME, skip_if_idle=True) else quiet + 1
        if quiet == 5:
            return
    raise AssertionError("never went idle")


def motion(pos) -> None:
    pygame.event.post(pygame.event.Event(pygame.MOUSEMOTION, pos=pos, rel=(0, 0), buttons=(0, 0, 0), touch=False))


def test_an_idle_scene_stops_presenting_and_input_wakes_it(idle_app):
    app, scene, presents = idle_app
    settle(app)
    renders, updates, polls, count = scene.renders, scene.updates, scene.polls, len(presents)
    skipped = app.idle_frames
    assert idle_frames(app, 20) == 0
    assert scene.renders == renders and len(presents) == count and app.idle_frames == skipped + 20
    # the fixed step keeps time while nothing is drawn: 2 updates per 1/60 s frame at 120 Hz
    assert scene.updates == updates + 40 and scene.polls == polls + 20

    motion((100, 80))
    assert app.step_frame(FRAME, skip_if_idle=True)
    assert scene.pointer == [(100, 80)] and len(presents) == count + 1
    assert idle_frames(app, app.settle_frames + 10) == app.settle_frames  # ImGui settles, then idle again


def test_a_changing_scene_and_a_held_button_keep_it_drawing(idle_app):
    app, scene, presents = idle_app
    settle(app)
    scene.changing = True
    assert idle_frames(app, 12) == 12
    scene.changing = False
    assert idle_frames(app, app.settle_frames + 2) == 0  # no input since: nothing to settle

    pygame.event.post(pygame.event.Event(pygame.MOUSEBUTTONDOWN, pos=(50, 50), button=1, touch=False))
    assert idle_frames(app, 30) == 30  # a drag in progress draws every frame
    pygame.event.post(pygame.event.Event(pygame.MOUSEBUTTONUP, pos=(50, 50), button=1, touch=False))
    assert idle_frames(app, app.settle_frames + 10) == app.settle_frames + 1


def test_scripted_frames_always_draw(idle_app):
    app, scene, presents = idle_app
    settle(app)
    count = len(presents)
    for _ in range(6):
        assert app.step_frame(FRAME)  # step_frame without skip_if_idle: tests, offline recording
    app.run(frames=7)  # a frame budget counts drawn frames
    assert len(presents) == count + 13 and scene.renders >= 13

    def quit_after_four(app_):
        if len(presents) == count + 13 + 3:
            app_.quit()

    app.frame_listeners.append(quit_after_four)  # a listener (capture, recorder) needs every frame
    try:
        app.run(idle=True)
    finally:
        app.frame_listeners.remove(quit_after_four)
    assert len(presents) == count + 13 + 4


def test_wait_for_input_keeps_the_event_it_woke_for_in_order(idle_app):
    app, scene, presents = idle_app
    settle(app)
    assert not app.wait_for_input(0.02)  # nothing queued: it times out
    timer = threading.Timer(0.05, motion, args=((11, 12),))
    timer.start()
    try:
        assert app.wait_for_input(5.0)
    finally:
        timer.join()
    motion((21, 22))
    assert app.step_frame(FRAME, skip_if_idle=True)
    assert scene.pointer == [(11, 12), (21, 22)]


def test_the_interactive_loop_sleeps_while_idle_and_wakes_for_input(gl_app, monkeypatch):
    from latentwalk.engine.clock import wall_time

    scene = IdleScene()
    app = gl_app(scene, time_source=wall_time)
    presents = []
    flip = app.window.flip
    monkeypatch.setattr(app.window, "flip", lambda: (presents.append(app.frame_index), flip())[1])
    timers = [threading.Timer(0.6, motion, args=((30, 40),)),
              threading.Timer(1.2, pygame.event.post, args=(pygame.event.Event(pygame.QUIT),))]
    for timer in timers:
        timer.start()
    try:
        app.run()  # open-ended on the wall clock: idle redraw is on
    finally:
        for timer in timers:
            timer.join()
    assert scene.pointer == [(30, 40)]
    # drawn: the start's settle frames, the motion and its settle frames, the quit; the rest slept
    assert len(presents) <= 3 * app.settle_frames and app.idle_frames > 0
    assert scene.updates > 2 * len(presents)  # the fixed step ran on while nothing was drawn
