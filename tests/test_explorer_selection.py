"""Selection beyond the mouse and undo / redo, driven by posted key events in the real explorer (Xvfb),
with flights timed on the fake clock; and the pure selection maths against brute force."""
from __future__ import annotations

import numpy as np
import pygame
import pytest

from latentwalk.engine.camera import FLIGHT_SECONDS
from latentwalk.scenes.explorer.core import commands as c
from latentwalk.scenes.explorer.view.selection import nearest_in_direction, nearest_neighbours, next_control_point
from tests.bundles import make_bundle
from tests.explorer_helpers import FRAME, frames, key, open_explorer

SIZE = (400, 300)


@pytest.fixture(scope="module")
def bundle_path(tmp_path_factory):
    return make_bundle(tmp_path_factory.mktemp("selection") / "tiny", count=150, classes=5, dim=4)


@pytest.fixture
def explorer(gl_app, bundle_path):
    return open_explorer(gl_app, bundle_path, SIZE)


def press(app, code, mod=0, times=1):
    for _ in range(times):
        key(pygame.KEYDOWN, code, mod=mod)
        key(pygame.KEYUP, code, mod=mod)
        frames(app)


def test_alt_arrows_select_the_nearest_point_on_screen_that_way(explorer):
    app, scene = explorer
    scene.submit(c.Select(0, fly=False))
    frames(app)
    for code, direction in ((pygame.K_RIGHT, (1, 0)), (pygame.K_DOWN, (0, 1)), (pygame.K_LEFT, (-1, 0))):
        start = scene.state.selection.index
        projected = scene.camera.project(scene.installed.positions, 1.0, scene.viewport)
        offsets = projected.pixels - projected.pixels[start]
        press(app, code, pygame.KMOD_ALT)
        chosen = scene.state.selection.index
        assert chosen != start and scene.state.selection.source == "keyboard"
        along = offsets[chosen] @ np.array(direction, float)
        assert along > 0.6 * np.linalg.norm(offsets[chosen])  # it lies that way on screen
        # and no point lying more squarely that way is both nearer and better aligned
        distance = np.linalg.norm(offsets, axis=1)
        cosine = (offsets @ np.array(direction, float)) / np.maximum(distance, 1e-9)
        better = (cosine >= cosine[chosen]) & (distance < distance[chosen]) & projected.visible & (distance > 0.5)
        assert not better.any()
        frames(app, round(FLIGHT_SECONDS / FRAME) + 2)  # the camera flew there


def test_the_camera_flies_to_a_selection_in_a_timed_eased_flight_on_the_fake_clock(explorer):
    app, scene = explorer
    target = scene.installed.positions[40]
    start = scene.camera.current.target.copy()
    scene.submit(c.Select(40, fly=True))
    frames(app)
    assert scene.camera.flight is not None and scene.camera.is_moving
    steps = round(FLIGHT_SECONDS / FRAME)
    frames(app, steps // 2 - 1)
    halfway = scene.camera.current.target
    assert 0.2 < np.linalg.norm(halfway - start) / np.linalg.norm(target - start) < 0.8  # on its way, no jump
    frames(app, steps // 2 + 1)
    np.testing.assert_allclose(scene.camera.current.target, target, atol=1e-6)
    assert scene.camera.flight is None


def test_a_flight_is_interrupted_by_a_drag_and_stays_where_it_was(explorer):
    app, scene = explorer
    scene.submit(c.FlyTo(index=60))
    frames(app, round(FLIGHT_SECONDS / FRAME) // 3)
    scene.submit(c.Pan(20.0, 0.0))
    frames(app)
    assert scene.camera.flight is None
    frames(app, 200)
    assert np.linalg.norm(scene.camera.current.target - scene.installed.positions[60]) > 1e-3


def press_n_from(app, scene, start: int, times: int = 3) -> tuple[list[int], list[int]]:
    """(points N selected, pressed `times` from `start`; the nearest ones by a float64 sort)."""
    latents = scene.bundle.latents.astype(np.float64)
    scene.submit(c.Select(start))
    frames(app)
    order = np.argsort(((latents - latents[start]) ** 2).sum(axis=1), kind="stable")[1:times + 1]
    seen = []
    for _ in range(times):
        press(app, pygame.K_n)
        seen.append(scene.state.selection.index)
    return seen, [int(i) for i in order]


def test_n_walks_the_nearest_neighbours_in_the_full_latent_space_and_shift_n_walks_back(explorer):
    app, scene = explorer
    seen, order = press_n_from(app, scene, 7)
    assert seen == order
    press(app, pygame.K_n, pygame.KMOD_SHIFT)
    assert scene.state.selection.index == order[1]
    press(app, pygame.K_n, pygame.KMOD_SHIFT, times=2)
    press(app, pygame.K_n, pygame.KMOD_SHIFT)
    assert scene.state.selection.index == 7  # back to where the chain started
    assert scene.neighbours.pending is not None  # N started the neighbour index's build


def test_once_the_neighbour_index_is_built_n_asks_it_and_gets_the_same_points(explorer, monkeypatch):
    from latentwalk.scenes.explorer.core import apply

    app, scene = explorer
    scene.neighbours.ensure_index()
    assert scene.neighbours.pending.wait(30) and scene.neighbours.index is not None

    def no_brute_force(*args):
        raise AssertionError("brute force used although the index is built")
    monkeypatch.setattr(apply, "nearest_neighbours", no_brute_force)
    seen, order = press_n_from(app, scene, 42)
    assert seen == order and scene.last_refusal is None


def test_brackets_step_along_the_walk_and_c_adds_the_selection(explorer):
    app, scene = explorer
    for index in (11, 22, 33):
        scene.submit(c.Select(index))
        frames(app)
        press(app, pygame.K_c)
    assert [p.index for p in scene.state.walk.path.points] == [11, 22, 33]
    scene.submit(c.Select(11))
    frames(app)
    visited = []
    for _ in range(3):
        press(app, pygame.K_RIGHTBRACKET)
        visited.append(scene.state.selection.index)
    press(app, pygame.K_LEFTBRACKET)
    assert visited == [22, 33, 33] and scene.state.selection.index == 22  # the walk's end stops it
    scene.submit(c.Select(None))
    frames(app)
    press(app, pygame.K_RIGHTBRACKET)
    assert scene.state.selection.index == 11  # from nowhere: the first control point


def test_ctrl_z_undoes_and_ctrl_shift_z_or_ctrl_y_redo_path_and_highlight_edits(explorer):
    app, scene = explorer
    for command in (c.AddControlPoint(index=1), c.AddControlPoint(index=2), c.SetClosed(True), c.Highlight((3,)),
                    c.RemoveControlPoint(0)):
        scene.submit(command)
    frames(app)
    final = ([p.index for p in scene.state.walk.path.points], scene.state.walk.path.closed, scene.state.highlight.classes)
    assert final == ([2], True, (3,))
    press(app, pygame.K_z, pygame.KMOD_CTRL)
    assert [p.index for p in scene.state.walk.path.points] == [1, 2]
    press(app, pygame.K_z, pygame.KMOD_CTRL)
    assert scene.state.highlight.classes is None and scene.state.walk.path.closed
    press(app, pygame.K_z, pygame.KMOD_CTRL, times=3)
    assert len(scene.state.walk.path) == 0 and not scene.state.walk.path.closed
    press(app, pygame.K_z, pygame.KMOD_CTRL)
    assert scene.last_refusal == "nothing to undo"
    press(app, pygame.K_z, pygame.KMOD_CTRL | pygame.KMOD_SHIFT, times=3)
    press(app, pygame.K_y, pygame.KMOD_CTRL, times=2)
    assert ([p.index for p in scene.state.walk.path.points], scene.state.walk.path.closed, scene.state.highlight.classes) == final
    press(app, pygame.K_z, pygame.KMOD_CTRL)
    scene.submit(c.AddControlPoint(index=9))  # a new edit drops what could be redone
    frames(app)
    press(app, pygame.K_y, pygame.KMOD_CTRL)
    assert [p.index for p in scene.state.walk.path.points] == [1, 2, 9] and scene.last_refusal == "nothing to redo"


def test_a_refused_selection_changes_nothing_and_says_why(explorer):
    app, scene = explorer
    scene.submit(c.Select(3))
    scene.submit(c.Select(10_000))
    scene.submit(c.Select(latent=(1.0, 2.0)))
    frames(app)
    assert scene.state.selection.index == 3 and "2 finite numbers" not in (scene.last_refusal or "")
    assert "is 4 finite numbers, got 2" in scene.last_refusal


# -- the maths, without GL --------------------------------------------------------------------------
def test_nearest_in_direction_against_brute_force():
    rng = np.random.default_rng(1)
    pixels = rng.uniform(0, 500, (300, 2))
    visible = rng.random(300) > 0.1
    origin = pixels[0]
    for direction in ((1, 0), (0, -1), (1, 1), (-3, 1)):
        found = nearest_in_direction(pixels, visible, origin, direction, exclude=0)
        d = np.array(direction, float) / np.linalg.norm(direction)
        best, best_score = None, np.inf
        for i in range(1, 300):
            offset = pixels[i] - origin
            dist = np.linalg.norm(offset)
            cosine = offset @ d / dist
            if visible[i] and dist > 0.5 and cosine >= np.cos(np.radians(50)) and dist * (2 - cosine) < best_score:
                best, best_score = i, dist * (2 - cosine)
        assert found == best
    assert nearest_in_direction(pixels[:1], visible[:1], origin, (1, 0), exclude=0) is None


@pytest.mark.parametrize("dim", [3, 32])
def test_nearest_neighbours_equal_a_brute_force_sort(dim):
    rng = np.random.default_rng(dim)
    latents = rng.normal(size=(500, dim)).astype(np.float32)
    for index in (0, 123, 499):
        distances = ((latents.astype(np.float64) - latents[index]) ** 2).sum(axis=1)
        distances[index] = np.inf
        expected = np.lexsort((np.arange(500), distances))[:10]
        assert list(nearest_neighbours(latents, index, 10)) == list(expected)


def test_next_control_point():
    assert next_control_point([], 3, 1) is None
    assert next_control_point([5, None, 7], 5, 1) == 1
    assert next_control_point([5, None, 7], 7, 1) == 2
    assert next_control_point([5, None, 7], 99, 1) == 0 and next_control_point([5, None, 7], None, -1) == 2


def test_the_selected_point_is_drawn_enlarged_and_the_output_field_selects_by_index(gl_app, bundle_path):
    from tests.explorer_helpers import click_item, empty_pixel, isolated_point, post_motion, type_text

    app, scene = open_explorer(gl_app, bundle_path, (800, 600))
    post_motion(empty_pixel(scene))
    frames(app, 2)
    index, (x, y) = isolated_point(scene)
    before = app.capture(include_ui=False)
    scene.submit(c.Select(index))
    frames(app)
    grown = (app.capture(include_ui=False) != before).any(axis=2)
    rows, cols = np.nonzero(grown)
    assert grown.sum() > 4 and abs(rows.mean() - y) < 6 and abs(cols.mean() - x) < 6  # only around the point

    scene.submit(c.ShowPanels(True))
    frames(app, 3)
    click_item(app, scene.output_panel, "go to")
    type_text(app, "123")
    key(pygame.KEYDOWN, pygame.K_RETURN)
    frames(app, 3)
    assert scene.state.selection.index == 123 and scene.camera.flight is not None
    click_item(app, scene.output_panel, "go to")
    type_text(app, "9999")
    click_item(app, scene.output_panel, "select")
    assert scene.state.selection.index == 123 and "no point 9999" in scene.last_refusal
