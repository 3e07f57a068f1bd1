"""The fixed-step accumulator under fake time: exact update counts, clamped stalls, alpha in [0, 1)."""
import math
import random

import pytest

from latentwalk.engine.clock import FixedStepClock, ManualTimeSource

STEP = 1.0 / 120.0


@pytest.mark.parametrize("frame_time, frames, expected", [
    (1.0 / 60.0, 60, 120),    # two updates per 60 Hz frame
    (1.0 / 120.0, 120, 120),  # one per frame
    (1.0 / 240.0, 240, 120),  # every other frame
    (1.0 / 144.0, 144, 120),  # uneven cadence still sums exactly
])
def test_update_count_matches_elapsed_time_exactly(frame_time, frames, expected):
    clock = FixedStepClock(step=STEP)
    updates = [clock.advance(frame_time) for _ in range(frames)]
    assert sum(updates) == expected
    assert clock.total_updates == expected


def test_random_frame_times_give_floor_of_elapsed_steps():
    rng = random.Random(7)
    clock = FixedStepClock(step=STEP)
    elapsed = 0.0
    for _ in range(2000):
        frame_time = rng.uniform(0.0, 0.05)
        elapsed += frame_time
        clock.advance(frame_time)
        assert 0.0 <= clock.alpha < 1.0
        assert clock.total_updates == math.floor(elapsed / STEP + 1e-6)
    # alpha is exactly the unspent fraction of a step
    assert clock.alpha == pytest.approx(elapsed / STEP - clock.total_updates, abs=1e-6)


def test_two_half_steps_make_exactly_one_update():
    clock = FixedStepClock(step=0.1)
    assert clock.advance(0.05) == 0
    assert clock.alpha == pytest.approx(0.5)
    assert clock.advance(0.05) == 1
    assert clock.alpha == pytest.approx(0.0, abs=1e-9)


def test_long_stall_is_clamped():
    clock = FixedStepClock(step=STEP, max_frame_time=0.25)
    updates = clock.advance(10.0)  # a 10-second hitch
    assert updates == 30  # 0.25 s worth, not 1200
    assert clock.clamped_frames == 1
    assert 0.0 <= clock.alpha < 1.0


def test_negative_and_nan_frame_times_count_as_zero():
    clock = FixedStepClock(step=STEP)
    assert clock.advance(-1.0) == 0
    assert clock.advance(float("nan")) == 0
    assert clock.alpha == 0.0


def test_invalid_configuration_is_rejected():
    with pytest.raises(ValueError):
        FixedStepClock(step=0)
    with pytest.raises(ValueError):
        FixedStepClock(step=0.1, max_frame_time=0.05)


def test_manual_time_source_moves_only_when_told():
    source = ManualTimeSource(start=2.0)
    assert source() == 2.0
    source.advance(0.5)
    assert source() == 2.5
    with pytest.raises(ValueError):
        source.advance(-0.1)
