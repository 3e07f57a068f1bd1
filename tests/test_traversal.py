"""Traversal: position, steps and playback timing under fake fixed steps."""
import numpy as np
import pytest

from latentwalk.engine.clock import FixedStepClock
from latentwalk.scenes.errors import SceneError
from latentwalk.scenes.explorer.walk.curve import Curve
from latentwalk.scenes.explorer.walk.traversal import Traversal

LINE = Curve(np.array([[0.0, 0.0], [10.0, 0.0]]))


def run_fixed_steps(traversal: Traversal, seconds: float, hz: int) -> None:
    for _ in range(round(seconds * hz)):
        traversal.update(1.0 / hz)


@pytest.mark.parametrize("mode", ["once", "loop", "ping-pong"])
def test_one_second_moves_as_far_at_60_and_120_hz(mode):
    positions = []
    for hz in (60, 120, 240):
        walk = Traversal(mode=mode, speed=0.3, curve=LINE)
        walk.play()
        run_fixed_steps(walk, 1.0, hz)
        positions.append(walk.t)
    assert positions[0] == pytest.approx(0.3, abs=1e-12)
    assert positions[1] == pytest.approx(positions[0], abs=1e-12)
    assert positions[2] == pytest.approx(positions[0], abs=1e-12)


def test_playback_does_not_depend_on_the_render_frame_rate():
    """Through the engine's fixed-step clock: 30 fps and 144 fps frames give the same walk."""
    positions = []
    for fps in (30, 144):
        clock = FixedStepClock(step=1.0 / 120.0)
        walk = Traversal(mode="loop", speed=0.4, curve=LINE)
        walk.play()
        for _ in range(2 * fps):
            for _ in range(clock.advance(1.0 / fps)):
                walk.update(clock.step)
        positions.append(walk.t)
    assert positions[0] == pytest.approx(0.8, abs=1e-9)
    assert positions[1] == pytest.approx(positions[0], abs=1e-9)


def test_loop_wraps_back_to_the_start():
    walk = Traversal(mode="loop", speed=0.5, t=0.9, curve=LINE)
    walk.play()
    run_fixed_steps(walk, 0.5, 120)  # travels 0.25: 0.9 -> 1.15 -> 0.15
    assert walk.t == pytest.approx(0.15, abs=1e-9)
    assert walk.playing and walk.direction == 1


def test_ping_pong_reverses_at_both_ends():
    walk = Traversal(mode="ping-pong", speed=0.5, t=0.9, curve=LINE)
    walk.play()
    run_fixed_steps(walk, 0.5, 120)  # 0.9 -> 1.0 -> back to 0.85
    assert walk.t == pytest.approx(0.85, abs=1e-9)
    assert walk.direction == -1
    run_fixed_steps(walk, 2.0, 120)  # 1.0 back: 0.85 -> 0.0 -> forward to 0.15
    assert walk.t == pytest.approx(0.15, abs=1e-9)
    assert walk.direction == 1 and walk.playing


def test_ping_pong_survives_a_step_longer_than_the_curve():
    walk = Traversal(mode="ping-pong", speed=1.0, t=0.2, curve=LINE)
    walk.play()
    walk.update(2.5)  # 0.2 -> 1 -> 0 -> 0.7 forwards
    assert walk.t == pytest.approx(0.7) and walk.direction == 1
    walk.update(0.5)  # 0.7 -> 1 -> 0.8 backwards
    assert walk.t == pytest.approx(0.8) and walk.direction == -1


def test_once_stops_at_the_end_and_pauses_then_play_restarts():
    walk = Traversal(mode="once", speed=0.5, t=0.8, curve=LINE)
    walk.play()
    run_fixed_steps(walk, 1.0, 60)
    assert walk.t == 1.0 and not walk.playing
    run_fixed_steps(walk, 1.0, 60)
    assert walk.t == 1.0
    walk.play()
    assert walk.t == 0.0 and walk.playing


def test_paused_traversal_does_not_move_and_toggle_switches():
    walk = Traversal(speed=1.0, t=0.3, curve=LINE)
    run_fixed_steps(walk, 0.5, 120)
    assert walk.t == 0.3
    walk.toggle()
    assert walk.playing
    walk.update(0.1)
    assert walk.t == pytest.approx(0.4)
    walk.toggle()
    walk.update(0.1)
    assert not walk.playing and walk.t == pytest.approx(0.4)
    walk.pause()
    assert not walk.playing


def test_steps_seek_and_jump():
    walk = Traversal(steps=11, curve=LINE)
    walk.seek(0.34)
    assert walk.step_index == 3
    walk.seek(0.36)
    assert walk.step_index == 4
    walk.jump_to_step(7)
    assert walk.t == pytest.approx(0.7)
    np.testing.assert_allclose(walk.point, [7.0, 0.0], atol=1e-9)
    walk.jump_to_step(99)
    assert walk.t == 1.0 and walk.step_index == 10
    walk.jump_to_step(-5)
    assert walk.t == 0.0
    walk.seek(3.0)
    assert walk.t == 1.0
    walk.seek(-1.0)
    assert walk.t == 0.0
    walk.seek(float("nan"))
    assert walk.t == 0.0
    assert walk.step_t(5) == pytest.approx(0.5)


def test_step_points_are_the_filmstrip_of_the_curve():
    walk = Traversal(steps=6, curve=LINE)
    np.testing.assert_allclose(walk.step_points(), [[0, 0], [2, 0], [4, 0], [6, 0], [8, 0], [10, 0]],
                               atol=1e-9)
    walk.steps = 3
    assert walk.step_points().shape == (3, 2)


def test_without_a_curve_nothing_throws_and_t_stays_valid():
    walk = Traversal()
    assert walk.point is None and walk.step_points() is None
    walk.seek(0.5)
    walk.jump_to_step(10)
    walk.play()
    run_fixed_steps(walk, 1.0, 60)
    assert walk.t == pytest.approx(10 / 99)
    assert 0 <= walk.step_index < walk.steps
    walk.toggle()
    walk.curve = LINE
    walk.play()
    walk.update(0.5)
    assert walk.t == pytest.approx(10 / 99 + 0.125)


def test_switching_mode_away_from_ping_pong_walks_forwards_again():
    walk = Traversal(mode="ping-pong", speed=1.0, t=0.9, curve=LINE)
    walk.play()
    walk.update(0.2)
    assert walk.direction == -1
    walk.mode = "loop"
    walk.update(0.2)
    assert walk.direction == 1 and walk.t == pytest.approx(0.1)


@pytest.mark.parametrize("kwargs,message", [
    ({"steps": 1}, "number of steps must be an integer >= 2"),
    ({"steps": 1001}, "number of steps must be an integer >= 2 and <= 1000, got 1001"),
    ({"steps": 10**11}, "number of steps must be an integer >= 2 and <= 1000"),
    ({"steps": 2.5}, "number of steps"),
    ({"steps": "ten"}, "number of steps"),
    ({"speed": "fast"}, "playback speed"),
    ({"mode": "bounce"}, "unknown playback mode 'bounce'"),
    ({"speed": -1.0}, "playback speed must be a finite number >= 0"),
    ({"speed": float("inf")}, "playback speed"),
])
def test_bad_settings_are_refused(kwargs, message):
    with pytest.raises(SceneError, match=message):
        Traversal(**kwargs)
