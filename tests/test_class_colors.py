"""A user changes a class's colour: a right-click on its swatch opens a colour picker, and the command
recolours that class's points in the cloud (pixels read back) and the legend, nothing else."""
from __future__ import annotations

import numpy as np
import pygame
import pytest
from imgui_bundle import imgui

from latentwalk.scenes.explorer.core.commands import SetClassColor, ShowPanels
from tests.bundles import make_bundle
from tests.explorer_helpers import frames, isolated_point, open_explorer, post_button, post_motion


@pytest.fixture(scope="module")
def bundle_path(tmp_path_factory):
    return make_bundle(tmp_path_factory.mktemp("colours") / "four", count=120, classes=4)


def test_recolouring_a_class_changes_its_points_and_no_others(gl_app, bundle_path):
    app, scene = open_explorer(gl_app, bundle_path, (480, 360), data_dir=None)
    labels = scene.bundle.labels
    index, (x, y) = isolated_point(scene)
    other = 1 if labels[index] == 0 else 0
    scene.submit(SetClassColor(int(labels[index]), (1.0, 0.0, 1.0)))
    frames(app, 2)
    image = app.capture(include_ui=False).astype(int)
    near = image[y - 1:y + 2, x - 1:x + 2].reshape(-1, 3)
    magenta = (near[:, 0] > 150) & (near[:, 2] > 150) & (near[:, 1] < 80)
    assert magenta.any(), near
    np.testing.assert_allclose(scene.installed.cloud.colors[labels[index]], (1.0, 0.0, 1.0))
    assert tuple(scene.installed.cloud.colors[other]) != (1.0, 0.0, 1.0)
    scene.submit(SetClassColor(int(labels[index]), None))  # back to the palette
    frames(app, 2)
    near = app.capture(include_ui=False).astype(int)[y - 1:y + 2, x - 1:x + 2].reshape(-1, 3)
    assert not ((near[:, 0] > 150) & (near[:, 2] > 150) & (near[:, 1] < 80)).any()
    scene.submit(SetClassColor(9, (0.0, 0.0, 0.0)))  # a class the model does not have
    frames(app)
    assert "out of range" in scene.last_refusal


def test_right_click_on_a_swatch_opens_its_colour_picker(gl_app, bundle_path):
    app, scene = open_explorer(gl_app, bundle_path, (640, 480), panels=True, data_dir=None)
    frames(app, 3)
    classes = scene.panels[0]
    (x0, y0), (x1, y1) = classes.item_rects["swatch2"]
    centre = ((x0 + x1) / 2, (y0 + y1) / 2)
    post_motion(centre)
    frames(app)
    post_button(pygame.MOUSEBUTTONDOWN, centre, button=3)
    frames(app)
    post_button(pygame.MOUSEBUTTONUP, centre, button=3)
    frames(app, 2)
    assert imgui.get_current_context().open_popup_stack.size() == 1
    assert "palette2" in classes.item_rects  # the picker's popup is drawn with its reset button
    app.ui.close_popups()
    scene.submit(ShowPanels(True))
    frames(app, 2)
