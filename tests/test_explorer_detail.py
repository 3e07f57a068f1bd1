"""Adaptive detail in the explorer, real GL under Xvfb: while the view turns only a prefix of the draw
order is drawn (and the hint says so), picking still finds every point, and at rest the cached layer
refines until every point is in it, pixel for pixel what a full draw shows."""
from __future__ import annotations

import sys

import numpy as np
import pytest

from latentwalk.scenes.explorer.core import commands as c
from tests.bundles import make_bundle
from tests.explorer_helpers import frames, grab, open_explorer

SIZE = (400, 300)
COUNT, SUBSET = 3_000, 300


@pytest.fixture(scope="module")
def bundle_path(tmp_path_factory):
    return make_bundle(tmp_path_factory.mktemp("detail") / "cloud", count=COUNT, classes=4)


@pytest.fixture
def explorer(gl_app, bundle_path):
    app, scene = open_explorer(gl_app, bundle_path, SIZE, detail={"fixed": SUBSET, "min_points": 100})
    assert scene.layer_cache.detail.builder.wait(30) is not None
    frames(app)  # poll hands the order to the cloud
    assert scene.installed.cloud.ordered
    return app, scene


def turn(app, scene, count: int = 1) -> None:
    for _ in range(count):
        scene.submit(c.Orbit(0.03, 0.0))
        frames(app)


def settle(app, scene, limit: int = 200) -> int:
    """Frames until the layer is complete and reused; how many it took."""
    for n in range(limit):
        frames(app)
        if scene.layer_cache.detail.mode == "full" and not scene.camera.is_moving:
            return n + 1
    raise AssertionError(f"detail never completed ({scene.layer_cache.detail.drawn} of {scene.layer_cache.detail.total})")


def moving_then_rest(app, scene) -> tuple[np.ndarray, np.ndarray]:
    """A frame of the view turning (a subset drawn), then one once detail has refined at rest."""
    turn(app, scene, 1)
    scene.submit(c.Orbit(0.03, 0.0))
    moving = grab(app)
    assert scene.layer_cache.detail.mode == "moving"
    settle(app, scene)
    return moving, grab(app)


def test_a_turning_view_draws_the_subset_and_says_so(explorer):
    app, scene = explorer
    turn(app, scene, 3)
    assert scene.layer_cache.detail.mode == "moving" and scene.layer_cache.detail.drawn == SUBSET
    assert scene.installed.cloud.last_drawn == SUBSET
    assert scene.detail_hint_text.startswith(f"{SUBSET:,} of {COUNT:,} points")
    assert len(np.unique(scene.bundle.labels[scene.installed.cloud.order[:SUBSET]])) == 4  # every class is in it


def test_at_rest_detail_refines_to_every_point_and_equals_a_full_draw(explorer):
    from latentwalk.engine import memory

    app, scene = explorer
    turn(app, scene, 3)
    trims = memory.trims
    settle(app, scene)
    # the refinement's end hands the driver's freed memory back (engine/memory.py), on glibc
    assert memory.trims > trims or not sys.platform.startswith("linux")
    chunks = []
    draws = scene.installed.cloud.draw_calls
    turn(app, scene, 1)
    assert scene.layer_cache.detail.drawn == SUBSET
    for _ in range(100):
        frames(app)
        chunks.append(scene.layer_cache.detail.drawn)
        if scene.layer_cache.detail.mode == "full":
            break
    assert chunks[-1] == COUNT and scene.layer_cache.detail.refinement.drawn == COUNT
    assert len(chunks) >= 2 and chunks == sorted(chunks)  # arrived over several frames, never shrinking
    assert scene.installed.cloud.draw_calls - draws == len(chunks) + 1  # one draw a frame: the turn, then each chunk
    assert scene.detail_hint_text is None
    refined = grab(app)
    reuses = scene.layer_cache.reuses
    # the reference: the same view with detail off, drawn whole into a fresh layer
    scene.layer_cache.detail.enabled = False
    scene.invalidate_layer()
    frames(app)  # the first frame after a change draws straight into the window
    full = grab(app)  # the second draws the whole cloud into the layer and shows it
    assert scene.layer_cache.reuses == reuses
    assert np.array_equal(refined, full)
    assert (refined != refined[0, 0]).any(axis=2).sum() > 2000  # the cloud is there, not a blank window


def test_the_subset_draws_fewer_pixels_than_the_full_cloud(explorer):
    app, scene = explorer
    moving, full = moving_then_rest(app, scene)
    background = full[0, 0]
    assert 0 < (moving != background).any(axis=2).sum() < (full != background).any(axis=2).sum()


def test_picking_while_moving_finds_points_outside_the_drawn_subset(explorer):
    app, scene = explorer
    turn(app, scene, 2)
    assert scene.layer_cache.detail.mode == "moving"
    drawn = set(scene.installed.cloud.order[:SUBSET].tolist())
    projection = scene.camera.project(scene.installed.positions, 1.0, scene.viewport)
    px, depth = projection.pixels, projection.depth
    found = 0
    for index in np.argsort(depth):  # nearest first: nothing in front of them
        if index in drawn or not projection.visible[index]:
            continue
        x, y = px[index]
        if not (10 < x < SIZE[0] - 10 and 10 < y < SIZE[1] - 10):
            continue
        near = np.hypot(px[:, 0] - x, px[:, 1] - y) < 6
        if near.sum() > 1:
            continue
        assert scene.pick_at((int(x), int(y))) == index
        found += 1
        if found == 5:
            break
    assert found == 5


def test_full_detail_mode_draws_every_point_while_turning(explorer):
    app, scene = explorer
    scene.layer_cache.full_detail = True  # what offline recording asks for
    turn(app, scene, 2)
    assert scene.installed.cloud.last_drawn == COUNT and scene.layer_cache.detail.drawn == COUNT
    assert scene.detail_hint_text is None


def test_the_hint_is_on_screen_while_detail_is_reduced_and_gone_at_full_detail(explorer):
    from latentwalk.scenes.explorer.panels.detail_hint import HINT_COLOR

    app, scene = explorer
    hint = np.array([HINT_COLOR.x, HINT_COLOR.y, HINT_COLOR.z]) * 255

    def hint_pixels(image):
        corner = image[-30:, :260].astype(float)  # the bottom-left corner, where the line is drawn
        return int((np.abs(corner - hint).max(axis=2) < 40).sum())
    moving, rest = moving_then_rest(app, scene)
    assert hint_pixels(moving) > 20 and hint_pixels(rest) == 0


def test_a_layer_no_key_can_describe_draws_every_point(explorer):
    app, scene = explorer
    scene.extra_renderers.append(lambda ctx: None)  # no cache_key: every frame is drawn afresh
    try:
        turn(app, scene, 2)
        frames(app, 3)
        assert scene.installed.cloud.last_drawn == COUNT and scene.layer_cache.detail.drawn == COUNT
    finally:
        scene.extra_renderers.pop()


@pytest.mark.parametrize("ordered", [True, False])
def test_a_draw_in_parts_shows_and_picks_what_one_draw_does(gl_app, bundle_path, monkeypatch, ordered):
    """Long draws go in parts (llvmpipe's memory, points.DRAW_PART): the pixels are a single draw's,
    and the id pass over every point names points in the later parts by their own index."""
    from latentwalk.scenes.explorer.view import points

    if ordered:
        app, scene = open_explorer(gl_app, bundle_path, SIZE, detail={"fixed": SUBSET, "min_points": 100})
        assert scene.layer_cache.detail.builder.wait(30) is not None
        frames(app)
        assert scene.installed.cloud.ordered
    else:  # as in a model's first frames, before its draw order is built
        app, scene = open_explorer(gl_app, bundle_path, SIZE, detail={"enabled": False})
        assert not scene.installed.cloud.ordered
    scene.layer_cache.full_detail = True
    turn(app, scene, 1)
    settle(app, scene)
    scene.invalidate_layer()
    frames(app)
    whole = grab(app)
    monkeypatch.setattr(points, "DRAW_PART", 256)  # 3,000 points: 12 parts
    scene.invalidate_layer()
    frames(app)
    parts = grab(app)
    assert np.array_equal(whole, parts) and (parts != parts[0, 0]).any(axis=2).sum() > 2000
    scene.picker.prefilter = False  # the GPU pass over every point, in parts
    projection = scene.camera.project(scene.installed.positions, 1.0, scene.viewport)
    late = [i for i in np.argsort(projection.depth) if projection.visible[i]
            and (scene.installed.cloud.order is None or np.flatnonzero(scene.installed.cloud.order == i)[0] >= 256)]
    for index in late[:3]:  # nearest first, so nothing covers them
        x, y = projection.pixels[index]
        assert scene.pick_at((int(x), int(y))) == index
