"""Sessions through the explorer's UI: Ctrl+S / Ctrl+O and the panel's buttons, a round trip of
everything a session holds, a session of another model, and bad files refused with nothing changed."""
from __future__ import annotations

import json

import numpy as np
import pygame
import pytest

from latentwalk.scenes.explorer.core.commands import (AddControlPoint, ClearPath, Highlight, Orbit, ResetView, Select, SetClosed,
                                          SetInterpolation, SetPointStyle, SetWalkMode, SetWalkSpeed, SetWalkSteps,
                                          SetWalkT)
from latentwalk.scenes.explorer.session.session import CameraView
from tests.bundles import make_bundle
from tests.hostile_files import Fifo
from tests.explorer_helpers import open_explorer, WALK_SIZE, click_item, frames, key, show_only_walk_panels


@pytest.fixture(scope="module")
def bundle_path(tmp_path_factory):
    return make_bundle(tmp_path_factory.mktemp("session") / "tiny", count=120, classes=4)


@pytest.fixture
def explorer(gl_app, bundle_path):
    app, scene = open_explorer(gl_app, bundle_path, WALK_SIZE, panels=True)
    return app, scene, scene.walk_tools


def shortcut(app, code):
    key(pygame.KEYDOWN, code, mod=pygame.KMOD_CTRL)
    key(pygame.KEYUP, code, mod=pygame.KMOD_CTRL)
    frames(app, 2)


def state(scene, walk):
    path, camera = walk.path, scene.camera
    return (path.points, path.kind, path.closed, path.steps, path.traversal.t, path.traversal.mode,
            path.traversal.speed, tuple(camera.goal.target), camera.goal.distance, tuple(camera.goal.orientation),
            tuple(scene.state.highlight.as_array()), str(scene.bundle.path), scene.state.selection.index, scene.state.style.point_size,
            scene.state.style.show_grid)


def set_up(app, scene):
    for command in (AddControlPoint(index=3), AddControlPoint(index=40), AddControlPoint(index=7),
                    AddControlPoint(latent=(0.5, -0.25, 1.0)), SetInterpolation("slerp"), SetClosed(True),
                    SetWalkSteps(17), SetWalkMode("ping-pong"), SetWalkSpeed(0.6), SetWalkT(0.35),
                    Orbit(0.4, 0.2), Highlight((0, 2)), Select(9), SetPointStyle(6.5, show_grid=False)):
        scene.submit(command)
    frames(app)


def test_round_trip_by_shortcuts(explorer, tmp_path):
    app, scene, walk = explorer
    set_up(app, scene)
    saved = state(scene, walk)
    walk.session_panel.file = str(tmp_path / "walk.json")
    shortcut(app, pygame.K_s)
    assert (tmp_path / "walk.json").exists() and not walk.session_panel.failed
    data = json.loads((tmp_path / "walk.json").read_text())
    assert data["highlighted_classes"] == [0, 2] and data["control_points"][1] == {"index": 40}

    for command in (ClearPath(), SetInterpolation("linear"), ResetView(animate=False), Highlight(None), Select(None),
                    SetPointStyle(4.0, show_grid=True)):
        scene.submit(command)
    frames(app)
    assert state(scene, walk) != saved
    shortcut(app, pygame.K_o)
    assert not walk.session_panel.failed, walk.session_panel.message
    assert state(scene, walk) == saved and scene.state.selection.source == "session"


def test_buttons_in_the_panel(explorer, tmp_path):
    app, scene, walk = explorer
    show_only_walk_panels(scene, walk)
    walk.path.add_index(1)
    walk.path.add_index(2)
    walk.session_panel.file = str(tmp_path / "by-button.json")
    frames(app, 2)
    click_item(app, walk.session_panel, "save")
    assert (tmp_path / "by-button.json").exists()
    walk.path.remove(0)
    click_item(app, walk.session_panel, "load")
    assert [p.index for p in walk.path.points] == [1, 2]
    assert walk.session_panel.message.startswith("loaded")


@pytest.mark.parametrize("content, message", [
    ("{not json", "not valid JSON"),
    ('{"format": "latentwalk-session", "version": 99}', "unsupported session version 99"),
    ("INDEX_OUT_OF_RANGE", "out of range: the model has 120 points"),
    ("OTHER_MODEL_MISSING", "no-such-model"),
    ("WRONG_WIDTH", "has 2 values, the model's latent space has 3"),
])
def test_bad_files_are_refused_with_one_line_and_change_nothing(explorer, tmp_path, content, message):
    app, scene, walk = explorer
    set_up(app, scene)
    good = walk.path.to_session(str(scene.bundle.path), CameraView())
    from latentwalk.scenes.explorer.session.session import session_to_json
    data = session_to_json(good)
    if content == "INDEX_OUT_OF_RANGE":
        data["control_points"].append({"index": 120})
        content = json.dumps(data)
    elif content == "OTHER_MODEL_MISSING":
        data["model"] = str(tmp_path / "no-such-model")
        content = json.dumps(data)
    elif content == "WRONG_WIDTH":
        data["control_points"].append({"coords": [1.0, 2.0]})
        content = json.dumps(data)
    bad = tmp_path / "bad.json"
    bad.write_text(content)
    before = state(scene, walk)
    walk.session_panel.file = str(bad)
    shortcut(app, pygame.K_o)
    panel = walk.session_panel
    assert panel.failed and message in panel.message and "\n" not in panel.message
    assert str(bad) in panel.message or "no-such-model" in panel.message
    assert state(scene, walk) == before


@pytest.mark.parametrize("kind", ["fifo", "/dev/zero", "too many points"])
def test_special_and_oversized_files_are_refused_before_reading_and_the_loop_runs_on(explorer, tmp_path, kind):
    from latentwalk.scenes.limits import MAX_CONTROL_POINTS

    app, scene, walk = explorer
    set_up(app, scene)
    before = state(scene, walk)
    fifo = None
    if kind == "fifo":
        fifo = Fifo(tmp_path / "walk.json")
        target, message = fifo.path, "is a FIFO, not a session file"
    elif kind == "/dev/zero":
        target, message = "/dev/zero", "is a character device, not a session file"
    else:
        from latentwalk.scenes.explorer.session.session import session_to_json
        data = session_to_json(walk.path.to_session(str(scene.bundle.path), CameraView()))
        data["control_points"] = [{"index": 1}] * (MAX_CONTROL_POINTS + 1)
        target, message = tmp_path / "long.json", f"{MAX_CONTROL_POINTS + 1} control points, more than a walk"
        target.write_text(json.dumps(data))
    walk.session_panel.file = str(target)
    shortcut(app, pygame.K_o)
    panel = walk.session_panel
    assert panel.failed and message in panel.message and "\n" not in panel.message
    assert state(scene, walk) == before
    if fifo is not None:
        assert not fifo.release()  # never opened: the UI thread did not wait on it
    scene.submit(AddControlPoint(index=5))  # the loop runs on
    frames(app)
    assert len(walk.path) == len(before[0]) + 1


@pytest.mark.parametrize("field, value, message", [
    (("camera", "distance"), 10**400, "camera.distance is 1000... (401 digits), out of range"),
    (("curve", "steps"), 10**11, "curve.steps must be <= 1000, got 100000000000"),
], ids=["int-too-large-for-a-float", "steps-past-the-panel-cap"])
@pytest.mark.parametrize("route", ["ctrl+o", "button"])
def test_numbers_the_explorer_cannot_use_are_refused_and_the_loop_runs_on(explorer, tmp_path, field, value,
                                                                           message, route):
    from latentwalk.scenes.explorer.session.session import session_to_json

    app, scene, walk = explorer
    show_only_walk_panels(scene, walk)
    set_up(app, scene)
    data = session_to_json(walk.path.to_session(str(scene.bundle.path), CameraView()))
    data[field[0]][field[1]] = value
    bad = tmp_path / "huge.json"
    bad.write_text(json.dumps(data))
    before = state(scene, walk)
    walk.session_panel.file = str(bad)
    frames(app, 2)
    if route == "ctrl+o":
        shortcut(app, pygame.K_o)
    else:
        click_item(app, walk.session_panel, "load")
    panel = walk.session_panel
    assert panel.failed and panel.message.startswith(f"{bad}: {message}") and "\n" not in panel.message
    assert state(scene, walk) == before
    drawn = app.frame_index
    frames(app, 5)
    assert app.frame_index == drawn + 5 and app.running


def test_a_bundled_model_is_saved_by_name_and_loads_back(gl_app, tmp_path, monkeypatch):
    from latentwalk.scenes.explorer.scene import ExplorerScene

    models = tmp_path / "models"
    make_bundle(models / "tiny", count=50, classes=4)
    monkeypatch.setattr("latentwalk.assets.MODELS_DIR", models)
    scene = ExplorerScene("tiny", device="cpu")
    app = gl_app(scene, size=WALK_SIZE)
    frames(app, 2)
    walk = scene.walk_tools
    walk.path.add_index(4)
    walk.path.add_index(30)
    walk.session_panel.file = str(tmp_path / "bundled.json")
    shortcut(app, pygame.K_s)
    assert json.loads((tmp_path / "bundled.json").read_text())["model"] == "tiny"
    walk.path.clear()
    shortcut(app, pygame.K_o)
    assert not walk.session_panel.failed, walk.session_panel.message
    assert [p.index for p in walk.path.points] == [4, 30] and scene.bundle.path == models / "tiny"


def test_a_session_of_another_model_switches_to_it(explorer, tmp_path):
    app, scene, walk = explorer
    other = make_bundle(tmp_path / "other", count=60, classes=3, seed=1)
    first = str(scene.bundle.path)
    assert scene.load_model(other)
    walk.path.add_index(59)
    walk.path.add_index(10)
    walk.session_panel.file = str(tmp_path / "other.json")
    shortcut(app, pygame.K_s)
    assert scene.load_model(first)
    walk.path.clear()
    shortcut(app, pygame.K_o)
    assert not walk.session_panel.failed, walk.session_panel.message
    assert str(scene.bundle.path) == str(other) and len(scene.bundle.latents) == 60
    assert [p.index for p in walk.path.points] == [59, 10]
