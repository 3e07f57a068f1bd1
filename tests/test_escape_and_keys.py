"""Keys a newcomer presses: Esc never quits (it closes an open dropdown, else clears the selection),
Ctrl+Q quits, Space plays and pauses the walk, Ctrl+S works while a text field has the keyboard, and
Ctrl+plus / Ctrl+minus change the UI scale, remembered for the next start. Real posted events."""
from __future__ import annotations

import json

import pygame
import pytest
from imgui_bundle import imgui

from latentwalk.scenes.explorer.core.commands import AddControlPoint, Select
from tests.bundles import make_bundle
from tests.explorer_helpers import (WALK_SIZE, click, click_item, frames, key, open_explorer, show_only_walk_panels,
                                    type_text)


@pytest.fixture(scope="module")
def bundle_path(tmp_path_factory):
    return make_bundle(tmp_path_factory.mktemp("keys") / "four", count=120, classes=4)


@pytest.fixture
def explorer(gl_app, bundle_path):
    app, scene = open_explorer(gl_app, bundle_path, WALK_SIZE, panels=True)
    show_only_walk_panels(scene, scene.walk_tools)
    frames(app, 3)
    return app, scene


def press(app, code, mod=0):
    key(pygame.KEYDOWN, code, mod=mod)
    frames(app)
    key(pygame.KEYUP, code, mod=mod)
    frames(app)


def popup_open() -> bool:
    return imgui.get_current_context().open_popup_stack.size() > 0


def test_esc_closes_an_open_dropdown_then_clears_the_selection_and_never_quits(explorer):
    app, scene = explorer
    for command in (AddControlPoint(index=3), AddControlPoint(index=9), Select(5)):
        scene.submit(command)
    frames(app, 2)
    path_panel = scene.walk_tools.path_panel
    click_item(app, path_panel, "kind")  # the Path panel's curve dropdown opens
    assert popup_open()
    press(app, pygame.K_ESCAPE)
    assert app.running, "Esc with a dropdown open and unsaved control points must not quit"
    assert not popup_open()
    assert scene.state.selection.index == 5  # the Esc went to the dropdown, nothing else
    assert len(scene.walk_tools.path.points) == 2 and scene.walk_tools.path.kind == "catmull-rom"
    press(app, pygame.K_ESCAPE)
    assert app.running and scene.state.selection.index is None
    press(app, pygame.K_q, pygame.KMOD_CTRL)
    assert not app.running


def test_space_plays_and_pauses_the_walk(explorer):
    app, scene = explorer
    for command in (AddControlPoint(index=3), AddControlPoint(index=9)):
        scene.submit(command)
    frames(app, 2)
    press(app, pygame.K_SPACE)
    assert scene.walk_tools.path.traversal.playing
    t = scene.walk_tools.path.traversal.t
    frames(app, 10)
    assert scene.walk_tools.path.traversal.t > t
    press(app, pygame.K_SPACE)
    assert not scene.walk_tools.path.traversal.playing


def test_ctrl_s_saves_while_the_session_path_field_has_the_keyboard(explorer, tmp_path):
    app, scene = explorer
    scene.submit(AddControlPoint(index=3))
    panel = scene.walk_tools.session_panel
    panel.file = ""
    frames(app)
    click_item(app, panel, "file")
    target = str(tmp_path / "typed.json")
    type_text(app, target)
    assert imgui.get_io().want_capture_keyboard and panel.file == target
    press(app, pygame.K_s, pygame.KMOD_CTRL)
    assert (tmp_path / "typed.json").is_file() and not panel.failed
    assert json.loads((tmp_path / "typed.json").read_text())["control_points"] == [{"index": 3}]
    # a plain letter still types into the field: only chords and function keys pass
    type_text(app, "x")
    assert panel.file == target + "x"
    click(app, (WALK_SIZE[0] - 5, WALK_SIZE[1] - 5))
