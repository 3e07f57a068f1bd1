"""The explorer's wants_redraw under idle redraw: at rest it stops drawing; a moving camera, a hover
image on its way, playback and a model loading keep it drawing until they are done (real GL, Xvfb)."""
from __future__ import annotations

import time

import numpy as np
import pytest

from latentwalk.scenes.explorer.core.commands import AddControlPoint, LoadModel, Orbit, PlayWalk, SetPointStyle, ShowPanels
from tests.bundles import make_bundle
from tests.explorer_helpers import open_explorer, FRAME, front_point, post_motion


@pytest.fixture(scope="module")
def bundle_path(tmp_path_factory):
    return make_bundle(tmp_path_factory.mktemp("idle") / "tiny", count=200, classes=4)


@pytest.fixture
def explorer(gl_app, bundle_path):
    return open_explorer(gl_app, bundle_path, (480, 360), data_dir=None)


def drawn(app, count: int) -> list[bool]:
    """Step `count` interactive frames (a little real time between them for the worker threads)."""
    out = []
    for _ in range(count):
        out.append(app.step_frame(FRAME, skip_if_idle=True))
        time.sleep(0.002)
    return out


def settle(app, max_frames: int = 300) -> None:
    """Step until five frames in a row are skipped (bounded): the explorer went idle."""
    quiet = 0
    for _ in range(max_frames):
        quiet = 0 if app.step_frame(FRAME, skip_if_idle=True) else quiet + 1
        if quiet == 5:
            return
        time.sleep(0.002)
    raise AssertionError(f"still drawing after {max_frames} frames")


def test_at_rest_the_explorer_stops_drawing(explorer):
    app, scene = explorer
    settle(app)
    assert not scene.wants_redraw() and not scene.camera.is_moving
    scene.submit(ShowPanels(True))  # every panel open, with the stats overlay: a change, then rest again
    app.show_stats = True
    assert scene.wants_redraw() and drawn(app, 1) == [True]
    settle(app)


def test_a_moving_camera_keeps_it_drawing_until_it_rests(explorer):
    app, scene = explorer
    settle(app)
    scene.submit(Orbit(0.6, 0.2))  # eased over the next fixed steps
    assert all(drawn(app, 8))
    settle(app)
    assert not scene.camera.is_moving


def test_a_hover_image_arriving_wakes_it_and_then_it_rests(explorer):
    app, scene = explorer
    settle(app)
    index, pixel = front_point(scene)
    post_motion(pixel)
    assert drawn(app, 1) == [True] and scene.state.pointer.hovered == index
    for _ in range(300):  # drawn while the request is in flight and when its image arrives
        if scene.output_images.caption.startswith(f"#{index} "):
            break
        assert drawn(app, 1) == [True]
    assert scene.output_images.caption.startswith(f"#{index} ")
    settle(app)
    assert scene.state.pointer.hovered == index


def test_playback_and_a_model_loading_keep_it_drawing(explorer, bundle_path):
    app, scene = explorer
    settle(app)
    for command in (AddControlPoint(index=0), AddControlPoint(index=1), PlayWalk(True)):
        scene.submit(command)
    assert all(drawn(app, 10))
    scene.submit(PlayWalk(False))
    settle(app)

    scene.submit(LoadModel(str(bundle_path)))
    assert drawn(app, 1) == [True]
    for _ in range(300):
        if scene.loader.loading is None:
            break
        assert drawn(app, 1) == [True]
    assert scene.loader.loading is None and scene.state.model.error is None
    settle(app)


def test_guides_toggled_without_input_wake_it_and_show_at_once(explorer):
    app, scene = explorer
    settle(app)
    before = app.capture(include_ui=False)
    scene.submit(SetPointStyle(show_grid=False))  # as a key binding, a session or a script would, no mouse event
    assert scene.wants_redraw() and drawn(app, 1) == [True]
    after = app.capture(include_ui=False)
    scene.invalidate_layer()
    fresh = app.capture(include_ui=False).astype(int)
    assert (after != before).any(axis=2).sum() > 50 and np.abs(fresh - after).max() <= 2  # the grid is gone
    settle(app)
    app.clear_color = (0.3, 0.1, 0.1, 1.0)  # the background is part of the cached layer too
    assert scene.wants_redraw() and drawn(app, 1) == [True]
    corner = app.capture(include_ui=False)[0, 0]
    assert abs(int(corner[0]) - round(0.3 * 255)) <= 2
