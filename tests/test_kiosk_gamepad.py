"""The gamepad driving the explorer in kiosk mode, through a real SDL virtual controller: sticks move the
camera and the cursor by the expected amounts per fixed step, the buttons' default map, hot-plug."""
import math

import numpy as np
import pygame
import pytest

from latentwalk.scenes.explorer.core.commands import SetWalkT
from tests.kiosk_helpers import frames, goal, kiosk, tiny_bundle, turned  # noqa: F401
from tests.virtual_pad import VirtualPad

UPDATE_HZ = 120  # the App's default fixed step
STEPS_PER_FRAME = 2  # frames of 1/60 s


@pytest.fixture
def pad():
    pads = []

    def plug():
        pads.append(VirtualPad().attach())
        return pads[-1]

    yield plug
    for one in pads:
        one.detach()
    pygame.event.clear()


def visitor_with_pad(kiosk, pad, **config):
    app, scene = kiosk(**config)
    frames(app, 2)
    one = pad()
    frames(app, 2)
    assert scene.mode == "tour"  # plugging a pad in is not yet a visitor
    one.button("guide", True)  # take over without a mapped action
    frames(app, 2)
    one.button("guide", False)
    frames(app, 2)
    assert scene.mode == "visitor"
    return app, scene, one


def test_left_stick_orbits_by_rate_times_step(kiosk, pad):
    app, scene, one = visitor_with_pad(kiosk, pad)
    one.axis("leftx", 1.0)
    frames(app)  # the stick's first frame
    before = goal(scene)
    frames(app)
    rate = math.radians(scene.config.gamepad.orbit_degrees_per_second)
    assert turned(before, goal(scene)) == pytest.approx(rate * STEPS_PER_FRAME / UPDATE_HZ, rel=1e-6)
    one.axis("leftx", 0.1)  # inside the dead zone: nothing
    frames(app)
    still = goal(scene)
    frames(app, 3)
    assert turned(still, goal(scene)) == 0.0


def test_triggers_zoom_by_rate_per_step(kiosk, pad):
    app, scene, one = visitor_with_pad(kiosk, pad)
    one.axis("righttrigger", 1.0)
    frames(app)
    before = goal(scene).distance
    frames(app, 3)
    rate = scene.config.gamepad.zoom_per_second
    assert goal(scene).distance / before == pytest.approx(rate ** (-3 * STEPS_PER_FRAME / UPDATE_HZ), rel=1e-6)
    one.axis("righttrigger", 0.0)
    one.axis("lefttrigger", 1.0)
    frames(app)
    before = goal(scene).distance
    frames(app)
    assert goal(scene).distance / before == pytest.approx(rate ** (STEPS_PER_FRAME / UPDATE_HZ), rel=1e-6)


def test_right_stick_moves_the_cursor_and_the_selection_follows(kiosk, pad):
    app, scene, one = visitor_with_pad(kiosk, pad)
    explorer = scene.explorer
    one.axis("rightx", 1.0)
    frames(app)
    start = scene.pads.cursor.copy()
    frames(app, 4)
    camera = explorer.camera
    expected_step = scene.config.gamepad.cursor_speed * camera.scene_radius / UPDATE_HZ
    moved = scene.pads.cursor - start
    right = camera.goal.rotation[:, 0]
    assert moved == pytest.approx(right * expected_step * 4 * STEPS_PER_FRAME, abs=1e-9)
    selection = explorer.state.selection
    assert selection.source == "gamepad" and selection.index is None
    # the selection is the latent drawn at the cursor (identity projection for a 3-d model)
    assert np.allclose(selection.latent, explorer.installed.projection.mean + scene.pads.cursor @ explorer.installed.projection.axes)
    one.axis("rightx", 0.0)
    one.axis("righty", -1.0)  # up
    frames(app)
    start = scene.pads.cursor.copy()
    frames(app)
    up = camera.goal.rotation[:, 1]
    assert scene.pads.cursor - start == pytest.approx(up * expected_step * STEPS_PER_FRAME, abs=1e-9)


def test_buttons_follow_the_default_map(kiosk, pad):
    app, scene, one = visitor_with_pad(kiosk, pad)
    explorer = scene.explorer

    def tap(name, count=3):
        one.button(name, True)
        frames(app)
        one.button(name, False)
        frames(app, count)

    points = len(explorer.state.walk.path.points)
    one.axis("rightx", 1.0)  # a cursor selection to add
    frames(app, 3)
    one.axis("rightx", 0.0)
    tap("a")
    assert len(explorer.state.walk.path.points) == points + 1 and explorer.state.walk.path.points[-1].coords is not None
    tap("b")
    assert len(explorer.state.walk.path.points) == points
    playing = explorer.state.walk.playing
    tap("x")
    assert explorer.state.walk.playing != playing
    if explorer.state.walk.playing:
        tap("x")
    tap("y")
    assert explorer.state.highlight.classes == (0,)
    explorer.submit(SetWalkT(0.5))
    frames(app)
    step = explorer.state.walk.path.traversal.step_index
    tap("dpright")
    assert explorer.state.walk.path.traversal.step_index == step + 1
    tap("dpdown")
    assert explorer.state.walk.path.traversal.step_index == step + 1 - 10
    tap("start")
    assert explorer.state.ui.panels_visible
    tap("start")  # Start passes through ImGui navigation: it hides them again
    assert not explorer.state.ui.panels_visible
    one.axis("leftx", 1.0)
    frames(app, 10)
    one.axis("leftx", 0.0)
    frames(app)
    assert turned(explorer.camera.home, goal(scene)) > 0.05
    tap("back", count=2)
    assert turned(explorer.camera.home, goal(scene)) < 1e-9


def test_pads_come_and_go_during_a_visit(kiosk, pad):
    app, scene, one = visitor_with_pad(kiosk, pad)
    two = pad()
    frames(app, 2)
    assert len(scene.pads.gamepads.pads) == 2
    one.detach()
    frames(app, 2)
    assert list(scene.pads.gamepads.pads) == [two.instance_id]
    two.axis("leftx", -1.0)
    frames(app)
    before = goal(scene)
    frames(app)
    rate = math.radians(scene.config.gamepad.orbit_degrees_per_second)
    assert turned(before, goal(scene)) == pytest.approx(rate * STEPS_PER_FRAME / UPDATE_HZ, rel=1e-6)


def test_a_held_stick_keeps_the_visitor_in_control(kiosk, pad):
    app, scene, one = visitor_with_pad(kiosk, pad, idle_timeout=1.0)
    one.axis("leftx", 0.8)  # one event, then held still: no more events
    frames(app, 90)
    assert scene.mode == "visitor"
    one.axis("leftx", 0.0)
    released = scene.seconds
    frames(app, 40)  # 0.67 s after letting go: still within the 1 s timeout
    assert scene.mode == "visitor"
    # the stick's settling events (and, in a long run, SDL's) count as input for a few frames: wait for
    # the tour within a bound, then check it did not come back before a whole timeout had passed
    for _ in range(150):
        if scene.mode == "tour":
            break
        frames(app)
    assert scene.mode == "tour"
    # seconds are a sum of fixed steps (1/120 each): compare with a tolerance far below one step
    assert scene.seconds - released >= 1.0 - 1e-9


def test_the_plain_explorer_takes_a_pad_too_and_the_image_follows_the_cursor(gl_app, tiny_bundle, pad):
    from latentwalk.scenes.kiosk.pad_driver import PadDriver
    from tests.explorer_helpers import frames_until, open_explorer

    app, explorer = open_explorer(gl_app, tiny_bundle, (320, 240))
    driver = PadDriver.attach(explorer, app)
    try:
        one = pad()
        frames(app, 2)
        one.axis("leftx", 1.0)
        frames(app, 2)
        before = goal(explorer)
        frames(app)
        rate = math.radians(90.0)
        # attached as an updater, a step's Orbit applies at the next step: still two per frame
        assert turned(before, goal(explorer)) == pytest.approx(rate * STEPS_PER_FRAME / UPDATE_HZ, rel=1e-6)
        one.axis("leftx", 0.0)
        one.axis("rightx", 1.0)
        frames(app, 3)
        one.axis("rightx", 0.0)
        latent = explorer.state.selection.latent
        assert latent is not None and explorer.state.selection.source == "gamepad"
        assert frames_until(app, lambda: explorer.output_images.shown_owner == "selection"
                            and explorer.output_images.decoded_slot.image is not None)
        first = explorer.output_images.decoded_slot.image
        one.axis("rightx", -1.0)
        frames(app, 3)
        one.axis("rightx", 0.0)
        assert explorer.state.selection.latent != latent
        assert frames_until(app, lambda: explorer.output_images.decoded_slot.image is not first)
    finally:
        driver.close()


def test_sticks_only_do_what_visitors_may(kiosk, pad):
    app, scene, one = visitor_with_pad(kiosk, pad, visitors_may=("zoom",))
    one.axis("leftx", 1.0)
    one.axis("rightx", 1.0)
    frames(app)
    before = goal(scene)
    frames(app, 3)
    assert turned(before, goal(scene)) == 0.0 and scene.pads.cursor is None
    one.axis("righttrigger", 1.0)
    frames(app, 2)
    assert goal(scene).distance < before.distance


def test_the_controls_overlay_lists_the_bindings_in_force():
    from latentwalk.engine.input import Bindings
    from latentwalk.scenes.kiosk.overlay import control_rows
    from latentwalk.scenes.kiosk.pad_driver import PAD_DEFAULTS

    bindings = Bindings.defaults()
    bindings.update(PAD_DEFAULTS)
    rows = dict((effect, inputs) for inputs, effect in control_rows(bindings, lambda action: True))
    assert rows["play or pause the walk"] == "X" and rows["turn the view"].startswith("Left stick")
    assert "Left drag" in rows["turn the view"]
    assert rows["hold: the pad moves through the panels"] == "LB"
    bindings.update({"pad:x": "", "pad:a": "play_walk", "key:p": "play_walk"})
    rows = dict((effect, inputs) for inputs, effect in control_rows(bindings, lambda action: action != "zoom_axis"
                                                                    and action != "zoom"))
    assert rows["play or pause the walk"] == "A / P" and "zoom" not in rows
