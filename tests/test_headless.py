"""Choosing a headless GL mode (engine/headless.py): each probe runs in a child process, so these tests
run the chooser in a child too (it sets the environment of the process that calls it)."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RENDER = """
from latentwalk.engine.headless import choose_gl_mode
mode = choose_gl_mode(modes={modes})
from OpenGL import GL as gl
from latentwalk.engine.capture import FrameReader
from latentwalk.engine.window import Window
window = Window((32, 32), vsync=False)
gl.glClearColor(0.0, 1.0, 0.0, 1.0)
gl.glClear(gl.GL_COLOR_BUFFER_BIT)
print(mode.name, tuple(int(v) for v in FrameReader().read_back_buffer((32, 32))[16, 16]))
print(mode.description)
"""


def run_child(code: str, env: dict[str, str], drop=("DISPLAY",)) -> subprocess.CompletedProcess:
    child_env = {k: v for k, v in os.environ.items() if k not in drop}
    child_env.update(env)
    return subprocess.run([sys.executable, "-c", code], env=child_env, capture_output=True, text=True,
                          timeout=120, cwd=ROOT)


def test_without_any_x_server_egl_is_found_and_renders():
    done = run_child(RENDER.format(modes=("display", "egl")), {})
    assert done.returncode == 0, done.stderr
    first, description = done.stdout.strip().splitlines()
    assert first == "egl (0, 255, 0)"
    assert description.startswith("EGL offscreen (no X server): ") and "Core Profile" in description


def test_a_private_xvfb_is_started_when_there_is_no_display():
    done = run_child(RENDER.format(modes=("display", "xvfb")), {})
    assert done.returncode == 0, done.stderr
    first, description = done.stdout.strip().splitlines()
    assert first == "xvfb (0, 255, 0)" and description.startswith("Xvfb :")


def test_when_nothing_works_one_line_says_what_failed_for_each_mode():
    code = ("from latentwalk.engine.headless import choose_gl_mode\n"
            "try:\n    choose_gl_mode()\nexcept Exception as exc:\n    print(type(exc).__name__, exc)\n")
    # no $DISPLAY, no Xvfb on PATH, and libglvnd pointed at an EGL vendor that does not exist
    done = run_child(code, {"PATH": "/nonexistent", "__EGL_VENDOR_LIBRARY_FILENAMES": "/nonexistent.json"})
    lines = done.stdout.strip().splitlines()
    assert len(lines) == 1, done.stdout + done.stderr
    assert lines[0].startswith("ContextError no way to render found: display: $DISPLAY is not set; "
                               "xvfb: Xvfb not found")
    assert "; egl: could not create an OpenGL 3.3 core" in lines[0]


def test_a_mode_can_be_forced_and_a_bad_name_is_refused():
    code = ("from latentwalk.engine.headless import choose_gl_mode\n"
            "try:\n    print(choose_gl_mode().name)\nexcept Exception as exc:\n    print(exc)\n")
    assert run_child(code, {"LATENTWALK_GL_MODE": "egl"}).stdout.strip() == "egl"
    assert run_child(code, {"LATENTWALK_GL_MODE": "wayland"}).stdout.strip() == (
        "LATENTWALK_GL_MODE='wayland': expected one of display, xvfb, egl")


def test_a_scripted_run_with_no_display_finds_a_headless_mode(tmp_path):
    shot = tmp_path / "demo.png"
    done = subprocess.run([sys.executable, "-m", "latentwalk", "run", "--demo", "--frames", "3", "--size", "160x120",
                           "--screenshot", str(shot)], env={k: v for k, v in os.environ.items() if k != "DISPLAY"},
                          capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    import numpy as np
    from PIL import Image
    pixels = np.asarray(Image.open(shot).convert("RGB"))
    assert pixels.shape == (120, 160, 3) and pixels.std() > 1  # the demo scene drawn, not a blank frame
