"""A per-point highlight (HighlightPoints): the points outside a mask are dimmed as a dimmed class is,
on top of the class highlight, with real GL pixels read back; undoable; refused in one line when the
mask does not fit the model."""
from __future__ import annotations

import numpy as np
import pytest

from latentwalk.scenes.explorer.core import commands as c
from tests.bundles import make_bundle
from tests.explorer_helpers import frames, front_point, open_explorer, post_motion

SIZE = (480, 360)
BACKGROUND = np.array([0.08, 0.08, 0.10]) * 255


@pytest.fixture(scope="module")
def bundle_path(tmp_path_factory):
    return make_bundle(tmp_path_factory.mktemp("point_highlight") / "tiny", count=400, classes=4)


@pytest.fixture
def explorer(gl_app, bundle_path):
    return open_explorer(gl_app, bundle_path, SIZE)


def _toward_background(pixel) -> int:
    return int(np.abs(pixel.astype(int) - BACKGROUND).sum())


def test_points_outside_the_mask_are_dimmed_and_undo_brings_them_back(explorer):
    app, scene = explorer
    index, (x, y) = front_point(scene)
    before = app.capture(include_ui=False)[y, x]
    count = len(scene.bundle.labels)
    others = np.flatnonzero(np.arange(count) != index)
    scene.submit(c.HighlightPoints(others, label="all but one"))
    frames(app)
    assert scene.state.highlight.points.label == "all but one" and scene.state.highlight.points.count == count - 1
    dimmed = app.capture(include_ui=False)[y, x]
    assert _toward_background(dimmed) < _toward_background(before) - 30
    mask = np.zeros(count, bool)
    mask[index] = True
    scene.submit(c.HighlightPoints(mask, label="one"))  # a bool mask: the point alone is shown
    frames(app)
    assert np.abs(app.capture(include_ui=False)[y, x].astype(int) - before.astype(int)).sum() <= 3
    scene.submit(c.Undo())
    frames(app)
    assert scene.state.highlight.points.label == "all but one"
    assert _toward_background(app.capture(include_ui=False)[y, x]) < _toward_background(before) - 30
    scene.submit(c.HighlightPoints(None))
    frames(app)
    assert scene.state.highlight.points is None
    assert np.abs(app.capture(include_ui=False)[y, x].astype(int) - before.astype(int)).sum() <= 3


def test_the_point_mask_and_the_class_highlight_both_dim(explorer):
    app, scene = explorer
    index, (x, y) = front_point(scene)
    before = app.capture(include_ui=False)[y, x]
    label = int(scene.bundle.labels[index])
    scene.submit(c.HighlightPoints([index], label="one"))
    frames(app)
    assert np.abs(app.capture(include_ui=False)[y, x].astype(int) - before.astype(int)).sum() <= 3
    scene.submit(c.Highlight(tuple(i for i in range(4) if i != label)))  # its class dimmed: it is too
    frames(app)
    assert _toward_background(app.capture(include_ui=False)[y, x]) < _toward_background(before) - 30


def test_hovering_still_picks_while_points_have_their_own_style(explorer):
    app, scene = explorer
    index, pixel = front_point(scene)
    scene.submit(c.HighlightPoints([index], label="one"))
    frames(app)
    post_motion(pixel)
    frames(app)
    assert scene.state.pointer.hovered == index


@pytest.mark.parametrize("points, words", [
    (np.ones(3, bool), "one bool per point"),
    ([0, 10_000], "indices run from 0 to 399"),
    (np.array([0.5]), "a bool mask or point indices"),
])
def test_a_mask_that_does_not_fit_is_refused_in_one_line(explorer, points, words):
    app, scene = explorer
    scene.submit(c.HighlightPoints(points, label="bad"))
    frames(app)
    assert scene.state.highlight.points is None
    assert words in scene.last_refusal and "\n" not in scene.last_refusal


def test_highlights_in_a_row_with_one_step_key_are_one_undo_step(explorer):
    app, scene = explorer
    for letters in ("a", "an", "anc"):  # as a search typed letter by letter submits them
        scene.submit(c.HighlightPoints([0, len(letters)], label=f"search {letters}", step_key="search"))
    frames(app)
    scene.submit(c.Highlight((0, 1)))  # another edit between: a step of its own
    scene.submit(c.HighlightPoints([5], label="search b", step_key="search"))
    scene.submit(c.HighlightPoints([6], label="search bc", step_key="search"))
    frames(app)
    scene.submit(c.Undo())
    frames(app)
    assert scene.state.highlight.points.label == "search anc" and scene.state.highlight.classes == (0, 1)
    scene.submit(c.Undo())
    frames(app)
    assert scene.state.highlight.points.label == "search anc" and scene.state.highlight.classes is None
    scene.submit(c.Undo())
    frames(app)
    assert scene.state.highlight.points is None
    scene.submit(c.Redo())
    frames(app)
    assert scene.state.highlight.points.label == "search anc"
