"""Kiosk mode in a real window on a fake clock: the tour by itself, visitors taking over at once, the tour
coming back after the idle timeout, what visitors cannot do, a decoder that throws."""
import logging
import math

import numpy as np
import pygame

from tests.kiosk_helpers import FRAME, frames, goal, key, kiosk, press, tiny_bundle, turned  # noqa: F401


def test_the_tour_runs_by_itself_with_panels_and_cursor_hidden(kiosk):
    app, scene = kiosk()
    frames(app, 3)
    explorer = scene.explorer
    tour = scene.tour.tour
    assert scene.mode == "tour" and not explorer.state.ui.panels_visible and not pygame.mouse.get_visible()
    assert not pygame.display.get_allow_screensaver()
    assert [p.index for p in explorer.state.walk.path.points] == list(tour.indices)
    kept = [type(panel).__name__ for panel in explorer.panels]
    assert "PathPanel" in kept and not any("Model" in name or "Session" in name for name in kept)
    assert not any("Record" in name for name in kept) and explorer.walk_tools.walk_panel.on_record is None
    t0, view0 = explorer.state.walk.t, goal(scene)
    frames(app, 120)
    assert explorer.state.walk.playing and explorer.state.walk.t > t0
    assert turned(view0, goal(scene)) > 0.01  # the camera orbits
    assert scene.caption.startswith("looks like: c")


def test_a_tour_follows_the_last_and_differs_from_it(kiosk):
    app, scene = kiosk(tour={"seconds": 2.0, "speed": 1.0})
    first = scene.tour.tour
    frames(app, 60 * 8)  # 8 s: the 2 s walk, its end pause, a new tour
    second = scene.tour.tour
    assert scene.tour.tours_started >= 2 and second is not first
    assert set(second.indices) != set(first.indices)
    assert [p.index for p in scene.explorer.state.walk.path.points] == list(second.indices)


def test_visitor_input_interrupts_the_tour_at_once(kiosk):
    app, scene = kiosk()
    frames(app, 30)
    press(pygame.K_k)  # bound to nothing: any key still counts
    frames(app)
    assert scene.mode == "visitor" and scene.handovers == 1
    frames(app)
    explorer = scene.explorer
    assert not explorer.state.walk.playing
    held, t = goal(scene), explorer.state.walk.t
    frames(app, 60)
    assert turned(held, goal(scene)) == 0.0 and explorer.state.walk.t == t  # the tour no longer drives
    assert scene.overlay_until > scene.seconds  # the controls overlay is up


def test_a_resting_pointer_is_no_visitor_and_hovers_nothing_but_a_moving_one_is(kiosk):
    from tests.explorer_helpers import front_point

    app, scene = kiosk()
    frames(app, 10)
    explorer = scene.explorer
    _, pixel = front_point(explorer)
    # what SDL sends when the window opens or goes fullscreen under a pointer nobody moves
    pygame.event.post(pygame.event.Event(pygame.MOUSEMOTION, pos=pixel, rel=(0, 0), buttons=(0, 0, 0), touch=False))
    frames(app, 3)
    assert scene.mode == "tour" and explorer.state.pointer.hovered is None
    pygame.event.post(pygame.event.Event(pygame.MOUSEMOTION, pos=pixel, rel=(4, 1), buttons=(0, 0, 0), touch=False))
    frames(app)
    assert scene.mode == "visitor" and explorer.state.pointer.position == pixel


def test_idle_timeout_returns_to_the_tour_under_a_fake_clock(kiosk):
    app, scene = kiosk(idle_timeout=2.0)
    frames(app, 5)
    press(pygame.K_k)
    frames(app)
    assert scene.mode == "visitor"
    frames(app, int(1.5 / FRAME))
    press(pygame.K_k)  # input again: the timer starts over
    frames(app)
    frames(app, int(1.9 / FRAME))
    assert scene.mode == "visitor"
    started = scene.tour.tours_started
    frames(app, int(0.2 / FRAME))
    assert scene.mode == "tour" and scene.tour.tours_started == started + 1
    frames(app, 2)
    assert scene.explorer.state.walk.playing


def test_kiosk_ignores_quit_fullscreen_files_and_sessions_but_leaves_on_the_chord(kiosk, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    app, scene = kiosk(exit_chord="ctrl+alt+k")
    frames(app, 2)
    explorer = scene.explorer
    pygame.event.post(pygame.event.Event(pygame.QUIT))
    scale = app.ui.total_scale
    press(pygame.K_ESCAPE)
    press(pygame.K_q, pygame.KMOD_CTRL)
    press(pygame.K_EQUALS, pygame.KMOD_CTRL)
    press(pygame.K_F11)
    press(pygame.K_s, pygame.KMOD_CTRL)
    press(pygame.K_o, pygame.KMOD_CTRL)
    pygame.event.post(pygame.event.Event(pygame.DROPFILE, file=str(tmp_path / "other_model")))
    frames(app, 3)
    assert app.running and app.refused_quits == 1 and not app.window.fullscreen and app.ui.total_scale == scale
    assert explorer.loader.loading is None and explorer.state.model.error is None
    # Ctrl+Q, Ctrl+= and F11 are unbound; the drop, Ctrl+S and Ctrl+O become commands, refused
    assert scene.refused == {"LoadModel": 1, "SaveSession": 1, "LoadSession": 1}
    assert list(tmp_path.iterdir()) == []
    press(pygame.K_k, pygame.KMOD_CTRL)  # part of the chord is not the chord
    frames(app)
    assert app.running
    press(pygame.K_k, pygame.KMOD_CTRL | pygame.KMOD_ALT)
    frames(app)
    assert not app.running


def test_held_orbit_keys_do_nothing_when_orbit_is_not_allowed(kiosk):
    app, scene = kiosk(visitors_may=("zoom",))
    frames(app, 2)
    press(pygame.K_k)
    frames(app)
    before = goal(scene)
    key(pygame.KEYDOWN, pygame.K_LEFT)
    frames(app, 10)
    key(pygame.KEYUP, pygame.K_LEFT)
    frames(app)
    assert turned(before, goal(scene)) == 0.0


def test_visitors_may_only_what_the_config_allows(kiosk):
    app, scene = kiosk(visitors_may=("orbit",))
    frames(app, 2)
    explorer = scene.explorer
    press(pygame.K_TAB)  # panels: not allowed
    press(pygame.K_r)  # reset: not allowed
    frames(app, 2)
    assert not explorer.state.ui.panels_visible
    assert scene.refused.get("ShowPanels") == 1 and scene.refused.get("ResetView") == 1
    before = goal(scene)
    key(pygame.KEYDOWN, pygame.K_LEFT)
    frames(app, 10)
    key(pygame.KEYUP, pygame.K_LEFT)
    frames(app)
    assert turned(before, goal(scene)) > 0.05


def test_a_decoder_that_throws_does_not_stop_the_tour(kiosk, monkeypatch, caplog):
    from latentwalk.scenes.explorer.model import decoding

    app, scene = kiosk()
    explorer = scene.explorer
    for _ in range(400):
        frames(app)
        if explorer.output_images.decoded_slot.image is not None:
            break
    last_good = explorer.output_images.decoded_slot.image
    assert last_good is not None

    def broken(decoder, latents):
        raise RuntimeError("decoder on fire")

    monkeypatch.setattr(decoding, "decode_batch", broken)
    caplog.set_level(logging.ERROR, logger="latentwalk.scenes.kiosk")
    t0, view0 = explorer.state.walk.t, goal(scene)
    for _ in range(240):
        frames(app)
        explorer.decoder.worker.wait_idle(0.05)
    assert app.running and scene.mode == "tour"
    assert explorer.state.walk.t > t0 and turned(view0, goal(scene)) > 0.01
    assert explorer.output_images.decoded_slot.image is not None  # the last good image stays
    assert scene.errors_logged >= 1 and "decoder on fire" in caplog.text
    assert np.isfinite(explorer.output_images.decoded_slot.image).all()
    assert math.isfinite(explorer.state.walk.t)


def test_a_model_that_fails_to_load_in_the_worker_does_not_stop_the_tour(kiosk, monkeypatch, caplog):
    from latentwalk.scenes.explorer.model import decoding

    def unloadable(job):
        raise RuntimeError("weights unreadable")

    monkeypatch.setattr(decoding.DecodeJob, "setup", unloadable)
    caplog.set_level(logging.ERROR, logger="latentwalk.scenes.kiosk")
    app, scene = kiosk()
    explorer = scene.explorer
    t0, view0 = explorer.state.walk.t, goal(scene)
    for _ in range(120):
        frames(app)
        explorer.decoder.worker.wait_idle(0.02)
    assert app.running and scene.mode == "tour"
    assert explorer.state.walk.t > t0 and turned(view0, goal(scene)) > 0.01
    assert "weights unreadable" in caplog.text and scene.errors_logged >= 1
