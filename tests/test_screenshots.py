"""F12 / Shift+F12 in the explorer (real key events, the tests' window): a PNG of the window with its
panels, or of the 3-d view alone, lands in the screenshot folder, named by time, and a message in the
window says where; a folder that cannot take it gives a one-line message and the loop goes on."""
from __future__ import annotations

import time

import numpy as np
import pygame
import pytest
from PIL import Image

from latentwalk.engine import screenshots
from latentwalk.engine.screenshots import screenshot_folder, screenshot_path
from latentwalk.scenes.explorer.core.commands import ShowPanels
from tests.bundles import make_bundle
from tests.explorer_helpers import frames, key, open_explorer

SIZE = (480, 360)


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def bundle_path(tmp_path_factory):
    return make_bundle(tmp_path_factory.mktemp("shots") / "tiny", count=200, classes=3)


@pytest.fixture
def explorer(gl_app, bundle_path, tmp_path):
    app, scene = open_explorer(gl_app, bundle_path, SIZE, panels=True, data_dir=None)
    scene.screenshots.folder = tmp_path
    scene.screenshots.clock = FakeClock()
    return app, scene


def press(app, mods=0) -> None:
    key(pygame.KEYDOWN, pygame.K_F12, mod=mods)
    key(pygame.KEYUP, pygame.K_F12, mod=mods)
    frames(app, 2)


def saved(folder) -> list:
    return sorted(folder.glob("latentwalk-*.png"), key=lambda p: p.stat().st_mtime_ns)


def test_f12_saves_the_window_with_its_panels_and_shift_f12_without(explorer, tmp_path):
    app, scene = explorer
    press(app)
    [with_ui] = saved(tmp_path)
    assert scene.screenshots.message == f"screenshot saved to {with_ui}" and scene.screenshots.showing_message
    press(app, pygame.KMOD_SHIFT)
    without_ui = [p for p in saved(tmp_path) if p != with_ui]
    assert len(without_ui) == 1
    shown, bare = (np.asarray(Image.open(p).convert("RGB")) for p in (with_ui, without_ui[0]))
    assert shown.shape == bare.shape == (SIZE[1], SIZE[0], 3)
    # the panels cover part of the window in one and not in the other; the 3-d view alone is what a
    # capture without the UI draws now (nothing moved in between)
    assert (np.abs(shown.astype(int) - bare).sum(axis=2) > 60).mean() > 0.05
    np.testing.assert_array_equal(bare, app.capture(include_ui=False))
    assert app.frame_listeners == []  # the one-shot listener is gone


def test_the_message_shows_in_the_window_until_it_times_out(explorer, tmp_path):
    app, scene = explorer
    scene.submit(ShowPanels(False))
    frames(app, 2)
    quiet = app.capture(include_ui=True)
    press(app, pygame.KMOD_SHIFT)
    with_message = app.capture(include_ui=True)
    band = slice(SIZE[1] - 60, SIZE[1])  # the message sits at the bottom centre
    assert np.abs(with_message[band].astype(int) - quiet[band]).sum() > 0
    scene.screenshots.clock.now += screenshots.MESSAGE_SECONDS + 1
    frames(app, 2)
    np.testing.assert_array_equal(app.capture(include_ui=True)[band], quiet[band])


def test_a_missing_folder_is_a_one_line_message_and_the_loop_goes_on(explorer, tmp_path):
    app, scene = explorer
    scene.screenshots.folder = tmp_path / "gone"
    press(app)
    assert scene.screenshots.failed
    assert scene.screenshots.message == f"screenshot not saved: {tmp_path / 'gone'}: screenshot folder does not exist"
    frames(app, 2)
    assert app.frame_listeners == [] and app.running


def test_the_folder_and_the_names(tmp_path, monkeypatch):
    monkeypatch.setenv(screenshots.FOLDER_ENV, str(tmp_path))
    assert screenshot_folder() == tmp_path
    monkeypatch.delenv(screenshots.FOLDER_ENV)
    from platformdirs import user_pictures_dir
    assert screenshot_folder() == type(tmp_path)(user_pictures_dir())
    now = time.mktime((2026, 11, 30, 14, 5, 9, 0, 0, -1))
    first = screenshot_path(tmp_path, now)
    assert first.name == "latentwalk-20261130-140509.png"
    first.write_bytes(b"")
    assert screenshot_path(tmp_path, now).name == "latentwalk-20261130-140509-2.png"


def test_the_usual_pictures_folder_is_made_when_it_does_not_exist_yet(explorer, tmp_path, monkeypatch):
    import platformdirs

    app, scene = explorer
    pictures = tmp_path / "home" / "Pictures"
    monkeypatch.delenv(screenshots.FOLDER_ENV, raising=False)
    monkeypatch.setattr(platformdirs, "user_pictures_dir", lambda: str(pictures))
    scene.screenshots.folder = None
    press(app)
    assert not scene.screenshots.failed and len(saved(pictures)) == 1
