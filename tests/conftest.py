"""Shared fixtures: a private 24-bit Xvfb, the one GL window of the process, and an App factory.

pygame allows one window per process, so the window and the ImGui context are session-wide and
every App made by `gl_app` reuses them. Environment that SDL, pygame and the engine read at
start-up is set at configure time, before any test imports pygame.
"""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

import pytest

XVFB_SCREEN = (1920, 1080)
_xvfb: subprocess.Popen | None = None
_run_temp: str | None = None


def pytest_configure(config) -> None:
    global _run_temp
    os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
    os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
    # Everything a run writes to the temp folder (tmp_path, imgui.ini's config dir, what libraries and
    # subprocesses put under $TMPDIR) goes into one folder that is removed at the end: a run leaves
    # nothing behind. An explicit --basetemp is the user's to keep.
    _run_temp = tempfile.mkdtemp(prefix="latentwalk-tests-")
    os.environ["TMPDIR"] = tempfile.tempdir = _run_temp
    if config.option.basetemp is None:
        config.option.basetemp = os.path.join(_run_temp, "pytest")
    # imgui.ini must never land in the working directory or the user's real config dir.
    os.environ["LATENTWALK_CONFIG_DIR"] = tempfile.mkdtemp(prefix="latentwalk-test-config-")
    os.environ["LATENTWALK_UI_SCALE"] = "1"
    # Sessions default to the documents folder: a temp one here. No autosave: a walk one test leaves
    # would greet the next test's explorer with a restore question (its own test turns it on).
    os.environ["LATENTWALK_DOCUMENTS_DIR"] = os.path.join(_run_temp, "documents")
    os.environ["LATENTWALK_AUTOSAVE"] = "0"
    # A test run started as a background job of a script inherits SIGINT ignored, and every child a
    # test starts would inherit that too: a test of what Cancel's SIGINT does to a child would wait on a
    # child that cannot hear it. Python's own handler, as from a terminal (handled is default after exec).
    if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


def pytest_unconfigure(config) -> None:
    if _run_temp is not None:
        shutil.rmtree(_run_temp, ignore_errors=True)


@pytest.fixture(autouse=True)
def _compat_marks_guard(request):
    """Lets tests.shared_data refuse the shared folder to a test not marked `compat`."""
    import tests.shared_data

    tests.shared_data.running_compat_test = request.node.get_closest_marker("compat") is not None
    yield
    tests.shared_data.running_compat_test = False


@pytest.fixture(scope="session")
def display() -> str:
    """The X display the tests render on: $DISPLAY if set, else a private Xvfb started here."""
    global _xvfb
    from latentwalk.engine.headless import ensure_display

    _xvfb = ensure_display(XVFB_SCREEN)  # exits with pytest
    return os.environ["DISPLAY"]


@pytest.fixture(scope="session")
def gl_window(display):
    """The process's one Window (OpenGL 3.3 core, no vsync so frames do not wait)."""
    from latentwalk.engine.window import Window

    window = Window((320, 240), vsync=False, title="latentwalk tests")
    yield window
    window.close()


@pytest.fixture(scope="session")
def gl_ui(gl_window):
    from latentwalk.engine.ui import Ui

    ui = Ui(scale=1.0)
    yield ui
    ui.shutdown()


@pytest.fixture
def gl_context(gl_window):
    """A current GL context with the default framebuffer bound and a viewport over the window."""
    from OpenGL import GL as gl

    if gl_window.fullscreen:
        gl_window.toggle_fullscreen()
    gl_window.resize((320, 240))
    gl.glBindFramebuffer(gl.GL_FRAMEBUFFER, 0)
    yield gl_window
    assert gl.glGetError() == gl.GL_NO_ERROR


def restore_panels(scene) -> None:
    """ImGui's windows outlive the test: put each panel of `scene` (an explorer, or a scene holding one
    as `explorer`) back open or collapsed as it first appeared."""
    from imgui_bundle import imgui

    scene = getattr(scene, "explorer", scene)
    layout = getattr(scene, "panel_layout", None)
    for title, collapsed in (layout.first_collapsed.items() if layout is not None else ()):
        imgui.set_window_collapsed(title, collapsed, imgui.Cond_.always)


def pytest_collection_modifyitems(session, config, items) -> None:
    """The layout tests check the first layout a fresh explorer gets from ImGui, whose windows outlive
    each test; some tests draw panels alone with the whole window to themselves (the kiosk's walk
    through every text field), which leaves state the teardown's reset does not fully undo. They run
    first, so the order of the other files cannot change what they see."""
    first = [item for item in items if item.nodeid.startswith("tests/test_layout_adapts.py")]
    items[:] = first + [item for item in items if item not in first]


@pytest.fixture
def gl_app(gl_window, gl_ui):
    """A factory `make_app(scene, size=(320, 240), **app_kwargs)` for Apps sharing the one window.

    Apps run on a ManualTimeSource by default (drive time with `app.step_frame(frame_time)`); their
    scenes are closed at the end of the test.
    """
    import pygame
    from latentwalk.engine.app import App
    from latentwalk.engine.clock import ManualTimeSource

    apps = []

    def make_app(scene, size=(320, 240), **kwargs):
        kwargs.setdefault("time_source", ManualTimeSource())
        kwargs.setdefault("vsync", False)
        pygame.event.clear()
        app = App(scene, size=size, window=gl_window, ui=gl_ui, **kwargs)
        app.first_scene = scene
        apps.append(app)
        return app

    yield make_app
    from imgui_bundle import imgui
    for app in apps:
        restore_panels(app.first_scene)
        app.close()
    # Leave no held key (an unreleased Esc would revert the next test's text field), pressed button
    # or hovered window behind for the next test's ImGui.
    pygame.event.clear()
    io = imgui.get_io()
    io.clear_events_queue()
    io.clear_input_keys()
    io.clear_input_mouse()
    io.add_mouse_pos_event(-imgui.FLT_MAX, -imgui.FLT_MAX)


@pytest.fixture
def shader_dir() -> Path:
    """GLSL used only by tests (absolute paths work with Program.from_files)."""
    return Path(__file__).resolve().parent / "glsl"
