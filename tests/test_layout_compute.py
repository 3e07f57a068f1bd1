"""A layout computed from the explorer's Model panel: `latentwalk project` in a child process, its
progress in the panel, the layout listed when it is stored and flown to when chosen; where layouts of
a bundled or read-only model go (the user data folder); refusals in one line; never from a kiosk."""
from __future__ import annotations

import numpy as np
import pygame
import pytest
from imgui_bundle import imgui

from latentwalk.scenes.explorer.core.commands import ComputeLayout, ShowPanels
from latentwalk.scenes.explorer.panels import item_center
from latentwalk.vae import layouts
from latentwalk.vae.bundle import MODEL_FILE, load_bundle
from tests.bundles import make_bundle
from tests.explorer_helpers import frames, post_button, post_motion
from tests.person import PersonClock, run_as_a_person

SIZE = (640, 480)
OPTIONS = dict(seed=0, neighbors=15, min_dist=0.1, perplexity=30.0)


@pytest.fixture
def user_data(tmp_path, monkeypatch):
    """The user data folder (platformdirs reads XDG_DATA_HOME), for this test alone; children inherit it."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "user-data"))
    return tmp_path / "user-data" / "latentwalk"


@pytest.fixture
def d8(tmp_path, user_data):
    return make_bundle(tmp_path / "d8", count=200, classes=4, dim=8)


def model_panel_on_a_person_clock(gl_app, model):
    from latentwalk.scenes.explorer.scene import ExplorerScene

    scene = ExplorerScene(model, device="cpu")
    clock = PersonClock()
    app = clock.app = gl_app(scene, size=SIZE, time_source=clock)
    panel = next(p for p in scene.panels if p.title == "Model")
    scene.panels[:] = [panel]
    panel.place = (5, 5)
    scene.submit(ShowPanels(True))
    frames(app)
    imgui.set_window_collapsed("Model", False)
    frames(app, 2)
    return app, scene, clock, panel


def clicks(at: float, where) -> list:
    """A person's click at `where()` (a window pixel, looked up when the time comes)."""
    spot = {}

    def move():
        spot["at"] = where()
        post_motion(spot["at"])

    return [(at, move), (at + 0.05, lambda: post_button(pygame.MOUSEBUTTONDOWN, spot["at"])),
            (at + 0.1, lambda: post_button(pygame.MOUSEBUTTONUP, spot["at"]))]


def test_a_layout_computed_in_the_panel_shows_progress_appears_and_can_be_flown_to(gl_app, d8):
    app, scene, clock, panel = model_panel_on_a_person_clock(gl_app, d8)
    panel.method = layouts.METHODS.index("pca")
    frames(app, 2)
    assert "layout progress" not in panel.item_rects
    button_row = panel.item_rects["compute layout"][0][1]
    tools = scene.layouts
    running = []

    def look():
        job = tools.job
        if job is not None and job.running and "layout progress" in panel.item_rects:
            (x0, y0), (x1, y1) = panel.item_rects["layout progress"]
            bar = clock.screen[int(y0):int(y1), int(x0):int(x1), :3]
            running.append((job.fraction, float(bar.std()), y0))

    def child_done():
        assert tools.job is not None, tools.job_message
        assert tools.job.wait(180)

    script = clicks(0.2, lambda: item_center(panel.item_rects, "compute layout"))
    script += [(0.45 + 0.05 * n, look) for n in range(6)]
    script.append((1.0, child_done))
    script += clicks(1.5, lambda: item_center(panel.item_rects, "layout pca"))
    shown = run_as_a_person(app, clock, script, rest_until=4.0)

    assert running, "the progress bar was never on screen while the child ran"
    assert all(std > 2.0 for _, std, _ in running)  # the bar and its words drawn, not an empty patch
    # on the button's row: what lies below it did not move under the pointer that clicked
    assert all(abs(y0 - button_row) <= 2 for _, _, y0 in running)
    assert tools.job is None and not tools.job_failed, tools.job_message
    assert "pca" in tools.available and "pca" in tools.job_message
    assert "layout progress" not in panel.item_rects  # the bar went with the child
    stored = load_layout_now(d8, "pca")
    assert tools.current == "pca" and not tools.flying
    np.testing.assert_allclose(scene.installed.cloud.host_positions, stored, atol=1e-6)
    assert shown["skipped"] > 30  # once all had ended, the loop rested


def test_cancel_stops_the_child_and_stores_nothing(gl_app, d8):
    app, scene, clock, panel = model_panel_on_a_person_clock(gl_app, d8)
    panel.method = layouts.METHODS.index("pca")
    frames(app, 2)
    script = clicks(0.2, lambda: item_center(panel.item_rects, "compute layout"))
    script += clicks(0.5, lambda: item_center(panel.item_rects, "cancel layout"))
    script.append((1.0, lambda: scene.layouts.job is None or scene.layouts.job.wait(60)))
    run_as_a_person(app, clock, script, rest_until=1.5)
    assert scene.layouts.job is None and scene.layouts.job_failed
    assert scene.layouts.job_message == "layout cancelled"
    assert scene.layouts.available == {} and layouts.list_layouts(load_bundle(d8)) == {}


def load_layout_now(path, name):
    return layouts.load_layout(load_bundle(path), name).positions


def test_a_second_layout_of_the_same_method_gets_a_fresh_name(d8):
    bundle = load_bundle(d8)
    positions, maps, entry = layouts.compute_layout(bundle.latents, "pca")
    layouts.store_layout(bundle, "pca", positions, maps, entry)
    layouts.store_layout(bundle, "pca-2", positions, maps, entry)
    assert layouts.fresh_name(bundle, "pca") == "pca-3"
    assert layouts.fresh_name(bundle, "umap") == "umap"


def test_a_bundled_model_keeps_its_layouts_in_the_user_data_folder(d8, user_data, monkeypatch):
    import latentwalk.assets

    monkeypatch.setattr(latentwalk.assets, "MODELS_DIR", d8.parent)  # as if it were shipped in the package
    before = (d8 / MODEL_FILE).read_bytes()
    bundle = load_bundle(d8)
    positions, maps, entry = layouts.compute_layout(bundle.latents, "pca")
    stored = layouts.store_layout(bundle, "pca", positions, maps, entry)
    assert stored.is_relative_to(user_data) and not (d8 / "layouts").exists()
    assert (d8 / MODEL_FILE).read_bytes() == before  # the shipped model untouched
    again = load_bundle(d8)
    assert list(layouts.list_layouts(again)) == ["pca"]
    np.testing.assert_allclose(layouts.load_layout(again, "pca").positions, positions)
    with pytest.raises(layouts.LayoutError, match="already has a layout named 'pca'"):
        layouts.store_layout(again, "pca", positions, maps, entry)
    assert layouts.fresh_name(again, "pca") == "pca-2"


def test_a_layout_that_cannot_be_made_is_refused_in_one_line(gl_app, d8, monkeypatch):
    app, scene, _, panel = model_panel_on_a_person_clock(gl_app, d8)
    scene.submit(ComputeLayout("umap", **{**OPTIONS, "neighbors": 500}))
    frames(app, 2)
    assert scene.layouts.job is None and "--neighbors 500" in scene.last_refusal
    assert "\n" not in scene.last_refusal
    monkeypatch.setattr(layouts, "missing_extra", lambda method: f"--method {method} needs the umap package: "
                                                                  f"{layouts.INSTALL_HINT}")
    scene.submit(ComputeLayout("umap", **OPTIONS))
    frames(app, 2)
    assert scene.layouts.job is None and "latentwalk[layouts]" in scene.last_refusal


def test_a_kiosk_cannot_compute_a_layout():
    from latentwalk.scenes.kiosk import policy

    every = policy.visitor_effects(policy.VISITOR_KINDS)
    assert policy.denied(ComputeLayout("pca", **OPTIONS), every)
    assert policy.denied(ComputeLayout("pca", **OPTIONS), policy.TOUR_EFFECTS)
