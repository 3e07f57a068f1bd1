"""The window and the UI as a newcomer meets them: fullscreen without a window manager fills the display
(the X server's own size, not SDL's belief), HiDPI drawables, and a TrueType UI font whose scale the
user changes and the next start remembers. Real window under Xvfb, pixels read back."""
from __future__ import annotations

import json
import os

import numpy as np
import pygame
import pytest
from imgui_bundle import imgui
from PIL import Image

from latentwalk.engine.scene import Scene
from tests.conftest import XVFB_SCREEN

CLEAR = (0.2, 0.4, 0.6, 1.0)


class TextScene(Scene):
    """Draws `text` (white, the UI font) at (20, 20) on the foreground list: nothing else."""

    def __init__(self, text: str = "") -> None:
        self.text = text
        self.sizes = []

    def build_ui(self) -> None:
        if self.text:
            imgui.get_foreground_draw_list().add_text(imgui.ImVec2(20, 20), 0xFFFFFFFF, self.text)

    def resize(self, width, height):
        self.sizes.append((width, height))


def key(code, mod=0):
    pygame.event.post(pygame.event.Event(pygame.KEYDOWN, key=code, mod=mod, unicode="", scancode=0))


def test_fullscreen_without_a_window_manager_gives_a_window_of_the_display_size(gl_app, gl_window, tmp_path):
    from latentwalk.engine.window import x11_window_size

    if os.environ.get("DISPLAY") and pygame.display.get_driver() != "x11":
        pytest.fail("this check needs an X server (the test fixtures start Xvfb)")
    scene = TextScene()
    app = gl_app(scene, size=(320, 240), clear_color=CLEAR)
    app.step_frame(0.0)
    display = gl_window.display_size()
    assert x11_window_size() == (320, 240)
    key(pygame.K_F11)
    app.step_frame(0.0)
    try:
        assert gl_window.fullscreen
        # the X server's own window, not what SDL believes: Xvfb has no window manager to obey SDL
        assert x11_window_size() == display
        assert gl_window.framebuffer_size == display == app.framebuffer_size == scene.sizes[-1]
        shot = tmp_path / "full.png"
        app.run(frames=2, screenshot=shot)
        with Image.open(shot) as image:
            assert image.size == display
            pixels = np.asarray(image.convert("RGB"))
        # the whole picture is the clear colour: no undefined memory beyond a smaller real window
        expected = np.rint(np.array(CLEAR[:3]) * 255)
        assert np.abs(pixels.reshape(-1, 3) - expected).max() <= 1
    finally:
        key(pygame.K_F11)
        app.step_frame(0.0)
    assert not gl_window.fullscreen
    assert x11_window_size() == (320, 240) == gl_window.size == app.framebuffer_size


def test_hidpi_framebuffer_is_the_drawable_and_the_ui_lays_out_in_window_coordinates(gl_app, gl_window,
                                                                                      monkeypatch):
    import latentwalk.engine.window as window_module

    app = gl_app(TextScene(), size=(320, 240))
    monkeypatch.setattr(window_module, "drawable_size", lambda: (640, 480))  # a 2x screen's drawable
    assert gl_window.size == (320, 240) and gl_window.framebuffer_size == (640, 480)
    pygame.event.post(pygame.event.Event(pygame.VIDEORESIZE, size=(320, 240), w=320, h=240))
    app.step_frame(0.0)
    assert app.framebuffer_size == (640, 480)
    io = imgui.get_io()
    assert (io.display_size.x, io.display_size.y) == (320, 240)  # the mouse's coordinates
    assert (io.display_framebuffer_scale.x, io.display_framebuffer_scale.y) == (2.0, 2.0)
    monkeypatch.undo()
    pygame.event.post(pygame.event.Event(pygame.VIDEORESIZE, size=(320, 240), w=320, h=240))
    app.step_frame(0.0)
    assert app.framebuffer_size == (320, 240)


def test_a_hidpi_capture_clips_the_ui_as_the_frame_did(gl_app, gl_ui, gl_window, monkeypatch):
    """The ImGui backend scales a frame's clip rects in place when it draws; a capture drawing the
    same UI again must not scale them twice."""
    import latentwalk.engine.window as window_module

    app = gl_app(TextScene("scaled"), size=(320, 240))
    monkeypatch.setattr(gl_ui, "layered", False)  # drawn straight, as a UI that just changed is
    monkeypatch.setattr(window_module, "drawable_size", lambda: (640, 480))
    pygame.event.post(pygame.event.Event(pygame.VIDEORESIZE, size=(320, 240), w=320, h=240))
    app.step_frame(0.0)
    seen = []
    render = gl_ui.renderer.render

    def spying_render(draw_data):
        seen.append(max(cmd.clip_rect[2] for cl in draw_data.cmd_lists for cmd in cl.cmd_buffer))
        render(draw_data)
    monkeypatch.setattr(gl_ui.renderer, "render", spying_render)
    app.step_frame(0.0)
    app.capture(include_ui=True)
    assert seen[0] == seen[1] <= 320.5  # window coordinates both times, scaled by the backend alone
    monkeypatch.undo()
    pygame.event.post(pygame.event.Event(pygame.VIDEORESIZE, size=(320, 240), w=320, h=240))
    app.step_frame(0.0)


def text_box(app) -> tuple[int, np.ndarray]:
    """Height in pixels of the drawn text and the grey levels its pixels take."""
    app.step_frame(1 / 60)
    app.step_frame(1 / 60)  # a dynamic font atlas may bake glyphs a frame late
    image = app.capture(include_ui=True).max(axis=2)
    rows = np.flatnonzero((image > 40).any(axis=1))
    return int(rows.max() - rows.min() + 1), np.unique(image[image > 0])


def test_ui_text_is_an_antialiased_truetype_font_that_scales_crisply(gl_app, gl_ui):
    assert "Roboto" in imgui.get_io().font_default.get_debug_name()
    app = gl_app(TextScene("Hgjq"), size=(320, 240), clear_color=(0, 0, 0, 1))
    try:
        height_1, levels = text_box(app)
        # an outline font rasterised with anti-aliasing: many grey levels (a bitmap font has two)
        assert len(levels) > 20
        gl_ui.set_user_scale(2.0)
        height_2, _ = text_box(app)
        assert height_2 == pytest.approx(2 * height_1, rel=0.15)
    finally:
        gl_ui.set_user_scale(1.0)
def test_ctrl_plus_and_minus_change_the_ui_scale_and_the_next_start_remembers(gl_app, gl_ui):
    from latentwalk.engine.ui import Ui

    app = gl_app(TextScene("Hg"), size=(320, 240), clear_color=(0, 0, 0, 1))
    try:
        height_1, _ = text_box(app)
        for _ in range(3):
            key(pygame.K_EQUALS, pygame.KMOD_CTRL)
            app.step_frame(1 / 60)
        assert gl_ui.user_scale == pytest.approx(1.3)
        assert imgui.get_style().font_scale_main == pytest.approx(1.3)
        assert json.loads(gl_ui.settings_path.read_text())["ui_scale"] == pytest.approx(1.3)
        assert text_box(app)[0] > height_1
        restarted = Ui.__new__(Ui)  # what the next start reads, without a second ImGui context
        restarted.settings_path = gl_ui.settings_path
        assert restarted._load_user_scale() == pytest.approx(1.3)
        key(pygame.K_MINUS, pygame.KMOD_CTRL)
        app.step_frame(1 / 60)
        assert gl_ui.user_scale == pytest.approx(1.2)
    finally:
        gl_ui.set_user_scale(1.0)
    assert json.loads(gl_ui.settings_path.read_text())["ui_scale"] == 1.0


def test_run_fullscreen_screenshot_is_exactly_the_display_sized_framebuffer(display, tmp_path):
    import subprocess
    import sys

    out = tmp_path / "full.png"
    result = subprocess.run([sys.executable, "-m", "latentwalk", "run", "--demo", "--fullscreen", "--frames", "10",
                             "--screenshot", str(out)], capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    screen = pygame.display.get_desktop_sizes()[0] if pygame.display.get_init() else XVFB_SCREEN
    with Image.open(out) as image:
        assert image.size == tuple(screen)
        pixels = np.asarray(image.convert("RGB")).astype(int)
    background = pixels[0, 0]
    # the corners far from the drawing are the clear colour: the whole picture was really drawn
    for corner in (pixels[-40:, -40:], pixels[-40:, :40], pixels[:40, -40:]):
        assert np.abs(corner - background).max() <= 2
