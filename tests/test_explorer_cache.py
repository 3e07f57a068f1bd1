"""The explorer's cached 3-d layer, real GL under Xvfb: a frame where only the pointer moved blits the
last layer instead of drawing the points again, and every change the 3-d view shows draws it afresh.
"Fresh" below is the same frame with the cache thrown away: the pixels shown must equal it."""
from __future__ import annotations

import numpy as np
import pygame
import pytest

from latentwalk.scenes.explorer.core.commands import AddControlPoint, Highlight, Orbit, SetPointStyle, SetWalkT
from tests.bundles import make_bundle
from tests.explorer_helpers import open_explorer, empty_pixel, frames, isolated_point, post_motion

SIZE = (400, 300)


@pytest.fixture(scope="module")
def bundle_paths(tmp_path_factory):
    root = tmp_path_factory.mktemp("cache")
    return (make_bundle(root / "four", count=300, classes=4),
            make_bundle(root / "three", count=240, classes=3, seed=1))


@pytest.fixture
def explorer(gl_app, bundle_paths):
    return open_explorer(gl_app, bundle_paths[0], SIZE, warm_frames=3)  # only the 3-d layer on screen


def shown_and_fresh(app, scene) -> tuple[np.ndarray, np.ndarray]:
    """What is on screen, and the same frame drawn afresh into the cache (a first frame after a change
    draws straight into the window; the second, unchanged, fills the cache)."""
    shown = app.capture(include_ui=False)
    scene.invalidate_layer()
    app.capture(include_ui=False)
    return shown, app.capture(include_ui=False)


def settle(app, scene, limit: int = 300) -> None:
    for _ in range(limit):
        if not scene.camera.is_moving:
            return
        frames(app)
    raise AssertionError("the camera never came to rest")


def test_a_pointer_moving_over_empty_space_reuses_the_layer_pixel_for_pixel(explorer):
    app, scene = explorer
    first = empty_pixel(scene)
    post_motion(first)
    frames(app)
    draws, reuses = scene.installed.cloud.draw_calls, scene.layer_cache.reuses
    second = empty_pixel(scene, distance=20.0)
    for pos in (second, first, (first[0] + 3, first[1] + 2)):
        post_motion(pos)
        frames(app)
        assert scene.state.pointer.hovered is None and scene.state.pointer.position == pos
    assert scene.installed.cloud.draw_calls == draws and scene.layer_cache.reuses == reuses + 3
    shown, fresh = shown_and_fresh(app, scene)
    assert scene.installed.cloud.draw_calls == draws + 2  # the fresh captures drew: straight, then into the cache
    assert np.array_equal(shown, fresh)
    assert (shown != shown[0, 0]).any(axis=2).sum() > 300  # the cloud is in it, not a blank window


def test_hovering_a_point_reuses_the_layer_and_draws_the_point_enlarged_over_it(explorer):
    app, scene = explorer
    index, (x, y) = isolated_point(scene)
    post_motion(empty_pixel(scene))
    frames(app, 2)
    before = app.capture(include_ui=False)
    draws, reuses = scene.installed.cloud.draw_calls, scene.layer_cache.reuses
    post_motion((x, y))
    frames(app)
    post_motion((x + 1, y))
    frames(app)
    assert scene.state.pointer.hovered == index
    assert scene.installed.cloud.draw_calls == draws and scene.layer_cache.reuses == reuses + 2  # the cloud is not redrawn
    shown, fresh = shown_and_fresh(app, scene)
    assert np.array_equal(shown, fresh)
    grown = (shown != before).any(axis=2)
    rows, cols = np.nonzero(grown)
    assert grown.sum() > 4 and abs(rows.mean() - y) < 6 and abs(cols.mean() - x) < 6  # only around the point


def test_a_layer_changing_every_frame_is_drawn_straight_and_kept_once_it_rests(explorer):
    app, scene = explorer
    post_motion(empty_pixel(scene))
    frames(app, 2)
    scene.submit(Orbit(0.5, 0.0))
    draws, reuses = scene.installed.cloud.draw_calls, scene.layer_cache.reuses
    frames(app, 5)  # turning: every frame draws the cloud, none keeps or reuses a layer
    assert scene.camera.is_moving and scene.installed.cloud.draw_calls == draws + 5 and scene.layer_cache.reuses == reuses
    assert scene.layer_cache.key is None
    settle(app, scene)
    frames(app, 3)  # at rest: one more draw fills the cache, then it is reused
    assert scene.layer_cache.key is not None and scene.layer_cache.reuses >= reuses + 1
    scene.invalidate_layer()
    straight = app.capture(include_ui=False)
    cached = app.capture(include_ui=False)
    assert (straight != cached).any(axis=2).mean() < 0.001  # the two paths draw the same picture


def change_camera_rotate(app, scene):
    scene.submit(Orbit(0.4, 0.1))


def change_camera_zoom(app, scene):
    pygame.event.post(pygame.event.Event(pygame.MOUSEWHEEL, x=0, y=2, flipped=False, precise_x=0.0,
                                         precise_y=2.0, touch=False))


def change_highlight(app, scene):
    scene.submit(Highlight((0,)))


def change_point_size(app, scene):
    scene.submit(SetPointStyle(point_size=9.0))


def change_walk_control_point(app, scene):
    scene.submit(AddControlPoint(index=0))
    scene.submit(AddControlPoint(index=int(np.flatnonzero(scene.bundle.labels == 2)[0])))


def change_resize(app, scene):
    app.window.resize((360, 320))


def change_model(app, scene):
    assert scene.load_model(str(scene.bundle.path.parent / "three"))


@pytest.mark.parametrize("change", [change_camera_rotate, change_camera_zoom, change_highlight, change_point_size,
                                    change_walk_control_point, change_resize, change_model])
def test_each_change_of_the_3d_view_redraws_the_points(explorer, change):
    app, scene = explorer
    post_motion(empty_pixel(scene))
    frames(app, 2)
    before = app.capture(include_ui=False)
    cloud, draws = scene.installed.cloud, scene.installed.cloud.draw_calls
    frames(app)
    assert cloud.draw_calls == draws  # nothing changed yet: the layer is reused
    change(app, scene)
    frames(app)
    assert scene.installed.cloud is not cloud or scene.installed.cloud.draw_calls > draws
    settle(app, scene)
    shown, fresh = shown_and_fresh(app, scene)
    assert np.array_equal(shown, fresh)
    assert shown.shape != before.shape or (shown != before).any(axis=2).sum() > 20


def test_moving_the_walk_position_reuses_the_cloud_and_the_marker_follows(explorer):
    """The walk is an overlay: its position moving leaves the cached layer (and the whole cloud) as it is."""
    app, scene = explorer
    scene.submit(AddControlPoint(index=0))
    scene.submit(AddControlPoint(index=int(np.flatnonzero(scene.bundle.labels == 2)[0])))
    frames(app, 2)
    before, draws = app.capture(include_ui=False), scene.installed.cloud.draw_calls
    marker = scene.walk_tools.view.marker_3d.copy()
    scene.submit(SetWalkT(0.7))
    frames(app)
    assert scene.installed.cloud.draw_calls == draws
    assert not np.allclose(scene.walk_tools.view.marker_3d, marker)
    shown, fresh = shown_and_fresh(app, scene)
    assert np.array_equal(shown, fresh) and (shown != before).any(axis=2).sum() > 20


class Unkeyed:
    """An extra renderer without `cache_key`: the scene cannot know what it draws."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, ctx) -> None:
        self.calls += 1


def test_a_renderer_without_a_key_redraws_every_frame_and_close_releases_the_layer(explorer):
    from OpenGL import GL as gl

    app, scene = explorer
    renderer = Unkeyed()
    scene.extra_renderers.append(renderer)
    draws = scene.installed.cloud.draw_calls
    frames(app, 3)
    assert renderer.calls == 3 and scene.installed.cloud.draw_calls == draws + 3
    layer_id = scene.layer_cache.framebuffer.id
    assert gl.glIsFramebuffer(layer_id)
    scene.close()
    assert scene.layer_cache.framebuffer is None and not gl.glIsFramebuffer(layer_id)


def test_the_hovered_point_drawn_over_the_layer_stays_behind_nearer_points(explorer, bundle_paths, monkeypatch):
    """In a dense cloud the enlarged hovered point overlaps its neighbours: nearer ones must still cover
    it, on the cached path and the straight one alike, as when it was drawn inside the cloud's pass."""
    from dataclasses import replace


    app, scene = explorer
    assert scene.load_model(str(make_bundle(bundle_paths[0].parent / "dense", count=3000, classes=4, seed=3)))
    settle(app, scene)
    projection = scene.camera.project(scene.installed.positions, 1.0, scene.viewport)
    width, height = scene.viewport
    inside = ((projection.pixels > 20) & (projection.pixels < (width - 20, height - 20))).all(axis=1)
    hovered_some = 0
    for index in np.flatnonzero(inside)[np.argsort(-projection.depth[inside])][:40]:  # far points first
        post_motion(tuple(int(v) for v in projection.pixels[index]))
        frames(app, 3)
        if scene.state.pointer.hovered is None:
            continue
        hovered_some += 1
        for cached in (True, False):
            if not cached:
                scene.invalidate_layer()
            shown = app.capture(include_ui=False)
            with monkeypatch.context() as patch:  # the reference: enlarged inside the depth-tested pass
                draw = scene.installed.cloud.draw
                patch.setattr(scene.installed.cloud, "draw", lambda vp, v, style: draw(vp, v, replace(style, hovered=scene.state.pointer.hovered)))
                patch.setattr(scene.installed.cloud, "draw_hovered", lambda *args: None)
                scene.invalidate_layer()
                reference = app.capture(include_ui=False)
            assert np.abs(shown.astype(int) - reference).max() <= 2, (index, cached)  # rounding only
        if hovered_some >= 3:
            break
    assert hovered_some >= 3
