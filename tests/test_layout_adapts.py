"""The panel layout in small and ordinary windows (tiny bundle, Xvfb, posted events): every panel stays
on screen and reachable (an accordion collapses what cannot fit), the walk strip leaves the columns their
height where it fits between them, and a panel dropped past the window's edge comes back inside."""
from __future__ import annotations

from itertools import combinations

import pygame
import pytest
from imgui_bundle import imgui

from latentwalk.scenes.explorer.core import commands as c
from latentwalk.scenes.explorer.panels.layout import HELP_BUTTON, MARGIN
from tests.bundles import make_bundle
from tests.person import PersonClock, run_as_a_person
from tests.explorer_helpers import frames, frames_until, open_explorer, post_button, post_motion


@pytest.fixture(scope="module")
def bundle_path(tmp_path_factory):
    return make_bundle(tmp_path_factory.mktemp("layout") / "ten", count=300, classes=10)


@pytest.fixture(scope="module")
def cloud_path(tmp_path_factory):
    """Enough points for adaptive detail to draw a subset while the view turns."""
    return make_bundle(tmp_path_factory.mktemp("layout") / "cloud", count=3_000, classes=4)


def as_a_person(app, clock, actions, pause=0.2) -> None:
    """The real loop (App.run, idle skip on) while `actions` happen one by one with a person's pauses
    between them; returns once the loop has rested after the last."""
    run_as_a_person(app, clock, [(pause * (i + 1), act) for i, act in enumerate(actions)],
                    rest_until=pause * (len(actions) + 1))


def with_a_walk(app, scene, count):
    for index in range(count):
        scene.walk_tools.path.add_index(index * 7)
    frames(app, 4)


@pytest.fixture
def restore_collapsed():
    """Puts every panel back open or collapsed as it was first seen: ImGui's windows outlive the test."""
    seen: dict[str, bool] = {}

    def remember(scene):
        for title in scene.panel_layout.shown_rects():
            seen.setdefault(title, bool(imgui.internal.find_window_by_name(title).collapsed))
    yield remember
    for title, collapsed in seen.items():
        imgui.set_window_collapsed(title, collapsed, imgui.Cond_.always)


def open_everything(app, scene):
    """Every panel expanded, as a user clicking each title would leave them."""
    for title in scene.panel_layout.shown_rects():
        if title != HELP_BUTTON:
            imgui.set_window_collapsed(title, False, imgui.Cond_.always)
    frames(app, 12)


def overlapping(a, b):
    return a[0] < b[0] + b[2] and b[0] < a[0] + a[2] and a[1] < b[1] + b[3] and b[1] < a[1] + a[3]


def test_a_small_window_keeps_every_panel_on_screen_by_collapsing_what_cannot_fit(gl_app, bundle_path,
                                                                                   restore_collapsed):
    app, scene = open_explorer(gl_app, bundle_path, (900, 560), panels=True, data_dir=None)
    with_a_walk(app, scene, 4)
    restore_collapsed(scene)
    open_everything(app, scene)
    layout = scene.panel_layout
    rects = layout.shown_rects()
    assert {"Classes", "Model", "Output", "Path", "Session", "Walk", HELP_BUTTON} <= set(rects)
    for title, (x, y, w, h) in rects.items():
        assert x >= 0 and y >= 0 and x + w <= 900 and y + h <= 560, (title, rects[title])
        assert h >= imgui.get_frame_height(), title  # at least its title bar: it can be opened
    for (one, a), (other, b) in combinations(rects.items(), 2):
        assert not overlapping(a, b), (one, a, other, b)
    collapsed = {t for t in rects if imgui.internal.find_window_by_name(t).collapsed}
    assert collapsed, "all opened cannot fit 900x560: the accordion must have closed some"
    assert "Output" not in collapsed  # the image the explorer is about is the last to go
    assert not layout.settling()


def test_at_1280x720_the_walk_sits_between_the_columns_and_a_long_path_does_not_scroll(gl_app, bundle_path,
                                                                                        restore_collapsed):
    app, scene = open_explorer(gl_app, bundle_path, (1280, 720), panels=True, data_dir=None)
    core = {"Classes", "Model", "Output", "Path", "Session", "Walk", "Help"}  # as wide as they are made
    scene.panels[:] = [panel for panel in scene.panels if getattr(panel, "title", "Help") in core]
    with_a_walk(app, scene, 12)
    restore_collapsed(scene)
    imgui.set_window_collapsed("Path", False, imgui.Cond_.always)
    frames(app, 10)
    rects = scene.panel_layout.shown_rects()
    walk, path = rects["Walk"], rects["Path"]
    assert walk[0] + walk[2] <= path[0]  # the strip fits left of the right column...
    path_window = imgui.internal.find_window_by_name("Path")
    assert path_window.scroll_max.y == 0, "twelve control points fit without scrolling"
    left_edge = max(r[0] + r[2] for t, r in rects.items() if r[0] == MARGIN)
    assert walk[0] >= left_edge  # ...and right of the left column, which reaches the bottom too
    assert imgui.internal.find_window_by_name("Classes").scroll_max.y == 0, "ten classes fit"


def test_a_panel_dropped_past_the_edge_comes_back_inside(gl_app, bundle_path, restore_collapsed):
    app, scene = open_explorer(gl_app, bundle_path, (800, 600), panels=True, data_dir=None)
    frames(app, 2)
    restore_collapsed(scene)
    imgui.set_window_collapsed("Session", True, imgui.Cond_.always)
    frames(app, 4)
    x, y, w, h = scene.panel_layout.rect("Session")
    grab = (int(x + 40), int(y + h / 2))
    post_motion(grab)
    frames(app)
    post_button(pygame.MOUSEBUTTONDOWN, grab)
    frames(app)
    for step in range(1, 11):  # 300 px right: most of the panel past the right edge
        post_motion((grab[0] + 30 * step, grab[1]), rel=(30, 0), buttons=(1, 0, 0))
        frames(app)
    post_button(pygame.MOUSEBUTTONUP, (grab[0] + 300, grab[1]))
    frames(app, 4)
    moved = scene.panel_layout.rect("Session")
    assert "Session" in scene.panel_layout.moved  # left where dropped...
    assert moved[0] + moved[2] == pytest.approx(800, abs=1)  # ...but wholly inside the window
    assert moved[1] == pytest.approx(y, abs=2)
    assert moved[0] >= MARGIN


def test_fullscreen_and_back_gives_the_same_layout(gl_app, bundle_path, gl_window):
    app, scene = open_explorer(gl_app, bundle_path, (900, 560), panels=True, data_dir=None)
    with_a_walk(app, scene, 3)
    assert frames_until(app, lambda: scene.output_images.caption.startswith("walk"))  # Output's text sets its width
    frames(app, 8)
    before = dict(scene.panel_layout.shown_rects())
    for _ in range(2):
        key = pygame.event.Event(pygame.KEYDOWN, key=pygame.K_F11, mod=0, unicode="", scancode=0)
        pygame.event.post(key)
        frames(app, 8)
        if gl_window.fullscreen:
            width, height = gl_window.display_size()
            for title, (x, y, w, h) in scene.panel_layout.shown_rects().items():
                assert x + w <= width and y + h <= height, title
    assert not gl_window.fullscreen and app.framebuffer_size == (900, 560)
    after = scene.panel_layout.shown_rects()
    assert set(after) == set(before)
    for title in before:
        assert after[title] == pytest.approx(before[title], abs=1), title


def test_a_click_on_a_collapsed_panels_title_opens_it(gl_app, bundle_path, restore_collapsed):
    from latentwalk.scenes.explorer.core.commands import ShowPanels
    from latentwalk.scenes.explorer.scene import ExplorerScene

    scene = ExplorerScene(bundle_path, device="cpu", data_dir=None)
    clock = PersonClock()
    app = clock.app = gl_app(scene, size=(1280, 720), time_source=clock)
    scene.submit(ShowPanels(True))
    frames(app, 6)
    restore_collapsed(scene)
    layout = scene.panel_layout
    collapsed = [t for t in ("Model", "Neighbours") if imgui.internal.find_window_by_name(t).collapsed]
    assert collapsed, "the layout starts with some panels folded at 1280x720"
    title = collapsed[0]
    x, y, w, h = layout.rect(title)
    on_name = (int(x + 60), int(y + h / 2))  # on the panel's name, well right of ImGui's small arrow
    as_a_person(app, clock, [lambda: post_motion(on_name),
                      lambda: post_button(pygame.MOUSEBUTTONDOWN, on_name),
                      lambda: post_button(pygame.MOUSEBUTTONUP, on_name)])
    assert not imgui.internal.find_window_by_name(title).collapsed
    opened = layout.rect(title)
    assert opened[3] > 3 * h, (title, opened)  # its body is drawn, not just its title bar
    # where it is now: the column may have made room for it above, moving it up
    body = app.capture(include_ui=True)[int(opened[1] + h + 4):int(opened[1] + opened[3] - 4), int(x + 4):int(x + 150)]
    assert (body.max(axis=2) > 150).sum() > 50  # the body's words are on screen


@pytest.mark.parametrize("size", [(1280, 720), (900, 560)])
def test_the_detail_line_stays_clear_of_the_panels(gl_app, cloud_path, restore_collapsed, size):
    app, scene = open_explorer(gl_app, cloud_path, size, panels=True, data_dir=None,
                               detail={"fixed": 300, "min_points": 100})
    assert scene.layer_cache.detail.builder.wait(30) is not None
    with_a_walk(app, scene, 3)
    restore_collapsed(scene)
    open_everything(app, scene)  # the left column reaches the bottom-left corner, where the line was
    for _ in range(3):
        scene.submit(c.Orbit(0.03, 0.0))
        frames(app)
    assert scene.layer_cache.detail.mode == "moving" and scene.detail_hint_text
    line = scene.detail_hint_rect
    assert line is not None, "there is room between the columns at this size"
    rects = scene.panel_layout.shown_rects()
    for title, rect in rects.items():
        assert not overlapping(line, rect), (title, rect, line)
    x, y, w, h = line
    assert 0 <= x and x + w <= size[0] and 0 <= y and y + h <= size[1]
    shown = app.capture(include_ui=True)[int(y):int(y + h), int(x):int(x + w)].astype(int)
    yellowish = (shown[..., 0] > 150) & (shown[..., 1] > 150) & (shown[..., 2] < shown[..., 0] - 40)
    assert yellowish.sum() > 30  # the hint's colour: it is drawn where its rect says
