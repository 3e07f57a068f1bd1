"""The explorer under Xvfb with real GL and posted pygame events: hover picking and decoding,
highlighting, camera input, panels blocking input, resize, and hover clearing."""
from __future__ import annotations

import numpy as np
import pygame
import pytest

from latentwalk.scenes.explorer.core.commands import Highlight, SetPointStyle, ShowPanels
from tests.bundles import make_bundle
from tests.explorer_helpers import (open_explorer, empty_pixel, frames, frames_until, front_point, isolated_point, post_button,
                                    post_motion)

SIZE = (480, 360)


@pytest.fixture(scope="module")
def bundle_path(tmp_path_factory):
    return make_bundle(tmp_path_factory.mktemp("explorer") / "tiny", count=400, classes=4)


@pytest.fixture
def explorer(gl_app, bundle_path):
    return open_explorer(gl_app, bundle_path, SIZE)


def test_hover_picks_the_point_under_the_cursor_and_decodes_it(explorer):
    from latentwalk.scenes.explorer.model.decoding import image_to_rgb_u8
    from latentwalk.vae.decode import decode_latents

    app, scene = explorer
    index, pixel = front_point(scene)
    post_motion(pixel)
    frames(app)
    assert scene.state.pointer.hovered == index
    assert frames_until(app, lambda: scene.output_images.caption.startswith(f"#{index} "))
    expected = decode_latents(scene.bundle.load_decoder("cpu"), scene.bundle.latents[index:index + 1])[0]
    np.testing.assert_allclose(scene.output_images.decoded_slot.image, expected, atol=1e-5)
    assert np.array_equal(scene.output_images.decoded_slot.texture.read(), image_to_rgb_u8(expected))
    assert scene.output_images.hover_latency_frames is not None and scene.output_images.hover_latency_frames >= 1


def test_empty_space_picks_nothing_and_leaving_the_window_clears_hover(explorer):
    app, scene = explorer
    post_motion(empty_pixel(scene))
    frames(app)
    assert scene.state.pointer.hovered is None
    index, pixel = front_point(scene)
    post_motion(pixel)
    frames(app)
    assert scene.state.pointer.hovered == index
    pygame.event.post(pygame.event.Event(pygame.WINDOWLEAVE, window=None))
    frames(app)
    assert scene.state.pointer.hovered is None and scene.state.pointer.position is None


def test_a_cursor_beside_a_lone_point_picks_it_within_the_pick_radius(explorer):
    app, scene = explorer
    index, (x, y) = isolated_point(scene)
    for offset in ((4, 0), (-3, 3), (0, -4)):  # the point's centre pixel lies inside the 9x9 pick square
        post_motion((x + offset[0], y + offset[1]))
        frames(app)
        assert scene.state.pointer.hovered == index
    post_motion((x + 12, y))  # beyond the point's footprint plus the pick radius
    frames(app)
    assert scene.state.pointer.hovered != index


def test_highlighting_a_class_dims_the_others_without_touching_positions(explorer):
    app, scene = explorer
    index, (x, y) = front_point(scene)
    label = int(scene.bundle.labels[index])
    before = app.capture(include_ui=False)[y, x].astype(int)
    buffer_id = scene.installed.cloud.position_buffer.id
    others = np.ones(len(scene.state.highlight.as_array()), bool)
    others[label] = False
    scene.submit(Highlight(tuple(int(i) for i in np.flatnonzero(others))))
    frames(app)
    dimmed = app.capture(include_ui=False)
    background = np.array([0.08, 0.08, 0.10]) * 255
    # the point's pixel moved towards the background (its class is dimmed and shrunk)
    assert np.abs(dimmed[y, x] - background).sum() < np.abs(before - background).sum() - 30
    scene.submit(Highlight(None))
    frames(app)
    assert np.abs(app.capture(include_ui=False)[y, x].astype(int) - before).sum() <= 3
    assert scene.installed.cloud.position_buffer.id == buffer_id


def test_left_drag_rotates_wheel_zooms_reset_returns(explorer):
    app, scene = explorer
    camera = scene.camera
    start = camera.goal
    centre = (SIZE[0] // 2, SIZE[1] // 2)
    post_button(pygame.MOUSEBUTTONDOWN, centre)
    post_motion((centre[0] + 40, centre[1] + 10), rel=(40, 10), buttons=(1, 0, 0))
    post_button(pygame.MOUSEBUTTONUP, (centre[0] + 40, centre[1] + 10))
    frames(app)
    assert not np.allclose(camera.goal.orientation, start.orientation)
    distance = camera.goal.distance
    pygame.event.post(pygame.event.Event(pygame.MOUSEWHEEL, x=0, y=2, flipped=False, precise_x=0.0,
                                         precise_y=2.0, touch=False))
    frames(app, 30)
    assert camera.current.distance < distance * 0.9
    pygame.event.post(pygame.event.Event(pygame.KEYDOWN, key=pygame.K_r, mod=0, unicode="r", scancode=0))
    frames(app, 120)
    assert camera.current.same_as(camera.home)


def test_right_drag_pans_and_arrow_keys_orbit(explorer):
    app, scene = explorer
    camera = scene.camera
    target = camera.goal.target.copy()
    post_button(pygame.MOUSEBUTTONDOWN, (100, 100), button=3)
    post_motion((130, 100), rel=(30, 0), buttons=(0, 0, 1))
    post_button(pygame.MOUSEBUTTONUP, (130, 100), button=3)
    frames(app)
    assert not np.allclose(camera.goal.target, target)
    orientation = camera.goal.orientation.copy()
    pygame.event.post(pygame.event.Event(pygame.KEYDOWN, key=pygame.K_LEFT, mod=0, unicode="", scancode=0))
    frames(app, 10)
    pygame.event.post(pygame.event.Event(pygame.KEYUP, key=pygame.K_LEFT, mod=0, unicode="", scancode=0))
    frames(app)
    assert not np.allclose(camera.goal.orientation, orientation)


def test_double_click_centres_the_point(explorer):
    app, scene = explorer
    index, pixel = front_point(scene)
    for _ in range(2):
        post_button(pygame.MOUSEBUTTONDOWN, pixel)
        post_button(pygame.MOUSEBUTTONUP, pixel)
    frames(app)
    np.testing.assert_allclose(scene.camera.goal.target, scene.installed.positions[index], atol=1e-6)


def test_a_panel_under_the_mouse_blocks_camera_and_hover(explorer):
    app, scene = explorer
    scene.submit(ShowPanels(True))
    frames(app, 2)
    x, y, w, h = scene.panels[0].rect  # Classes
    assert w > 0 and h > 0
    inside = (int(x + w / 2), int(y + h - 6))
    post_motion(inside)
    frames(app, 2)
    goal = scene.camera.goal
    post_button(pygame.MOUSEBUTTONDOWN, inside)
    post_motion((inside[0] + 60, inside[1] + 20), rel=(60, 20), buttons=(1, 0, 0))
    post_button(pygame.MOUSEBUTTONUP, (inside[0] + 60, inside[1] + 20))
    pygame.event.post(pygame.event.Event(pygame.MOUSEWHEEL, x=0, y=3, flipped=False, precise_x=0.0,
                                         precise_y=3.0, touch=False))
    frames(app, 3)
    assert scene.camera.goal.same_as(goal)
    assert scene.state.pointer.hovered is None and scene.state.pointer.position is None


def test_picking_stays_exact_after_a_resize(explorer):
    app, scene = explorer
    app.window.resize((400, 520))
    frames(app, 2)
    assert scene.viewport == (400, 520) and scene.picker.size == (400, 520)
    index, pixel = front_point(scene)
    post_motion(pixel)
    frames(app)
    assert scene.state.pointer.hovered == index


def test_pick_without_prefilter_agrees(explorer):
    app, scene = explorer
    index, pixel = front_point(scene)
    scene.submit(SetPointStyle(pick_prefilter=False))
    post_motion(pixel)
    frames(app)
    assert scene.state.pointer.hovered == index
    assert scene.picker.last_candidates == scene.installed.cloud.count


def test_output_says_what_it_is_decoding_until_the_first_image_arrives(explorer):
    app, scene = explorer
    index, pixel = front_point(scene)
    scene.decoder.pump = lambda timeout=None, channels=None: 0  # results held back: the image is still on its way
    post_motion(pixel)
    frames(app)
    assert scene.state.pointer.hovered == index
    assert scene.output_images.caption == ""  # nothing shown yet: Output names what is coming instead
    assert scene.output_images.coming.startswith(f"#{index} ") and "decoding" in scene.output_images.coming
    del scene.decoder.pump
    assert frames_until(app, lambda: scene.output_images.caption.startswith(f"#{index} "))
    assert "decoding" not in scene.output_images.caption
