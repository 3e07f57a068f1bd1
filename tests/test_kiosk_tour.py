"""The attract-mode planner, pure: seeded, class to class or random points, never two tours alike,
a camera that eases in and never jumps."""
import math

import numpy as np
import pytest

from latentwalk.scenes.kiosk.tour import EASE_SECONDS, TourPlanner, camera_at, eased_time


def data(count=200, classes=5, seed=0):
    rng = np.random.default_rng(seed)
    labels = np.arange(count) % classes
    latents = rng.normal(size=(count, 3)).astype(np.float32) + labels[:, None] * 4.0
    return labels, latents


def test_same_seed_same_tours_other_seed_other_tours():
    labels, latents = data()
    first = TourPlanner(labels, latents, seed=1)
    again = TourPlanner(labels, latents, seed=1)
    other = TourPlanner(labels, latents, seed=2)
    a = [first.next() for _ in range(6)]
    assert a == [again.next() for _ in range(6)]
    assert a != [other.next() for _ in range(6)]


@pytest.mark.parametrize("style", ["classes", "random", "mixed"])
def test_no_two_tours_in_a_row_alike(style):
    labels, latents = data(classes=3)
    planner = TourPlanner(labels, latents, style=style, points=3, seed=5)
    tours = [planner.next() for _ in range(60)]
    for before, after in zip(tours, tours[1:]):
        assert set(before.indices) != set(after.indices)
        assert math.copysign(1, before.orbit_rate) != math.copysign(1, after.orbit_rate)
        if before.kind == after.kind == "classes":
            assert before.classes != after.classes
    kinds = {tour.kind for tour in tours}
    assert kinds == ({"classes", "random"} if style == "mixed" else {style})


def test_class_tours_visit_distinct_classes_at_typical_points():
    labels, latents = data(classes=6)
    planner = TourPlanner(labels, latents, style="classes", points=4, seed=3)
    for _ in range(10):
        tour = planner.next()
        assert len(set(tour.classes)) == 4 == len(tour.indices)
        for index, cls in zip(tour.indices, tour.classes):
            members = latents[labels == cls]
            spread = np.linalg.norm(members - members.mean(axis=0), axis=1)
            # a typical point: nearer its class mean than most of its class
            assert labels[index] == cls
            assert np.linalg.norm(latents[index] - members.mean(axis=0)) < np.median(spread)


def test_random_tours_use_distinct_training_points():
    labels, latents = data()
    tour = TourPlanner(labels, latents, style="random", points=7, seed=0).next()
    assert len(set(tour.indices)) == 7 and all(0 <= i < len(labels) for i in tour.indices)


def test_camera_eases_in_from_rest_and_moves_smoothly():
    labels, latents = data()
    tour = TourPlanner(labels, latents, seed=0).next()
    start = camera_at(tour, 0.0, start_distance_factor=1.3)
    assert start.yaw == 0.0 and start.pitch == 0.0 and start.distance_factor == pytest.approx(1.3)
    dt = 1 / 120
    previous = start
    for step in range(1, int(tour.seconds / dt)):
        now = camera_at(tour, step * dt, start_distance_factor=1.3)
        assert abs(now.yaw - previous.yaw) <= abs(tour.orbit_rate) * dt * 1.0001
        assert abs(now.distance_factor - previous.distance_factor) < 0.01
        previous = now
    assert camera_at(tour, 2 * EASE_SECONDS).ease == 1.0
    # the eased rate, integrated exactly: slow at first, full rate after the ramp
    assert eased_time(EASE_SECONDS) == pytest.approx(EASE_SECONDS / 2)
    steps = np.arange(0, EASE_SECONDS, 1e-4)
    assert eased_time(EASE_SECONDS) == pytest.approx(np.sum(3 * (steps / EASE_SECONDS) ** 2
                                                             - 2 * (steps / EASE_SECONDS) ** 3) * 1e-4, rel=1e-3)


def test_a_single_class_or_two_points_still_plan():
    labels = np.zeros(2, int)
    latents = np.zeros((2, 3), np.float32)
    planner = TourPlanner(labels, latents, style="mixed", seed=0)
    tours = [planner.next() for _ in range(3)]
    assert all(len(tour.indices) >= 2 for tour in tours)
