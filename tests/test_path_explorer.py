"""Curves and traversal in the real explorer (tiny bundle, Xvfb, posted events): add points by Shift+click
and key, reorder and delete them in the list, the slider moves the marker and changes the Output image,
playback under a fake clock."""
from __future__ import annotations

import numpy as np
import pygame
import pytest

from latentwalk.scenes.explorer.walk import curve_view as cv
from tests.bundles import make_bundle
from tests.explorer_helpers import (open_explorer, WALK_SIZE, click, click_item, frames, frames_until, isolated_point, key,
                                    post_motion, show_only_walk_panels)


@pytest.fixture(scope="module")
def bundle_path(tmp_path_factory):
    return make_bundle(tmp_path_factory.mktemp("walk") / "tiny", count=200, classes=4)


@pytest.fixture
def explorer(gl_app, bundle_path):
    app, scene = open_explorer(gl_app, bundle_path, WALK_SIZE)
    return app, scene, scene.walk_tools


def hover(app, scene, pos, index):
    post_motion(pos)
    assert frames_until(app, lambda: scene.state.pointer.hovered == index, 50)


def three_points(scene, count=3):
    """Indices and pixels of well separated, visible points."""
    chosen, pixels = [], []
    for clearance in (30.0, 20.0, 14.0):
        index, pos = isolated_point(scene, clearance=clearance)
        if index not in chosen:
            chosen.append(index)
            pixels.append(pos)
    projection = scene.camera.project(scene.installed.positions, 1.0, scene.viewport)
    order = np.argsort(projection.depth)
    for index in order:  # top up with the nearest visible points far from those chosen
        if len(chosen) == count:
            break
        px = projection.pixels[index]
        if projection.visible[index] and 40 < px[0] < WALK_SIZE[0] - 40 and 40 < px[1] < WALK_SIZE[1] - 40 \
                and all(np.hypot(*(px - p)) > 40 for p in pixels):
            chosen.append(int(index))
            pixels.append((int(px[0]), int(px[1])))
    return chosen, pixels


def add_by_events(app, scene):
    indices, pixels = three_points(scene)
    added = []
    for n, (index, pos) in enumerate(zip(indices, pixels)):
        hover(app, scene, pos, index)
        if n % 2 == 0:
            click(app, pos, mods=pygame.KMOD_SHIFT)
        else:
            key(pygame.KEYDOWN, pygame.K_c)
            key(pygame.KEYUP, pygame.K_c)
            frames(app, 2)
        added.append(scene.state.pointer.hovered)
    return added


def test_add_points_by_shift_click_and_key_then_reorder_and_delete_in_the_list(explorer):
    app, scene, walk = explorer
    added = add_by_events(app, scene)
    assert [p.index for p in walk.path.points] == added and len(set(added)) == 3
    click(app, (3, 3))  # a plain click adds nothing
    assert len(walk.path) == 3
    show_only_walk_panels(scene, walk)
    frames(app, 3)
    panel = walk.path_panel
    click_item(app, panel, "v0")
    assert [p.index for p in walk.path.points] == [added[1], added[0], added[2]]
    click_item(app, panel, "x2")
    assert [p.index for p in walk.path.points] == [added[1], added[0]]
    click_item(app, panel, "go1")
    frames(app, 120)  # the camera eases onto the point
    np.testing.assert_allclose(scene.camera.current.target, scene.installed.positions[added[0]], atol=1e-4)


def test_control_points_drawn_and_the_slider_moves_the_marker_and_changes_the_image(explorer):
    app, scene, walk = explorer
    added = add_by_events(app, scene)
    frames(app, 2)
    image = app.capture(include_ui=False)
    discs = np.all(np.abs(image.astype(int) - np.round(np.array(cv.POINT_COLOR[:3]) * 255)) <= 3, axis=-1)
    for x, y in scene.camera.project(scene.installed.positions[added], 1.0, scene.viewport).pixels.astype(int):
        assert discs[y - 2:y + 3, x - 2:x + 3].all()

    show_only_walk_panels(scene, walk)
    frames(app, 3)
    (x0, y0), (x1, y1) = walk.walk_panel.item_rects["t"]
    for fraction in (0.2, 0.7):
        click(app, (int(x0 + 7 + fraction * (x1 - x0 - 14)), int((y0 + y1) / 2)))
        t = walk.path.traversal.t
        assert t == pytest.approx(fraction, abs=0.03)
        latent = walk.path.current_latent()
        assert frames_until(app, lambda: scene.output_images.caption == f"walk  t = {t:.3f}", 200)
        decoder = scene.bundle.load_decoder("cpu")
        from latentwalk.vae.decode import decode_latents
        expected = decode_latents(decoder, latent[None].astype(np.float32))[0]
        np.testing.assert_allclose(scene.output_images.decoded_slot.image, expected, atol=1e-5)
        # the ring sits at the projected position of the curve at t
        frames(app)
        ring = np.all(np.abs(app.capture(include_ui=False).astype(int)
                             - np.round(np.array(cv.MARKER_COLOR[:3]) * 255)) <= 3, axis=-1)
        x, y = scene.camera.project(scene.installed.projection.to_3d(latent[None]), 1.0, scene.viewport).pixels[0]
        r = int(walk.view.marker_radius_px)
        assert ring[int(y), int(x) + r - 1] or ring[int(y), int(x) - r + 1]
        ys, xs = np.nonzero(ring)
        assert np.hypot(xs + 0.5 - x, ys + 0.5 - y).max() <= r + 1.5


def test_playback_runs_in_the_fixed_step_under_a_fake_clock(explorer):
    app, scene, walk = explorer
    add_by_events(app, scene)
    traversal = walk.path.traversal
    traversal.speed, traversal.mode = 0.2, "once"
    traversal.play()
    for dt in (1 / 30, 1 / 144):  # one second at each frame rate moves as far
        start = traversal.t
        for _ in range(round(1 / dt)):
            app.step_frame(dt)
        assert traversal.t - start == pytest.approx(0.2, abs=1e-6)


def test_another_model_starts_an_empty_walk_and_the_same_one_reloaded_keeps_it(explorer, tmp_path):
    app, scene, walk = explorer
    walk.path.add_index(5)
    walk.path.add_index(50)  # both exist in the other model too, where they are other pictures
    first = str(scene.bundle.path)
    other = make_bundle(tmp_path / "small", count=100, classes=3)
    assert scene.load_model(other)
    frames(app, 2)
    assert [p.index for p in walk.path.points] == []
    walk.path.add_index(5)
    walk.path.add_index(50)
    assert scene.load_model(other)  # the same model again (its file may have changed): its walk stays
    frames(app, 2)
    assert [p.index for p in walk.path.points] == [5, 50]
    assert scene.load_model(first)
    frames(app, 2)
    assert [p.index for p in walk.path.points] == []
    assert scene.load_model(other)
    walk.path.add_index(5)
    walk.path.add_index(50)
    frames(app, 2)
    assert walk.view.label_pixels.shape == (2, 2)
