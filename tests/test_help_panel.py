"""The Help panel: F1 and the ? button open it, and it lists the bindings in force, read from the App's
binding table (so a key bound at run time shows up); real events, pixels read back under Xvfb."""
from __future__ import annotations

import numpy as np
import pygame
import pytest

from latentwalk.scenes.explorer.panels.help import MOUSE_ROWS
from tests.bundles import make_bundle
from tests.explorer_helpers import click_item, frames, key, open_explorer


@pytest.fixture(scope="module")
def bundle_path(tmp_path_factory):
    return make_bundle(tmp_path_factory.mktemp("help") / "four", count=120, classes=4)


@pytest.fixture
def explorer(gl_app, bundle_path):
    app, scene = open_explorer(gl_app, bundle_path, (900, 640), panels=True, data_dir=None)
    yield app, scene
    scene.help_panel.visible = False


def help_pixels(app, scene):
    x, y, w, h = (int(v) for v in scene.help_panel.rect)
    return app.capture(include_ui=True)[y:y + h, x:x + w]


def test_f1_opens_help_listing_the_bindings_in_force_and_f1_closes_it(explorer):
    app, scene = explorer
    app.bindings.bind("key:ctrl+k", "frobnicate_points")  # what a config might add
    before = app.capture(include_ui=True)
    key(pygame.KEYDOWN, pygame.K_F1)
    frames(app, 3)
    key(pygame.KEYUP, pygame.K_F1)
    help_panel = scene.help_panel
    assert help_panel.visible
    rows = dict(help_panel.rows_shown)
    assert rows["Ctrl+K"] == "frobnicate points"
    assert rows["F1"] == "this help" and rows["Space"] == "play / pause the walk"
    assert rows["Left drag"] == "turn the view" and rows["Tab"] == "hide / show the panels"
    assert rows["Ctrl+Z"] == "undo"
    for mouse, _ in MOUSE_ROWS:
        assert mouse in rows
    # every binding of the table is listed, nothing else besides the mouse's own rows
    assert len(help_panel.rows_shown) == len(app.bindings.describe()) + len(MOUSE_ROWS)
    x, y, w, h = (int(v) for v in help_panel.rect)
    assert w > 200 and h > 200  # a real window, centred
    assert abs((x + w / 2) - 450) <= 2 and abs((y + h / 2) - 320) <= 2
    drawn = help_pixels(app, scene).astype(int)
    assert np.abs(drawn - before[y:y + h, x:x + w]).sum(axis=-1).mean() > 20  # it is on screen
    key(pygame.KEYDOWN, pygame.K_F1)
    frames(app, 2)
    key(pygame.KEYUP, pygame.K_F1)
    assert not help_panel.visible


def test_the_question_mark_button_opens_help_and_esc_closes_it(explorer):
    from latentwalk.scenes.explorer.core.commands import Select

    app, scene = explorer
    scene.submit(Select(4))
    frames(app, 2)
    click_item(app, scene.help_panel, "help")
    assert scene.help_panel.visible
    frames(app, 2)
    assert "Help" in scene.panel_layout.shown_rects()
    key(pygame.KEYDOWN, pygame.K_ESCAPE)
    frames(app, 2)
    key(pygame.KEYUP, pygame.K_ESCAPE)
    frames(app)
    assert not scene.help_panel.visible and app.running
    assert scene.state.selection.index == 4  # that Esc closed the help, nothing else


def test_every_default_pad_and_explorer_binding_is_described_in_words():
    from latentwalk.engine.gamepad import NAVIGATE_PANELS
    from latentwalk.engine.input import Bindings
    from latentwalk.scenes.explorer.input.actions import ACTIONS
    from latentwalk.scenes.kiosk.pad_driver import PAD_DEFAULTS

    actions = {action.lstrip("+-") for action in PAD_DEFAULTS.values()}
    actions |= {action.lstrip("+-") for _, action in Bindings.defaults().describe()}
    assert actions - set(ACTIONS) == set()
    assert all(ACTIONS[name].words for name in actions)
    # the pad enters panel navigation on purpose, and Help says that it is held and how to leave
    assert PAD_DEFAULTS["pad:leftshoulder"] == NAVIGATE_PANELS
    assert "hold" in ACTIONS[NAVIGATE_PANELS].words and "let go" in ACTIONS[NAVIGATE_PANELS].words
