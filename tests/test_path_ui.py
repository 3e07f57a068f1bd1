"""The Path panel driven by posted pygame events, in a minimal scene of its own (no explorer needed)."""
import numpy as np
import pygame
import pytest

from latentwalk.scenes.explorer.core.commands import FlyTo
from latentwalk.scenes.explorer.panels.path import PathPanel
from tests.explorer_helpers import click, click_item, frames, key, type_text
from tests.explorer_helpers import post_motion as motion
from tests.walk_scene import LATENTS, WalkScene


@pytest.fixture
def path_app(gl_app):
    def make(scene):
        return [PathPanel(scene.state.walk.path, scene.submit, hovered_index=lambda: scene.hovered,
                          describe=lambda i: f"#{i} class {i % 2}", refusal=lambda: (scene.refused, scene.last_refusal))]

    from latentwalk.engine.input import Bindings
    app_bindings = Bindings.defaults()
    scene = WalkScene(make)
    app = gl_app(scene, size=(480, 400), bindings=app_bindings)
    frames(app, 2)
    return app, scene, scene.panels[0]


def test_hovered_point_added_by_key_and_shift_click_not_by_plain_click(path_app):
    app, scene, panel = path_app
    off_panel = (470, 390)
    scene.hovered = 2
    motion(off_panel)
    frames(app)
    for code in (pygame.K_c, pygame.K_INSERT):
        key(pygame.KEYDOWN, code)
        key(pygame.KEYUP, code)
        frames(app)
    assert [p.index for p in scene.state.walk.path.points] == [2, 2]
    scene.hovered = 3
    click(app, off_panel)  # a plain click selects nothing here
    assert len(scene.state.walk.path) == 2
    click(app, off_panel, mods=pygame.KMOD_SHIFT)
    assert [p.index for p in scene.state.walk.path.points] == [2, 2, 3]
    scene.hovered = None
    key(pygame.KEYDOWN, pygame.K_c)
    frames(app)
    assert len(scene.state.walk.path) == 3 and "no point under the cursor" in panel.message


def test_panel_button_adds_hovered_then_list_reorders_deletes_clears_and_jumps(path_app):
    app, scene, panel = path_app
    for index in (0, 1, 2):
        scene.hovered = index
        frames(app)
        click_item(app, panel, "add_hovered")
    assert [p.index for p in scene.state.walk.path.points] == [0, 1, 2]
    click_item(app, panel, "v0")  # move the first down
    assert [p.index for p in scene.state.walk.path.points] == [1, 0, 2]
    click_item(app, panel, "^2")  # the last up
    assert [p.index for p in scene.state.walk.path.points] == [1, 2, 0]
    click_item(app, panel, "x1")  # delete the second
    assert [p.index for p in scene.state.walk.path.points] == [1, 0]
    click_item(app, panel, "go0")
    assert scene.submitted[-1] == FlyTo(index=1)
    assert panel.label(0) == "1. #1 class 1"
    click_item(app, panel, "x1")  # deleting the last row, whose label is drawn after its buttons
    assert [p.index for p in scene.state.walk.path.points] == [1]
    click_item(app, panel, "clear")
    assert len(scene.state.walk.path) == 0
    # typing into the list panel never reached the 3-d view's bindings
    assert "add_hovered_point" not in scene.handled


def test_typed_coordinates_validated(path_app):
    app, scene, panel = path_app
    click_item(app, panel, "coords")
    type_text(app, "0.5, x")
    click_item(app, panel, "add_typed")
    assert len(scene.state.walk.path) == 0 and "'x'" in panel.message and panel.coords_text == "0.5, x"
    panel.coords_text = ""
    click_item(app, panel, "coords")
    type_text(app, "0.5 1e-1 3")
    click_item(app, panel, "add_typed")
    assert len(scene.state.walk.path) == 0 and "got 3 numbers, the latent space has 2" in panel.message
    panel.coords_text = ""
    click_item(app, panel, "coords")
    type_text(app, "0.5, -2")
    key(pygame.KEYDOWN, pygame.K_RETURN)  # Enter adds too
    frames(app, 2)
    assert [p.coords for p in scene.state.walk.path.points] == [(0.5, -2.0)] and panel.message is None
    assert panel.label(0) == "1. (0.5, -2)"


def test_curve_kind_and_closed_from_the_panel(path_app):
    app, scene, panel = path_app
    click_item(app, panel, "closed")
    assert scene.state.walk.path.closed
    version = scene.state.walk.path.version
    click_item(app, panel, "kind")  # opens the combo; its items drop down below it
    (x0, _), (x1, y1) = panel.item_rects["kind"]
    row = y1 - panel.item_rects["kind"][0][1]
    click(app, (int(x0 + 20), int(y1 + 1.5 * row + 4)))  # the second item: linear
    assert scene.state.walk.path.kind == "linear" and scene.state.walk.path.version > version


def test_a_long_walk_builds_only_the_rows_in_view_and_scrolls_to_the_rest(path_app):
    app, scene, panel = path_app
    for index in range(5000):
        scene.state.walk.path.add_index(index % len(LATENTS))
    panel.item_rects.clear()
    frames(app, 2)
    built = sorted(int(name[2:]) for name in panel.item_rects if name.startswith("go"))
    assert built and built[0] == 0 and len(built) < 60  # a window's height of rows, not 5000
    first_view = set(built)
    (x0, y0), (x1, y1) = panel.item_rects["go0"]
    motion((int(x1) + 20, int(y1)))
    for _ in range(20):  # the mouse wheel over the list scrolls it: later rows are built, the first ones not
        pygame.event.post(pygame.event.Event(pygame.MOUSEWHEEL, x=0, y=-5, flipped=False, precise_x=0.0,
                                             precise_y=-5.0, which=0, touch=False))
        frames(app)
    panel.item_rects.clear()
    frames(app, 2)
    # ImGui's clipper always lays out the first row or two to measure a row's height
    scrolled = sorted(int(name[2:]) for name in panel.item_rects if name.startswith("go") and int(name[2:]) > 1)
    assert scrolled and scrolled[0] > max(first_view) and len(scrolled) < 60
    assert panel.label(scrolled[0]).startswith(f"{scrolled[0] + 1}. #")
