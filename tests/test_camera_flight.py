"""Camera flights (engine.camera): timed, eased, advanced by the fixed step, interruptible."""
from __future__ import annotations

import numpy as np
import pytest

from latentwalk.engine.camera import FLIGHT_SECONDS, OrbitCamera, ease_in_out

DT = 1 / 120


def fly(camera: OrbitCamera, seconds: float) -> None:
    for _ in range(round(seconds / DT)):
        camera.update(DT)


def test_a_flight_ends_exactly_on_its_goal_after_its_duration_whatever_the_step():
    for dt in (1 / 120, 1 / 30):
        camera = OrbitCamera(target=(0, 0, 0), distance=3.0)
        camera.fly_to((2.0, -1.0, 0.5), distance=1.5, duration=0.5)
        assert camera.is_moving
        steps = round(0.5 / dt)
        for _ in range(steps - 1):
            camera.update(dt)
        assert camera.flight is not None and not np.allclose(camera.current.target, (2.0, -1.0, 0.5))
        camera.update(dt)
        assert camera.flight is None
        np.testing.assert_allclose(camera.current.target, (2.0, -1.0, 0.5))
        assert camera.current.distance == pytest.approx(1.5)
        camera.update(dt)
        assert not camera.is_moving


def test_a_flight_is_eased_halfway_in_time_is_halfway_in_space_and_slow_at_both_ends():
    camera = OrbitCamera(target=(0, 0, 0), distance=3.0)
    camera.fly_to((4.0, 0.0, 0.0), duration=1.0)
    positions = []
    for _ in range(120):
        camera.update(DT)
        positions.append(camera.current.target[0])
    steps = np.diff([0.0, *positions])
    assert positions[59] == pytest.approx(2.0, abs=1e-9)  # smoothstep is symmetric about the middle
    assert steps[0] < steps[60] / 10 and steps[-1] < steps[60] / 10
    assert ease_in_out(0.0) == 0.0 and ease_in_out(1.0) == 1.0 and ease_in_out(0.25) < 0.25


def test_input_interrupts_a_flight_where_it_has_got_to():
    camera = OrbitCamera(target=(0, 0, 0), distance=3.0)
    camera.fly_to((4.0, 0.0, 0.0), duration=FLIGHT_SECONDS)
    fly(camera, FLIGHT_SECONDS / 2)
    reached = camera.current.target.copy()
    assert 0.5 < reached[0] < 3.5
    camera.orbit(0.1, 0.0)
    assert camera.flight is None
    np.testing.assert_allclose(camera.goal.target, reached)  # not the flight's end
    fly(camera, 2.0)
    np.testing.assert_allclose(camera.current.target, reached, atol=1e-9)


def test_a_new_flight_starts_from_where_the_last_one_is():
    camera = OrbitCamera(target=(0, 0, 0), distance=3.0)
    camera.fly_to((4.0, 0.0, 0.0), duration=1.0)
    fly(camera, 0.5)
    middle = camera.current.target.copy()
    camera.fly_to((0.0, 4.0, 0.0), duration=1.0)
    camera.update(DT)
    assert np.linalg.norm(camera.current.target - middle) < 0.01  # no jump
    fly(camera, 1.0)
    np.testing.assert_allclose(camera.current.target, (0.0, 4.0, 0.0))
