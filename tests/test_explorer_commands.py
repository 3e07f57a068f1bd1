"""The explorer's command API end to end: commands -> state (versions) -> what the scene shows."""
from __future__ import annotations

import numpy as np
import pytest

from latentwalk.scenes.explorer.core import commands as c
from tests.bundles import make_bundle
from tests.explorer_helpers import frames, open_explorer

SIZE = (320, 240)


@pytest.fixture(scope="module")
def bundle_path(tmp_path_factory):
    return make_bundle(tmp_path_factory.mktemp("commands") / "tiny", count=200, classes=4)


@pytest.fixture
def explorer(gl_app, bundle_path):
    return open_explorer(gl_app, bundle_path, SIZE)


def test_submitted_commands_apply_in_order_at_the_next_update_and_bump_versions(explorer):
    app, scene = explorer
    state = scene.state
    before = state.highlight.version
    scene.submit(c.Highlight((1,)))
    scene.submit(c.AddControlPoint(index=3))
    scene.submit(c.AddControlPoint(index=7))
    assert state.highlight.version == before and len(scene.state.walk.path) == 0  # queued, not applied
    frames(app)
    assert state.highlight.classes == (1,) and state.highlight.version == before + 1
    assert [p.index for p in scene.state.walk.path.points] == [3, 7]
    scene.submit(c.AddControlPoint(index=10_000))
    frames(app)
    assert "10000" in scene.last_refusal and len(scene.state.walk.path) == 2


def test_a_walk_stops_growing_at_the_control_points_a_session_may_hold(explorer, monkeypatch):
    from latentwalk.scenes.explorer.core import apply_edits

    app, scene = explorer
    monkeypatch.setattr(apply_edits, "MAX_CONTROL_POINTS", 3)  # the rule, not 10,000 commands
    for index in (1, 2, 3, 4):
        scene.submit(c.AddControlPoint(index=index))
    frames(app)
    assert [p.index for p in scene.state.walk.path.points] == [1, 2, 3]
    assert scene.last_refusal is not None and "at most 3 control points" in scene.last_refusal


def test_undo_and_redo_step_through_path_and_highlight_edits(explorer):
    app, scene = explorer
    for command in (c.AddControlPoint(index=1), c.AddControlPoint(index=2), c.Highlight((0, 2)), c.ClearPath()):
        scene.submit(command)
    frames(app)
    assert len(scene.state.walk.path) == 0 and scene.state.highlight.classes == (0, 2)
    scene.submit(c.Undo())
    frames(app)
    assert [p.index for p in scene.state.walk.path.points] == [1, 2]
    scene.submit(c.Undo())
    frames(app)
    assert scene.state.highlight.classes is None and len(scene.state.walk.path) == 2
    scene.submit(c.Redo())
    scene.submit(c.Redo())
    frames(app)
    assert len(scene.state.walk.path) == 0 and scene.state.highlight.classes == (0, 2)
    assert np.array_equal(scene.state.highlight.as_array(), [True, False, True, False])


def test_a_session_that_switches_models_leaves_nothing_to_undo_into_the_old_model(explorer, tmp_path):
    from latentwalk.scenes.explorer.session.session import load_session, save_session
    from tests.bundles import make_bundle as make

    app, scene = explorer
    other = make(tmp_path / "other", count=90, classes=3, seed=2)
    first = str(scene.bundle.path)
    assert scene.load_model(other)
    scene.submit(c.AddControlPoint(index=80))
    scene.submit(c.Highlight((2,)))
    frames(app)
    scene.walk_tools.session.save(tmp_path / "other.json")
    assert scene.load_model(first)
    scene.submit(c.Highlight((0, 1, 3)))
    frames(app)
    scene.submit(c.ApplySession(load_session(tmp_path / "other.json")))
    frames(app)
    assert len(scene.bundle.latents) == 90 and scene.state.highlight.classes == (2,)
    scene.submit(c.Undo())
    frames(app)
    assert scene.last_refusal == "nothing to undo" and len(scene.state.highlight.mask) == 3
    assert [p.index for p in scene.state.walk.path.points] == [80]


@pytest.mark.parametrize("bad", ["control point", "selection", "highlight"])
def test_a_session_refused_after_validation_leaves_model_walk_and_camera_as_they_were(explorer, tmp_path, bad):
    """The session fits the model shown (200 points, 4 classes), so a session file naming it would load,
    but it names another model (90 points, 3 classes) that it does not fit."""
    from latentwalk.scenes.explorer.session.session import (CameraView, ControlPoint, Session, StyleSettings,
                                                            model_reference)

    app, scene = explorer
    other = make_bundle(tmp_path / "other", count=90, classes=3, seed=2)
    for command in (c.AddControlPoint(index=3), c.AddControlPoint(index=40), c.Highlight((1,)), c.Orbit(0.4, 0.1)):
        scene.submit(command)
    frames(app, 60)
    state = scene.state
    bundle, installed, model_version = scene.bundle, scene.installed, state.model.version
    points, goal, mask = state.walk.path.points, scene.camera.goal, state.highlight.mask
    session = Session(model=model_reference(other),
                      control_points=[ControlPoint(index=150 if bad == "control point" else 5)],
                      camera=CameraView(target=(1.0, 0.0, 0.0), distance=9.0),
                      highlighted_classes=[3] if bad == "highlight" else [0],
                      selection=ControlPoint(index=120) if bad == "selection" else None, style=StyleSettings())
    scene.submit(c.ApplySession(session))
    frames(app, 5)
    assert isinstance(scene.refused, c.ApplySession), scene.last_refusal
    assert scene.bundle is bundle and scene.installed is installed and state.model.version == model_version
    assert state.walk.path.points == points and state.highlight.mask == mask
    assert scene.camera.goal is goal and not scene.camera.is_moving
    assert len(scene.bundle.latents) == 200 and scene.state.model.error is None
    session.control_points, session.highlighted_classes, session.selection = [ControlPoint(index=5)], [0], None
    scene.submit(c.ApplySession(session))  # the same session, fitting the other model: it switches
    frames(app)
    assert scene.last_refusal is None and len(scene.bundle.latents) == 90
    assert [p.index for p in state.walk.path.points] == [5] and scene.camera.goal.distance == pytest.approx(9.0)
