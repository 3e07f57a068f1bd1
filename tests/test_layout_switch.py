"""Switching layouts in the explorer (model/layout_tools.py): every point flies to its new place through
the real App.run loop with its idle skip on, a switch during the flight turns back from where the points
are, picking works mid-flight, and the walk is drawn where its latents fall in the layout shown."""
from __future__ import annotations

import numpy as np
import pytest

from latentwalk.scenes.explorer.core.commands import AddControlPoint, SetPointStyle, ShowPanels, SwitchLayout, Zoom
from latentwalk.vae.bundle import load_bundle
from latentwalk.vae.layouts import compute_layout, load_layout, store_layout
from tests.bundles import make_bundle
from tests.explorer_helpers import frames, isolated_point, post_motion
from tests.person import PersonClock, run_as_a_person

SIZE = (400, 300)


@pytest.fixture(scope="module")
def layered(tmp_path_factory):
    """A d = 8 bundle with a second PCA layout, mirrored: every point has another place."""
    path = make_bundle(tmp_path_factory.mktemp("layout_switch") / "d8", count=200, classes=4, dim=8)
    bundle = load_bundle(path)
    positions, maps, entry = compute_layout(bundle.latents, "pca")
    mirrored = {"pca.mean": maps["pca.mean"], "pca.axes": -maps["pca.axes"]}
    store_layout(bundle, "mirrored", -positions, mirrored, entry)
    return path


def open_on_a_person_clock(gl_app, model):
    from latentwalk.scenes.explorer.scene import ExplorerScene

    scene = ExplorerScene(model, device="cpu")
    clock = PersonClock()
    app = clock.app = gl_app(scene, size=SIZE, time_source=clock)
    scene.submit(ShowPanels(False))  # the points, uncovered
    frames(app, 2)
    return app, scene, clock


def test_switching_flies_every_point_to_its_new_place_and_then_rests(gl_app, layered):
    app, scene, clock = open_on_a_person_clock(gl_app, layered)
    start = scene.installed.cloud.host_positions.copy()
    target = load_layout(scene.bundle, "mirrored").positions
    seen = []
    script = [(0.2, lambda: scene.submit(SwitchLayout("mirrored"))),
              (0.7, lambda: seen.append(scene.installed.cloud.host_positions.copy()))]
    shown = run_as_a_person(app, clock, script, rest_until=3.0)

    middle = seen[0]
    moved = np.linalg.norm(middle - start, axis=1).mean()
    left = np.linalg.norm(middle - target, axis=1).mean()
    assert moved > 0.1 * left and left > 0.1 * moved  # half-way: off both ends
    np.testing.assert_allclose(scene.installed.cloud.host_positions, target, atol=1e-6)
    assert not scene.layouts.flying and scene.layouts.current == "mirrored"
    assert shown["skipped"] > 30  # after the flight the loop rests
    # the last frame shown is the settled layout: the same as a fresh full draw of it
    scene.invalidate_layer()
    frames(app, 2, dt=0.0)
    assert np.abs(shown["frame"] - app.capture(include_ui=False).astype(int)).max() <= 2
    assert np.abs(shown["frame"] - shown["frame"][0, 0]).max() > 0  # points on the screen


def test_a_switch_during_the_flight_turns_back_from_where_the_points_are(gl_app, layered):
    app, scene, _ = open_on_a_person_clock(gl_app, layered)
    home = scene.installed.cloud.host_positions.copy()
    scene.submit(SwitchLayout("mirrored"))
    frames(app, 20)
    between = scene.installed.cloud.host_positions.copy()
    scene.submit(SwitchLayout(""))
    frames(app, 1)
    # the way back starts where the points were, not at the mirrored places
    assert np.linalg.norm(scene.installed.cloud.host_positions - between, axis=1).max() < \
        0.5 * np.linalg.norm(between - home, axis=1).max()
    frames(app, 80)
    np.testing.assert_allclose(scene.installed.cloud.host_positions, home, atol=1e-6)


def test_hover_picks_the_point_where_it_is_during_the_flight(gl_app, layered):
    app, scene, _ = open_on_a_person_clock(gl_app, layered)
    scene.submit(SwitchLayout("mirrored"))
    frames(app, 12)  # early on: a mirror's flight squeezes the cloud through its centre half-way
    assert scene.layouts.flying
    index, pixel = isolated_point(scene, clearance=8.0)  # scene.installed.positions is the cloud's host copy: where points are now
    post_motion(pixel)
    frames(app, 1, dt=0.0)  # no fixed step: the points stay put for this pick
    assert scene.state.pointer.hovered == index


def test_the_walk_is_drawn_where_its_latents_fall_in_the_layout_shown(gl_app, layered):
    app, scene, _ = open_on_a_person_clock(gl_app, layered)
    for index in (3, 50, 120):
        scene.submit(AddControlPoint(index=index))
    frames(app, 2)
    scene.state.walk.path.traversal.seek(0.4)
    scene.submit(SwitchLayout("mirrored"))
    frames(app, 90)
    layout = load_layout(scene.bundle, "mirrored")
    view = scene.walk_tools.view
    np.testing.assert_allclose(view.control_points_3d, layout.positions[[3, 50, 120]], atol=1e-4)
    t = scene.state.walk.path.traversal.t
    expected = layout.to_3d(scene.state.walk.path.curve.at(np.array([t])))[0]
    np.testing.assert_allclose(view.marker_3d, expected, atol=1e-4)
    # and it is not where the model's own PCA view would draw it
    assert np.linalg.norm(view.marker_3d + expected) > 1e-3 or np.linalg.norm(expected) < 1e-6


def near(pixels: np.ndarray, polyline_px: np.ndarray, radius: float) -> np.ndarray:
    """Which of `pixels` (x, y) lie within `radius` of the polyline (window pixels)."""
    best = np.full(len(pixels), np.inf)
    for a, b in zip(polyline_px[:-1], polyline_px[1:]):
        ab = b - a
        s = np.clip(((pixels - a) @ ab) / max(ab @ ab, 1e-12), 0.0, 1.0)
        best = np.minimum(best, np.linalg.norm(pixels - (a + s[:, None] * ab), axis=1))
    return best <= radius


def test_the_walk_flies_with_the_points(gl_app, layered):
    """Mid-flight the curve is drawn where its latents are on their way, the same eased part of the way
    as the points: neither where the old layout put it nor where the new one does."""
    from latentwalk.scenes.explorer.walk import curve_view as cv

    app, scene, clock = open_on_a_person_clock(gl_app, layered)
    scene.submit(SetPointStyle(point_size=1.0, show_axes=False, show_grid=False))  # the curve, uncovered
    scene.submit(Zoom(3.0))  # the cloud across the window
    frames(app, 90)
    pixels_now = scene.camera.project(scene.installed.positions, 1.0, scene.viewport).pixels
    # well out on one side, on screen: the mirrored walk is on the other side
    chosen = np.flatnonzero((pixels_now[:, 0] > 0.62 * SIZE[0]) & (pixels_now[:, 0] < 0.9 * SIZE[0]) &
                            (pixels_now[:, 1] > 0.1 * SIZE[1]) & (pixels_now[:, 1] < 0.9 * SIZE[1]))
    assert len(chosen) >= 3
    for index in chosen[np.argsort(pixels_now[chosen, 1])][[0, len(chosen) // 2, -1]]:
        scene.submit(AddControlPoint(index=int(index)))
    frames(app, 2)
    old_places = scene.installed.projection.to_3d
    new_places = load_layout(scene.bundle, "mirrored").to_3d
    start = scene.installed.cloud.host_positions.copy()
    target = load_layout(scene.bundle, "mirrored").positions
    seen = []

    def look():
        seen.append((clock.screen.copy(), scene.installed.cloud.host_positions.copy()))

    run_as_a_person(app, clock, [(0.2, lambda: scene.submit(SwitchLayout("mirrored"))), (0.5, look)],
                    rest_until=0.6)
    screen, places = seen[0]
    moving = np.abs(target - start) > 1e-3
    fraction = float(np.median(((places - start)[moving] / (target - start)[moving])))
    assert 0.1 < fraction < 0.4, fraction  # early in the flight: the mirrored curve is still far from the old one's

    latents = scene.state.walk.path.curve.at(np.linspace(0.0, 1.0, 400))
    old, new = old_places(latents), new_places(latents)

    def on_screen(points):
        return scene.camera.project(points, 1.0, scene.viewport).pixels

    line = np.zeros(screen.shape[:2], bool)
    for colour in (cv.CURVE_COLOR, cv.WALKED_COLOR):
        line |= np.all(np.abs(screen[..., :3] - np.round(np.asarray(colour[:3]) * 255)) <= 3, axis=-1)
    ys, xs = np.nonzero(line)
    pixels = np.c_[xs, ys].astype(float) + 0.5
    assert len(pixels) > 60
    assert near(pixels, on_screen(old + (new - old) * fraction), 4.0).mean() > 0.9
    assert near(pixels, on_screen(new), 4.0).mean() < 0.2
    assert near(pixels, on_screen(old), 4.0).mean() < 0.5


def test_a_scene_opened_on_a_layout_shows_it_from_the_first_frame_without_a_flight(gl_app, layered):
    from latentwalk.scenes.explorer.scene import ExplorerScene

    scene = ExplorerScene(layered, device="cpu", layout="mirrored")
    app = gl_app(scene, size=SIZE)
    scene.submit(ShowPanels(False))
    frames(app, 1)
    target = load_layout(scene.bundle, "mirrored").positions
    np.testing.assert_allclose(scene.installed.cloud.host_positions, target, atol=1e-6)
    assert scene.layouts.current == "mirrored" and not scene.layouts.flying
    frames(app, 1)
    opened = app.capture(include_ui=False).astype(int)
    # the same picture as flying there from the PCA view and landing; not the PCA view's picture
    scene.submit(SwitchLayout(""))
    frames(app, 90)
    pca = app.capture(include_ui=False).astype(int)
    scene.submit(SwitchLayout("mirrored"))
    frames(app, 90)
    scene.invalidate_layer()
    frames(app, 2, dt=0.0)
    assert np.abs(app.capture(include_ui=False).astype(int) - opened).max() <= 2
    assert (np.abs(pca - opened).max(axis=2) > 30).sum() > 20
