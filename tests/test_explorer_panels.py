"""The explorer's panels as a user meets them (tiny bundle, Xvfb, posted events): the layout holds at two
window sizes and after a resize, a dragged panel stays put until the next resize, a class's checkbox
dims that class's points, a failing decoder's error shows in the Output panel, and the Output panel
shows the hovered point while hovering and the walk's image otherwise."""
from __future__ import annotations

from itertools import combinations

import numpy as np
import pygame
import pytest
from imgui_bundle import imgui

from latentwalk.scenes.explorer.panels import ERROR_COLOR
from latentwalk.scenes.explorer.panels.layout import HELP_BUTTON, MARGIN
from latentwalk.scenes.explorer.core.commands import ShowPanels
from tests.bundles import make_bundle
from tests.explorer_helpers import (open_explorer, click_item, empty_pixel, frames, frames_until, front_point, post_button,
                                    post_motion)

PANELS = {"Classes", "Model", "Output", "Path", "Session", "Walk"}


@pytest.fixture(scope="module")
def bundle_path(tmp_path_factory):
    return make_bundle(tmp_path_factory.mktemp("panels") / "ten", count=300, classes=10)


@pytest.fixture
def explorer(gl_app, bundle_path):
    return open_explorer(gl_app, bundle_path, (800, 600), panels=True, data_dir=None)


def with_a_walk(app, scene, count=3):
    for index in range(count):
        scene.walk_tools.path.add_index(index * 7)
    frames(app, 4)


def set_collapsed(title, collapsed):
    imgui.set_window_collapsed(title, collapsed, imgui.Cond_.always)


def overlapping(a, b):
    return a[0] < b[0] + b[2] and b[0] < a[0] + a[2] and a[1] < b[1] + b[3] and b[1] < a[1] + a[3]


def check_layout(app, scene):
    width, height = app.framebuffer_size
    rects = scene.panel_layout.shown_rects()
    assert PANELS | {HELP_BUTTON} <= set(rects)  # and the panels of other features, all laid out
    for title, (x, y, w, h) in rects.items():
        assert w > 0 and h > 0, title
        assert x >= 0 and y >= 0 and x + w <= width and y + h <= height, (title, rects[title])
    for (one, a), (other, b) in combinations(rects.items(), 2):
        assert not overlapping(a, b), (one, a, other, b)
    for title in ("Output", "Path", "Session"):  # anchored to the right edge, whatever the size
        x, _, w, _ = rects[title]
        assert x + w == pytest.approx(width - MARGIN, abs=1)
    x, y, w, h = rects["Walk"]
    assert y + h == pytest.approx(height - MARGIN, abs=1)
    left = max(r[0] + r[2] for t, r in rects.items() if r[0] == MARGIN)  # the left column's right edge
    right = min(rects[t][0] for t in ("Output", "Path", "Session"))
    # centred on the window, or in the gap between the columns when it fits there
    assert x + w / 2 == pytest.approx(width / 2, abs=1) or x + w / 2 == pytest.approx((left + right) / 2, abs=1)
    return rects


def test_panels_never_overlap_stay_inside_and_follow_the_window_when_it_is_resized(explorer):
    app, scene = explorer
    with_a_walk(app, scene)
    for collapsed in (True, False):  # as panels first appear, then all opened (the tallest case)
        for title in ("Model", "Session", "Path"):
            set_collapsed(title, collapsed)
        for size in ((800, 600), (1280, 720)):
            resized = size != app.framebuffer_size
            app.window.resize(size)
            frames(app)
            if resized:  # panels moved: an idle window draws on until they rest
                assert scene.panel_layout.settling()
            frames(app, 6)
            assert not scene.panel_layout.settling()
            rects = check_layout(app, scene)
            assert rects[HELP_BUTTON][:2] == (MARGIN, MARGIN) and rects["Classes"][0] == MARGIN
            assert rects["Model"][1] > rects["Classes"][1] + rects["Classes"][3]
            assert rects["Output"][1] < rects["Path"][1] < rects["Session"][1]
    # a panel that shows only once there is a walk appears in its place without pushing others over it
    scene.walk_tools.path.clear()
    frames(app, 3)
    assert "Walk" not in scene.panel_layout.shown_rects()
    with_a_walk(app, scene)
    check_layout(app, scene)


def test_a_dragged_panel_stays_where_it_was_dropped_until_the_window_is_resized(explorer):
    app, scene = explorer
    with_a_walk(app, scene)
    set_collapsed("Session", True)
    frames(app, 3)
    x, y, w, h = scene.panel_layout.rect("Session")
    grab = (int(x + w / 2), int(y + h / 2))
    post_motion(grab)
    frames(app)
    post_button(pygame.MOUSEBUTTONDOWN, grab)
    frames(app)
    for step in range(1, 11):
        post_motion((grab[0] - 20 * step, grab[1] - 15 * step), rel=(-20, -15), buttons=(1, 0, 0))
        frames(app)
    post_button(pygame.MOUSEBUTTONUP, (grab[0] - 200, grab[1] - 150))
    frames(app, 5)
    moved = scene.panel_layout.rect("Session")
    assert moved[0] == pytest.approx(x - 200, abs=3) and moved[1] == pytest.approx(y - 150, abs=3)
    assert scene.camera.goal.same_as(scene.camera.current)  # the drag moved the panel, not the camera
    app.window.resize((900, 640))
    frames(app, 6)
    check_layout(app, scene)


def test_clicking_a_class_checkbox_dims_that_class_in_the_cloud(explorer):
    app, scene = explorer
    frames(app, 3)
    panel = scene.panels[0]
    rects = list(scene.panel_layout.shown_rects().values())
    projection = scene.camera.project(scene.installed.positions, 1.0, scene.viewport)
    pixels = projection.pixels.astype(int)
    uncovered = projection.visible & ~np.array([any(r[0] <= px < r[0] + r[2] and r[1] <= py < r[1] + r[3]
                                                    for r in rects) for px, py in pixels])
    label = 2
    mine = uncovered & (scene.bundle.labels == label)
    others = uncovered & (scene.bundle.labels != label)
    assert mine.sum() >= 5 and others.sum() >= 20
    before = app.capture(include_ui=False).astype(int)

    click_item(app, panel, f"class{label}")
    expected = np.ones(10, bool)
    expected[label] = False
    assert np.array_equal(scene.state.highlight.as_array(), expected)
    after = app.capture(include_ui=False).astype(int)
    change = np.abs(after - before).sum(axis=-1)[pixels[:, 1], pixels[:, 0]]
    assert np.median(change[mine]) > 30  # that class's points are dimmed
    assert np.median(change[others]) == 0  # the others look as they did
    click_item(app, panel, f"class{label}")
    assert scene.state.highlight.as_array().all()


def test_a_failing_decoder_shows_its_error_in_the_output_panel(explorer, monkeypatch):
    import latentwalk.scenes.explorer.model.decoding as decoding

    app, scene = explorer
    scene.submit(ShowPanels(False))  # to aim at a point
    frames(app)

    def broken(decoder, latents):
        raise RuntimeError("decoder exploded")

    monkeypatch.setattr(decoding, "decode_batch", broken)
    index, pixel = front_point(scene)
    post_motion(pixel)
    assert frames_until(app, lambda: scene.decoder.last_error is not None)
    scene.submit(ShowPanels(True))
    frames(app, 3)
    output = scene.output_panel
    assert "decoder exploded" in output.error_shown
    image = app.capture(include_ui=True)
    x, y, w, h = (int(v) for v in output.rect)
    panel = image[y:y + h, x:x + w].astype(int)
    red = np.abs(panel - np.round(np.array([ERROR_COLOR.x, ERROR_COLOR.y, ERROR_COLOR.z]) * 255)).sum(axis=-1) < 60
    assert red.sum() > 30  # the error line is on screen, in the panel
    assert app.running and scene.output_images.decoded_slot.image is None


def test_output_shows_the_hovered_point_while_hovering_and_the_walk_otherwise(explorer):
    app, scene = explorer
    scene.submit(ShowPanels(False))  # to aim at points
    with_a_walk(app, scene, count=2)
    traversal = scene.walk_tools.path.traversal
    traversal.seek(0.5)
    assert frames_until(app, lambda: scene.output_images.caption == "walk  t = 0.500")
    index, pixel = front_point(scene)
    post_motion(pixel)
    assert frames_until(app, lambda: scene.output_images.caption.startswith(f"#{index} "))
    traversal.play()
    frames(app, 20)  # new walk images keep arriving, and the hovered point keeps the panel
    assert scene.state.pointer.hovered == index and scene.output_images.caption.startswith(f"#{index} ")
    traversal.pause()
    post_motion(empty_pixel(scene))
    t = traversal.t
    assert frames_until(app, lambda: scene.output_images.caption == f"walk  t = {t:.3f}")
    assert scene.output_images.decoded_slot.image is scene.walk_tools.walk_panel.image.image
    scene.walk_tools.path.clear()  # no walk: its image leaves the panel
    frames(app, 2)
    assert scene.output_images.caption == "" and scene.output_images.decoded_slot.image is None
