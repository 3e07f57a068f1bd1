"""Panels a newcomer can read: the Path rows' buttons are arrows, a remove cross and "Fly to" (each with a
tooltip, none clipped), the walk's position is written where the slider's handle cannot cover it, and
the steps field is labelled. Real explorer under Xvfb, posted events, pixels read back."""
from __future__ import annotations

import numpy as np
import pytest
from imgui_bundle import imgui

from latentwalk.scenes.explorer.core.commands import AddControlPoint, SetWalkT
from tests.bundles import make_bundle
from tests.explorer_helpers import WALK_SIZE, frames, open_explorer, post_motion, show_only_walk_panels


@pytest.fixture(scope="module")
def bundle_path(tmp_path_factory):
    return make_bundle(tmp_path_factory.mktemp("readable") / "four", count=120, classes=4)


@pytest.fixture
def walk(gl_app, bundle_path):
    app, scene = open_explorer(gl_app, bundle_path, WALK_SIZE, panels=True)
    show_only_walk_panels(scene, scene.walk_tools)
    for index in (3, 9, 17):
        scene.submit(AddControlPoint(index=index))
    frames(app, 4)
    return app, scene


def rect_pixels(image, rect):
    (x0, y0), (x1, y1) = rect
    return image[int(round(y0)):int(round(y1)), int(round(x0)):int(round(x1))].astype(int)


def bright_rows(pixels, threshold=170):
    return np.flatnonzero((pixels.max(axis=2) > threshold).any(axis=1))


def tooltip_shown() -> bool:
    window = imgui.internal.find_window_by_name("##Tooltip_00")
    return window is not None and window.was_active


@pytest.mark.parametrize("name, tip", [("^1", "earlier"), ("v1", "later"), ("x1", "remove"), ("go1", "fly")])
def test_path_row_buttons_explain_themselves_on_hover(walk, name, tip):
    app, scene = walk
    panel = scene.walk_tools.path_panel
    (x0, y0), (x1, y1) = panel.item_rects[name]
    post_motion(((x0 + x1) / 2, (y0 + y1) / 2))
    frames(app, 2)
    assert tooltip_shown(), name


def test_the_fly_to_button_text_is_whole_inside_its_button(walk):
    app, scene = walk
    panel = scene.walk_tools.path_panel
    post_motion((2, 2))
    frames(app, 2)
    image = app.capture(include_ui=True)
    button = rect_pixels(image, panel.item_rects["go0"])
    rows = bright_rows(button)
    assert len(rows) > 4, "the button's text is drawn"
    # a clipped descender would touch the button's bottom edge; a whole glyph leaves the frame below it
    assert rows.max() <= button.shape[0] - 3
    assert rows.min() >= 2


def test_the_walk_position_is_written_clear_of_the_slider_handle(walk):
    app, scene = walk
    scene.submit(SetWalkT(0.5))  # the handle in the middle, where a slider draws its value
    frames(app, 3)
    rects = scene.walk_tools.walk_panel.item_rects
    (vx0, vy0), (vx1, vy1) = rects["t_value"]
    (sx0, sy0), (sx1, sy1) = rects["t"]
    assert vy1 <= sy0 or vx1 <= sx0  # the words are beside the slider, not on it
    image = app.capture(include_ui=True)
    assert len(bright_rows(rect_pixels(image, rects["t_value"]))) > 4  # and drawn
    slider = rect_pixels(image, rects["t"])
    assert not (slider.min(axis=2) > 170).any()  # no white text on the slider for its handle to hide


def test_the_steps_field_is_labelled(walk):
    app, scene = walk
    rects = scene.walk_tools.walk_panel.item_rects
    (lx0, ly0), (lx1, ly1) = rects["steps_label"]
    (fx0, fy0), (fx1, fy1) = rects["steps"]
    assert lx1 <= fx0 and abs((ly0 + ly1) / 2 - (fy0 + fy1) / 2) <= 3  # just left of the field, on its line
    image = app.capture(include_ui=True)
    assert len(bright_rows(rect_pixels(image, rects["steps_label"]), 120)) > 4
