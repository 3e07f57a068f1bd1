"""Model switching in the background: the Model panel and a dropped folder load without stalling a
frame, a bad bundle leaves the current model and says why, the latest of two quick requests wins.

Loads are held at a gate (a wrapped load_bundle waiting on an Event) so the tests can show that
frames keep being drawn while a load is in progress; every wait is bounded by frames.
"""
from __future__ import annotations

import threading

import pygame
import pytest
from imgui_bundle import imgui
from OpenGL import GL as gl

from latentwalk.scenes.explorer.panels.path import item_center
from latentwalk.scenes.explorer.core.commands import ShowPanels
from tests.bundles import make_bundle
from tests.explorer_helpers import open_explorer, click, frames, frames_until


def frames_idle(app, count: int) -> list[bool]:
    """Which of `count` interactive frames (idle skip on) were drawn."""
    return [app.step_frame(1 / 60, skip_if_idle=True) for _ in range(count)]

SIZE = (480, 360)


@pytest.fixture(scope="module")
def bundles(tmp_path_factory):
    root = tmp_path_factory.mktemp("switch")
    return {"tiny": make_bundle(root / "tiny", count=200, classes=4),
            "five": make_bundle(root / "five", count=150, classes=5, seed=1),
            "wide": make_bundle(root / "wide", count=120, classes=3, dim=5, seed=2)}


class Gate:
    """Holds the background loads of chosen bundles until opened (at most 20 s, so nothing hangs)."""

    def __init__(self) -> None:
        self.opened = threading.Event()
        self.held: set[str] = set()
        self.loaded_on: list[str] = []  # the thread each load ran on

    def open(self) -> None:
        self.opened.set()


@pytest.fixture
def gate(monkeypatch):
    import latentwalk.scenes.explorer.model.model_loader as model_loader

    gate = Gate()
    real = model_loader.load_bundle

    def gated(name_or_path):
        gate.loaded_on.append(threading.current_thread().name)
        if str(name_or_path) in gate.held:
            gate.opened.wait(20.0)
        return real(name_or_path)

    monkeypatch.setattr(model_loader, "load_bundle", gated)
    yield gate
    gate.open()


@pytest.fixture
def explorer(gl_app, bundles):
    app, scene = open_explorer(gl_app, bundles["tiny"], SIZE, data_dir=None)
    installed = []
    scene.model_listeners.append(lambda bundle: installed.append(bundle.path))
    return app, scene, installed


def test_the_model_panel_switches_in_the_background_and_frames_go_on(explorer, bundles, gate):
    app, scene, installed = explorer
    panel = next(p for p in scene.panels if p.title == "Model")
    scene.panels[:] = [panel]
    scene.submit(ShowPanels(True))
    frames(app)
    imgui.set_window_collapsed("Model", False)
    frames(app, 2)
    target = str(bundles["five"])
    gate.held.add(target)
    panel.path_text = target
    old_bundle, old_ids = scene.bundle, scene.installed.cloud.gl_ids()
    generation = scene.decoder.worker.generation
    click(app, item_center(panel.item_rects, "load"))
    assert scene.loader.loading == target
    start, draws, reuses = app.frame_index, scene.installed.cloud.draw_calls, scene.layer_cache.reuses
    frames(app, 10)  # the load is held: the loop must not wait for it
    assert app.frame_index == start + 10
    assert scene.installed.cloud.draw_calls + scene.layer_cache.reuses == draws + reuses + 10  # one cloud per frame
    assert scene.bundle is old_bundle and scene.loader.loading == target and installed == []
    # loading: the model asks the App for frames, with no input and no state version moved
    assert not pygame.event.peek() and app.frames.pending
    assert frames_idle(app, 3) == [True, True, True]

    gate.open()
    assert frames_until(app, lambda: scene.loader.loading is None)
    assert scene.bundle.path == bundles["five"] and installed == [bundles["five"]]
    assert scene.state.model.error is None and scene.installed.cloud.count == 150 and len(scene.installed.class_counts) == 5
    assert scene.decoder.worker.generation == generation + 1
    assert not gl.glIsBuffer(old_ids["position_buffer"]) and not gl.glIsVertexArray(old_ids["vao"])
    assert gate.loaded_on == ["worker-model-loader"]


def test_a_dropped_folder_loads_off_the_main_thread(explorer, bundles, gate):
    app, scene, installed = explorer
    gate.held.add(str(bundles["wide"]))
    pygame.event.post(pygame.event.Event(pygame.DROPFILE, file=str(bundles["wide"]), window=None))
    start = app.frame_index
    frames(app, 5)
    assert app.frame_index == start + 5 and scene.loader.loading == str(bundles["wide"]) and installed == []
    gate.open()
    assert frames_until(app, lambda: installed == [bundles["wide"]])
    assert scene.installed.projection.method == "pca" and scene.installed.positions.shape == (120, 3)
    assert gate.loaded_on == ["worker-model-loader"]


def test_a_bad_bundle_leaves_the_current_one_and_shows_the_error(explorer, tmp_path):
    app, scene, installed = explorer
    bundle, cloud = scene.bundle, scene.installed.cloud
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "model.json").write_text("{not json", encoding="utf-8")
    scene.request_model(str(broken))
    assert frames_until(app, lambda: scene.loader.loading is None, max_frames=200)
    assert scene.bundle is bundle and scene.installed.cloud is cloud and gl.glIsBuffer(cloud.position_buffer.id)
    assert "model.json" in scene.state.model.error and "\n" not in scene.state.model.error and installed == []
    scene.request_model(str(tmp_path / "nowhere"))
    assert scene.state.model.error is None  # a new request clears the old error while it loads
    assert frames_until(app, lambda: scene.loader.loading is None, max_frames=200)
    assert "nowhere" in scene.state.model.error and scene.bundle is bundle
    scene.submit(ShowPanels(True))
    frames(app, 2)  # the Model panel draws the error line
    assert app.running and scene.installed.cloud is cloud


def test_two_quick_switches_end_on_the_latest(explorer, bundles, gate):
    app, scene, installed = explorer
    first, second = str(bundles["five"]), str(bundles["wide"])
    gate.held.add(first)
    scene.request_model(first)
    frames(app, 2)  # the first is loading (held) when the second comes
    scene.request_model(second)
    assert scene.loader.loading == second
    gate.open()
    assert frames_until(app, lambda: scene.loader.loading is None)
    frames(app, 5)  # the first one's late result must not land either
    assert installed == [bundles["wide"]] and scene.bundle.path == bundles["wide"]


def test_a_direct_load_supersedes_a_background_request(explorer, bundles, gate):
    app, scene, installed = explorer
    gate.held.add(str(bundles["five"]))
    scene.request_model(str(bundles["five"]))
    assert scene.load_model(str(bundles["wide"]))  # sessions switch models this way, at once
    assert scene.loader.loading is None
    gate.open()
    frames(app, 10)
    assert scene.loader.wait(20.0)
    frames(app, 2)
    assert installed == [bundles["wide"]] and scene.bundle.path == bundles["wide"]
