"""The App loop with a real window: frame order, fixed updates, resize, fullscreen, capture, CLI."""
import os
import subprocess
import sys

import numpy as np
import pygame
import pytest
from OpenGL import GL as gl
from PIL import Image

from latentwalk.engine.scene import Scene
from tests.conftest import XVFB_SCREEN


class RecordingScene(Scene):
    """Fills the top half red and the bottom half green with scissored clears; records every call."""

    def __init__(self):
        self.calls = []
        self.updates = 0
        self.alphas = []
        self.sizes = []
        self.closed = False

    def start(self, app):
        self.calls.append("start")

    def update(self, dt):
        self.updates += 1
        self.dt = dt

    def render(self, alpha):
        self.alphas.append(alpha)
        self.calls.append("render")
        width, height = self.sizes[-1]
        gl.glEnable(gl.GL_SCISSOR_TEST)
        for y, colour in ((height // 2, (1, 0, 0, 1)), (0, (0, 1, 0, 1))):
            gl.glScissor(0, y, width, height - height // 2)
            gl.glClearColor(*colour)
            gl.glClear(gl.GL_COLOR_BUFFER_BIT)
        gl.glDisable(gl.GL_SCISSOR_TEST)

    def build_ui(self):
        self.calls.append("build_ui")

    def resize(self, width, height):
        self.sizes.append((width, height))

    def close(self):
        self.closed = True


def viewport():
    return tuple(int(v) for v in gl.glGetIntegerv(gl.GL_VIEWPORT))


def test_fixed_updates_and_alpha_follow_frame_times(gl_app):
    scene = RecordingScene()
    app = gl_app(scene)
    for _ in range(10):
        app.step_frame(1.0 / 60.0)
    assert scene.updates == 20 and scene.dt == pytest.approx(1.0 / 120.0)
    app.step_frame(1.0 / 240.0)
    assert scene.updates == 20 and scene.alphas[-1] == pytest.approx(0.5)
    app.step_frame(5.0)  # a stall: clamped to max_frame_time
    assert scene.updates == 20 + 30
    assert all(0.0 <= a < 1.0 for a in scene.alphas)
    assert app.frame_index == 12
    assert scene.calls[:3] == ["start", "render", "build_ui"]
    assert set(app.timings.averages()) == {"update", "render", "ui", "ui_build", "ui_draw", "present", "frame"}
    assert app.timings.last["ui"] == pytest.approx(app.timings.last["ui_build"] + app.timings.last["ui_draw"])


def test_frame_budget_and_screenshot_of_the_window(gl_app, tmp_path):
    scene = RecordingScene()
    app = gl_app(scene, size=(200, 120))
    shot = tmp_path / "shot.png"
    app.run(frames=3, screenshot=shot)
    assert app.frame_index == 3 and scene.calls.count("render") == 3
    image = np.asarray(Image.open(shot).convert("RGB"))
    assert image.shape == (120, 200, 3)
    assert tuple(image[5, 100]) == (255, 0, 0) and tuple(image[115, 100]) == (0, 255, 0)


def test_capture_is_top_down_and_sized_to_the_window(gl_app):
    app = gl_app(RecordingScene(), size=(160, 100))
    app.step_frame(0.0)
    image = app.capture(include_ui=False)
    assert image.shape == (100, 160, 3) and image.dtype == np.uint8
    assert tuple(image[0, 0]) == (255, 0, 0) and tuple(image[-1, -1]) == (0, 255, 0)


def test_resize_updates_viewport_scene_and_capture(gl_app, gl_window):
    scene = RecordingScene()
    app = gl_app(scene, size=(320, 240))
    app.step_frame(0.0)
    # As a window manager would: the window changes size, SDL queues the resize events.
    pygame.display.set_mode((400, 300), pygame.OPENGL | pygame.DOUBLEBUF | pygame.RESIZABLE)
    app.step_frame(0.0)
    assert gl_window.size == (400, 300)
    assert viewport() == (0, 0, 400, 300)
    assert scene.sizes[-1] == (400, 300)
    assert app.capture(include_ui=False).shape == (300, 400, 3)
    # A posted VIDEORESIZE is handled too, and the scene learns the real size, not the event's claim.
    calls = len(scene.sizes)
    pygame.event.post(pygame.event.Event(pygame.VIDEORESIZE, size=(999, 999), w=999, h=999))
    app.step_frame(0.0)
    assert len(scene.sizes) == calls + 1 and scene.sizes[-1] == (400, 300)
    assert viewport() == (0, 0, 400, 300)


def test_fullscreen_toggle_by_f11_and_back(gl_app, gl_window):
    scene = RecordingScene()
    app = gl_app(scene, size=(320, 240))
    app.step_frame(0.0)
    screen = pygame.display.get_desktop_sizes()[0] if os.environ.get("DISPLAY") else XVFB_SCREEN
    pygame.event.post(pygame.event.Event(pygame.KEYDOWN, key=pygame.K_F11, mod=0, unicode="", scancode=0))
    app.step_frame(0.0)
    try:
        assert gl_window.fullscreen
        assert gl_window.size == tuple(screen)
        assert viewport() == (0, 0, *screen)
        assert scene.sizes[-1] == tuple(screen)
        assert app.capture(include_ui=False).shape == (screen[1], screen[0], 3)
    finally:
        gl_window.toggle_fullscreen()
    app.step_frame(0.0)
    assert not gl_window.fullscreen
    assert gl_window.size == (320, 240) and viewport() == (0, 0, 320, 240)
    assert scene.sizes[-1] == (320, 240)


def test_set_scene_closes_the_old_scene_first(gl_app):
    first, second = RecordingScene(), RecordingScene()
    app = gl_app(first)
    app.step_frame(0.0)
    app.set_scene(second)
    assert first.closed and not second.closed
    app.step_frame(0.0)
    assert first.calls.count("render") == 1 and second.calls.count("render") == 1


def test_quit_event_and_quit_key_stop_the_run(gl_app):
    app = gl_app(RecordingScene())
    pygame.event.post(pygame.event.Event(pygame.QUIT))
    app.run(frames=100)
    assert app.frame_index == 1
    pygame.event.post(pygame.event.Event(pygame.KEYDOWN, key=pygame.K_ESCAPE, mod=0, unicode="\x1b", scancode=0))
    app.run(frames=3)  # Esc never quits: it closes a popup or clears a selection
    assert app.frame_index == 4
    pygame.event.post(pygame.event.Event(pygame.KEYDOWN, key=pygame.K_q, mod=pygame.KMOD_CTRL, unicode="", scancode=0))
    app.run(frames=100)
    assert app.frame_index == 5


def test_stats_overlay_toggles_with_f3(gl_app):
    app = gl_app(RecordingScene())
    pygame.event.post(pygame.event.Event(pygame.KEYDOWN, key=pygame.K_F3, mod=0, unicode="", scancode=0))
    app.step_frame(0.0)
    assert app.show_stats
    app.step_frame(0.0)  # ImGui sizes an auto-resizing window on its first frame and shows it on the next
    with_stats = app.capture(include_ui=True)
    without_ui = app.capture(include_ui=False)
    assert (with_stats != without_ui).any(axis=2).sum() > 200  # the overlay's text and background


def _cli(*args, env_update=None, cwd=None):
    env = dict(os.environ)
    env.update(env_update or {})
    return subprocess.run([sys.executable, "-m", "latentwalk", *args], capture_output=True, text=True,
                          env=env, cwd=cwd, timeout=120)


def test_run_command_writes_screenshot_of_window_size(display, tmp_path):
    out = tmp_path / "out.png"
    # --demo: the engine's own scene, so this test does not depend on a trained model being bundled
    result = _cli("run", "--demo", "--frames", "10", "--screenshot", str(out), "--size", "320x200", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    with Image.open(out) as image:
        assert image.size == (320, 200) and image.format == "PNG"
        pixels = np.asarray(image.convert("RGB"))
    assert len(np.unique(pixels.reshape(-1, 3), axis=0)) > 10  # a real drawing, not a blank frame
    assert not (tmp_path / "imgui.ini").exists()  # never the working directory


def test_run_command_rejects_bad_arguments_in_one_line(display, tmp_path):
    bad_size = _cli("run", "--size", "12by7")
    assert bad_size.returncode == 2 and "WIDTHxHEIGHT" in bad_size.stderr
    unwritable = tmp_path / "missing-dir" / "x.png"
    result = _cli("run", "--demo", "--frames", "1", "--screenshot", str(unwritable))
    assert result.returncode == 1
    assert result.stderr.strip().count("\n") == 0 and str(unwritable) in result.stderr


def test_context_pyopengl_cannot_use_is_one_clear_error(tmp_path):
    env = {"DISPLAY": "", "SDL_VIDEODRIVER": "offscreen", "PYOPENGL_PLATFORM": "", "XDG_RUNTIME_DIR": str(tmp_path)}
    result = _cli("run", "--demo", "--frames", "1", env_update=env)
    assert result.returncode == 1
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("latentwalk run: error: ") and "offscreen" in last and "DISPLAY" in last
    assert "Traceback" not in result.stderr


def test_run_paces_to_a_cap_only_when_vsync_is_missing_or_a_cap_is_asked(gl_app, monkeypatch):
    import latentwalk.engine.app as app_module
    from latentwalk.engine.clock import wall_time

    sleeps = []
    monkeypatch.setattr(app_module.time, "sleep", lambda seconds: sleeps.append(seconds))
    monkeypatch.setattr(app_module, "UNSYNCED_FRAME_CAP", 2)  # a period no frame here outlasts
    app = gl_app(Scene(), time_source=wall_time)
    app.window.vsync = False
    assert app.effective_frame_cap() == 2
    app.run(frames=3)
    assert len(sleeps) >= 2 and all(0 < s <= 0.5 for s in sleeps)

    app.window.vsync = True  # the display paces; no sleeping on top of it
    sleeps.clear()
    app.run(frames=3)
    assert app.effective_frame_cap() is None and sleeps == []

    app.frame_cap = 0  # explicitly uncapped, even without vsync
    app.window.vsync = False
    app.run(frames=3)
    assert app.effective_frame_cap() is None and sleeps == []

    app.frame_cap = 1
    app.run(frames=2)
    assert sleeps and all(0 < s <= 1.0 for s in sleeps)
