"""The kiosk's TOML config: defaults, a full file, and bad files refused in one line naming file and key."""
import re
import textwrap
import tomllib
from pathlib import Path

import pytest

from latentwalk.scenes.kiosk import config as config_module
from latentwalk.scenes.kiosk.config import KioskConfig, KioskConfigError, load_config, parse_config
from latentwalk.scenes.kiosk.policy import bindable_actions

README = Path(__file__).resolve().parents[1] / "README.md"

FULL = '''
model = "mnist"
display = 0
idle_timeout = 12.5
overlay_seconds = 4
exit_chord = "ctrl+alt+k"
inhibit_screensaver = false

[tour]
style = "classes"
speed = 2
points = 4
seconds = 30
orbit_degrees_per_second = 10
seed = 99

[visitors]
may = ["orbit", "zoom"]

[gamepad]
dead_zone = 0.25
exponent = 1.5

[bindings]
"pad:a" = "play_walk"
"key:space" = "add_control_point"
'''


def write(tmp_path, text):
    path = tmp_path / "kiosk.toml"
    path.write_text(text)
    return path


def test_no_file_gives_the_defaults():
    config = load_config(None)
    assert config == KioskConfig()
    assert config.idle_timeout == 60.0 and config.tour.style == "mixed" and "path" in config.visitors_may


def test_a_full_file_is_read(tmp_path):
    config = load_config(write(tmp_path, FULL))
    assert config.idle_timeout == 12.5 and config.overlay_seconds == 4.0 and not config.inhibit_screensaver
    assert (config.tour.style, config.tour.speed, config.tour.points, config.tour.seed) == ("classes", 2.0, 4, 99)
    assert config.visitors_may == ("orbit", "zoom")
    assert config.gamepad.dead_zone == 0.25 and config.gamepad.exponent == 1.5 and config.gamepad.cursor_speed == 0.6
    assert config.bindings == {"pad:a": "play_walk", "key:space": "add_control_point"}
    import pygame
    assert config.exit_key == (pygame.K_k, pygame.KMOD_CTRL | pygame.KMOD_ALT)


@pytest.mark.parametrize("text, key, problem", [
    ("idle_timeout = -3", "idle_timeout", "must be > 0"),
    ("idle_timeout = \"long\"", "idle_timeout", "expected a number"),
    ("display = 1.5", "display", "whole number"),
    ("modle = \"mnist\"", "modle", "unknown key"),
    ("exit_chord = \"q\"", "exit_chord", "needs at least one modifier besides shift"),
    ("exit_chord = \"shift+a\"", "exit_chord", "needs at least one modifier besides shift"),
    ("exit_chord = \"ctrl+banana\"", "exit_chord", "unknown key name"),
    ("[tour]\nstyle = \"spiral\"", "tour.style", "not one of classes, random, mixed"),
    ("[tour]\npoints = 1", "tour.points", "from 2 to 50"),
    ("[tour]\nspeeed = 1", "tour.speeed", "unknown key"),
    ("[visitors]\nmay = [\"quit\"]", "visitors.may", "unknown kind 'quit'"),
    ("[gamepad]\ndead_zone = 0.95", "gamepad.dead_zone", "<= 0.9"),
    ("[bindings]\n\"pad:z\" = \"x\"", "bindings.'pad:z'", "unknown pad input"),
    ("[bindings]\n\"pad:a\" = 3", "bindings.'pad:a'", "expected an action name"),
    ("[bindings]\n\"pad:a\" = \"play_wlk\"", "bindings.'pad:a'", "unknown action 'play_wlk' (valid: "),
    ("[bindings]\n\"key:f12\" = \"save_session\"", "bindings.'key:f12'", "unknown action 'save_session'"),
    ("tour = 3", "tour", "expected a table"),
])
def test_a_bad_value_is_refused_naming_file_key_and_problem(tmp_path, text, key, problem):
    path = write(tmp_path, text)
    with pytest.raises(KioskConfigError) as caught:
        load_config(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: {key}: ") and problem in message and "\n" not in message


def test_unreadable_files_are_refused_in_one_line(tmp_path):
    for path, problem in ((tmp_path / "missing.toml", "no such file"), (tmp_path, "is a folder"),
                          (write(tmp_path, "model = \n"), "not valid TOML")):
        with pytest.raises(KioskConfigError) as caught:
            load_config(path)
        assert str(caught.value).startswith(f"{path}: ") and problem in str(caught.value)
        assert "\n" not in str(caught.value)


def test_an_unknown_action_names_the_valid_ones():
    with pytest.raises(KioskConfigError) as caught:
        parse_config({"bindings": {"pad:a": "play_wlk"}}, "gallery.toml")
    listed = str(caught.value).split("(valid: ")[1]
    assert {"play_walk", "add_control_point", "orbit_yaw", "toggle_panels"} <= set(re.findall(r"[a-z_0-9]+", listed))
    assert "save_session" not in listed and "quit" not in listed.split()  # nothing a visitor may not do


def test_the_example_in_the_config_module_parses_and_binds_real_actions():
    lines = config_module.__doc__[config_module.__doc__.index("An example"):].splitlines()[2:]
    block = "\n".join(line for line in lines[:next(i for i, line in enumerate(lines) if line[:1].isalpha())])
    config = parse_config(tomllib.loads(textwrap.dedent(block)), "config.py's example")
    assert config.bindings and set(config.bindings.values()) <= set(bindable_actions())
    assert config.tour.seed == 7 and "style" in config.visitors_may


def test_the_readme_kiosk_examples_parse():
    """Every binding the README shows (`"input" = "action"`) and any TOML block it has."""
    text = README.read_text()
    snippets = re.findall(r'`("[a-z]+:[^"`]+" = "[^"`]*")`', text)
    blocks = re.findall(r"```toml\n(.*?)```", text, re.S)
    assert snippets or blocks
    for snippet in snippets:
        parse_config(tomllib.loads(f"[bindings]\n{snippet}"), f"README: {snippet}")
    for block in blocks:
        parse_config(tomllib.loads(block), "README's TOML")
