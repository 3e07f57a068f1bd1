"""`latentwalk run --kiosk` as a user starts it, under the tests' Xvfb: a bad config refused in one line
before any window (exit 2; a model that does not load, exit 1); 600 frames fullscreen with no panels in the screenshot."""
import os
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from tests.conftest import XVFB_SCREEN
from tests.kiosk_helpers import tiny_bundle  # noqa: F401

# ImGui's default dark style: the title bars of the explorer's panels (inactive, active).
TITLE_BAR_COLOURS = ((10, 10, 10), (41, 74, 122))


def latentwalk(*args, timeout=300):
    """The CLI in a subprocess with a config folder of its own: what it saves (imgui.ini, the UI
    scale) must not change the layout of the tests that run in this process after it."""
    import tempfile

    env = dict(os.environ, PYGAME_HIDE_SUPPORT_PROMPT="1", SDL_AUDIODRIVER="dummy",
               LATENTWALK_CONFIG_DIR=tempfile.mkdtemp(prefix="kiosk-cli-config-"))
    return subprocess.run([sys.executable, "-m", "latentwalk", *args], capture_output=True, text=True,
                          timeout=timeout, env=env)


def title_bar_rows(path) -> int:
    """Rows holding a long run of a panel title bar's colour."""
    pixels = np.asarray(Image.open(path).convert("RGB")).astype(int)
    rows = 0
    for colour in TITLE_BAR_COLOURS:
        match = np.all(pixels == colour, axis=2)
        rows += int(np.sum(match.sum(axis=1) >= 60))
    return rows


def test_a_bad_config_is_refused_in_one_line_naming_file_and_key(tmp_path):
    config = tmp_path / "kiosk.toml"
    config.write_text("idle_timeout = -1\n")
    result = latentwalk("run", "--kiosk", "--config", str(config), "--frames", "5", timeout=60)
    assert result.returncode == 2  # a config that cannot be used is a usage error
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and str(config) in lines[0] and "idle_timeout" in lines[0] and "> 0" in lines[0]
    config.write_text('[bindings]\n"pad:a" = "play_wlk"\n')
    result = latentwalk("run", "--kiosk", "--config", str(config), "--frames", "5", timeout=60)
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2 and len(lines) == 1
    assert f"{config}: bindings.'pad:a': unknown action 'play_wlk' (valid: " in lines[0] and "play_walk" in lines[0]
    result = latentwalk("run", "--config", str(config), "--frames", "5", timeout=60)
    assert result.returncode == 2 and "--kiosk" in result.stderr  # a usage error
    config.write_text(f'model = "{tmp_path / "no-such-bundle"}"\n')
    result = latentwalk("run", "--kiosk", "--config", str(config), "--frames", "5", timeout=60)
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 1 and len(lines) == 1 and f"{config}: model: " in lines[0]


@pytest.mark.usefixtures("display")
def test_kiosk_runs_600_frames_fullscreen_without_panels(tmp_path, tiny_bundle):
    config = tmp_path / "kiosk.toml"
    config.write_text(f'model = "{tiny_bundle}"\n[tour]\nseed = 3\n')
    shot, plain = tmp_path / "k.png", tmp_path / "plain.png"
    result = latentwalk("run", "--kiosk", "--config", str(config), "--frames", "600", "--screenshot", str(shot),
                        "--no-vsync")
    assert result.returncode == 0, result.stderr
    image = Image.open(shot)
    assert image.size == XVFB_SCREEN  # fullscreen
    assert title_bar_rows(shot) == 0
    assert np.asarray(image).std() > 5  # something is drawn: points, the tour's image
    # the same check finds the panels of a normal run
    result = latentwalk("run", "--model", str(tiny_bundle), "--frames", "3", "--screenshot", str(plain),
                        "--no-vsync")
    assert result.returncode == 0, result.stderr
    assert title_bar_rows(plain) > 0


def test_the_display_index_is_checked_and_the_window_placed_on_it(display, monkeypatch):
    from pathlib import Path

    from latentwalk.scenes.kiosk.config import KioskConfig, KioskConfigError
    from latentwalk.scenes.kiosk.run import place_on_display

    monkeypatch.delenv("SDL_VIDEO_WINDOW_POS", raising=False)
    with pytest.raises(KioskConfigError) as caught:
        place_on_display(KioskConfig(path=Path("gallery.toml"), display=7))
    assert str(caught.value) == "gallery.toml: display: there is no display 7 (this machine has 1, numbered from 0)"
    place_on_display(KioskConfig(display=0))
    assert os.environ["SDL_VIDEO_WINDOW_POS"] == "0,0"


@pytest.mark.parametrize("given, expected", [(["--model", "mnist"], "mnist"), (["--model", "elsewhere"], "elsewhere"),
                                             ([], "from-config")])
def test_an_explicit_model_wins_over_the_kiosk_config(tmp_path, monkeypatch, given, expected):
    """`--model mnist` is as explicit as any other name: only a --model not given leaves the choice to the
    config. The explorer the kiosk would show is caught before any window opens."""
    from latentwalk.cli import build_parser
    from latentwalk.scenes.explorer import scene as explorer_scene
    from latentwalk.scenes.kiosk.run import run_kiosk

    class Shown(Exception):
        pass

    def explorer(model, **kwargs):
        raise Shown(model)

    config = tmp_path / "kiosk.toml"
    config.write_text(f'model = "{tmp_path / "from-config"}"\n')
    monkeypatch.setattr(explorer_scene, "ExplorerScene", explorer)
    args = build_parser().parse_args(["run", "--kiosk", "--config", str(config), *given])
    with pytest.raises(Shown) as shown:
        run_kiosk(args)
    assert str(shown.value) == (str(tmp_path / "from-config") if expected == "from-config" else expected)
