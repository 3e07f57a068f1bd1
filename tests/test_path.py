"""WalkPath: editing control points, lazy curve rebuilds, steps, model switches, session round trips."""
import numpy as np
import pytest

from latentwalk.scenes.errors import SceneError
from latentwalk.scenes.explorer.walk.path import WalkPath, parse_coordinates
from latentwalk.scenes.explorer.session.session import CameraView, ControlPoint, load_session, save_session

LATENTS = np.array([[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0], [2.0, 2.0]], dtype=np.float32)


def path_through(*indices, **kwargs) -> WalkPath:
    path = WalkPath(LATENTS, **kwargs)
    for index in indices:
        path.add_index(index)
    return path


def test_no_points_means_no_curve_and_a_valid_traversal():
    path = WalkPath(LATENTS)
    assert path.curve is None and path.current_latent() is None and path.step_latents() is None
    path.traversal.seek(0.7)
    path.traversal.play()
    path.update(0.1)  # nothing to walk: must not throw, t stays put
    assert path.traversal.t == pytest.approx(0.7)


def test_add_insert_remove_and_reorder():
    path = path_through(0, 1, 2)
    assert path.add_coords([5.0, -1.0], position=1) == 1
    assert [p.index for p in path.points] == [0, None, 1, 2]
    assert path.move_up(2) == 1 and [p.index for p in path.points] == [0, 1, None, 2]
    assert path.move_down(3) == 3  # already last: stays
    assert path.move(0, 10) == 3 and [p.index for p in path.points] == [1, None, 2, 0]
    removed = path.remove(1)
    assert removed.coords == (5.0, -1.0) and [p.index for p in path.points] == [1, 2, 0]
    with pytest.raises(SceneError, match="no control point 3"):
        path.remove(3)
    path.clear()
    assert len(path) == 0 and path.curve is None


def test_bad_points_are_refused_and_change_nothing():
    path = path_through(0, 1)
    version = path.version
    for bad in (lambda: path.add_index(5), lambda: path.add_index(-1), lambda: path.add_index(True),
                lambda: path.add_coords([1.0]), lambda: path.add_coords([1.0, np.nan])):
        with pytest.raises(SceneError):
            bad()
    assert len(path) == 2 and path.version == version


def test_curve_rebuilt_only_after_a_change_and_passes_through_the_points():
    path = path_through(0, 1, 2)
    curve = path.curve
    assert path.curve is curve  # lazily kept
    np.testing.assert_allclose(curve.at(curve.control_point_params()), LATENTS[[0, 1, 2]], atol=1e-9)
    path.kind = "linear"
    assert path.curve is not curve and path.curve.kind == "linear"
    assert path.traversal.curve is path.curve
    version = path.version
    path.kind = "linear"  # no change, no rebuild
    assert path.version == version
    with pytest.raises(SceneError, match="unknown curve kind"):
        path.kind = "bezier"


def test_step_latents_follow_steps_and_closed():
    path = path_through(0, 1, 2, steps=11)
    steps = path.step_latents()
    assert steps.shape == (11, 2)
    np.testing.assert_allclose(steps[[0, -1]], LATENTS[[0, 2]])
    path.closed = True
    path.steps = 21
    steps = path.step_latents()
    assert steps.shape == (21, 2)
    np.testing.assert_allclose(steps[-1], LATENTS[0])
    with pytest.raises(SceneError):
        path.steps = 1
    assert path.steps == 21


def test_playback_walks_the_edited_curve():
    path = path_through(0, 1, kind="linear")
    path.traversal.speed = 0.5
    path.traversal.mode = "once"
    path.traversal.play()
    for _ in range(60):
        path.update(1.0 / 120.0)
    np.testing.assert_allclose(path.current_latent(), [0.25, 0.0], atol=1e-9)
    path.add_index(2)  # the next step walks the new, longer curve
    path.update(0.0)
    assert path.traversal.curve is path.curve and path.curve.length == pytest.approx(2.0)


def test_model_switch_keeps_fitting_points_and_clears_the_rest():
    path = path_through(0, 4)
    path.add_coords([0.5, 0.5])
    assert path.set_latents(np.zeros((10, 2))) is True and len(path) == 3
    assert path.set_latents(np.zeros((3, 2))) is False and len(path) == 0  # index 4 no longer exists
    path.add_coords([1.0, 2.0])
    assert path.set_latents(np.zeros((3, 5))) is False and len(path) == 0  # width changed


def test_parse_coordinates():
    assert parse_coordinates(" [0.5, -2 3e-1] ", 3) == (0.5, -2.0, 0.3)
    for text, message in (("", "nothing entered"), ("1, x", "'x' .* not a number"),
                          ("1 inf", "not finite"), ("1 nan", "not finite"), ("1 2 3", "got 3 numbers")):
        with pytest.raises(SceneError, match=message):
            parse_coordinates(text, 2)


def test_session_round_trip_through_a_file(tmp_path):
    path = path_through(3, 1, kind="slerp", closed=True, steps=33)
    path.add_coords([0.25, -0.5])
    walk = path.traversal
    walk.mode, walk.speed = "ping-pong", 0.75
    walk.seek(0.4)
    camera = CameraView(target=(1.0, 2.0, 3.0), distance=4.0, orientation=(1.0, 0.0, 0.0, 0.0), fov_degrees=50.0)
    file = tmp_path / "walk.json"
    save_session(file, path.to_session("mnist", camera, [2, 7]))

    loaded = load_session(file, n_points=len(LATENTS), dim=2, n_classes=10)
    assert loaded.camera == camera and loaded.highlighted_classes == [2, 7] and loaded.model == "mnist"
    other = WalkPath(LATENTS)
    other.apply_session(loaded)
    assert other.points == path.points
    assert (other.kind, other.closed, other.steps) == ("slerp", True, 33)
    assert (other.traversal.mode, other.traversal.speed, other.traversal.t) == ("ping-pong", 0.75, 0.4)
    np.testing.assert_allclose(other.step_latents(), path.step_latents())


def test_apply_session_that_does_not_fit_changes_nothing():
    path = path_through(0, 1)
    session = path.to_session("mnist")
    session.control_points.append(ControlPoint(index=99))
    target = path_through(2, 3)
    before = (target.points, target.version, target.traversal.t)
    with pytest.raises(SceneError, match="control point 2 index 99 is out of range"):
        target.apply_session(session)
    session.control_points[-1] = ControlPoint(coords=(1.0, 2.0, 3.0))
    with pytest.raises(SceneError, match="has 3 coordinates"):
        target.apply_session(session)
    assert (target.points, target.version, target.traversal.t) == before
