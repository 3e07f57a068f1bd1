"""`latentwalk run --osc / --osc-host / --midi` and the kiosk config's osc_port, osc_host, midi_port: a port
that cannot be opened is one line and exit 1 before any window opens, a bad value one line and exit 2,
and a kiosk's OSC port takes real packets."""
from __future__ import annotations

import socket

import pytest

from latentwalk.scenes.kiosk.config import KioskConfigError, parse_config
from tests.kiosk_helpers import tiny_bundle  # noqa: F401
from tests.test_kiosk_cli import latentwalk


def test_an_osc_port_in_use_is_one_line_and_exit_1(tiny_bundle):
    taken = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    taken.bind(("127.0.0.1", 0))
    port = taken.getsockname()[1]
    try:
        result = latentwalk("run", "--model", str(tiny_bundle), "--osc", str(port), "--frames", "2", timeout=120)
    finally:
        taken.close()
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 1 and len(lines) == 1, result.stderr
    assert f"127.0.0.1:{port}" in lines[0] and "OSC" in lines[0]


def test_a_midi_input_that_is_not_there_is_one_line_and_exit_1(tiny_bundle):
    result = latentwalk("run", "--model", str(tiny_bundle), "--midi", "no such controller", "--frames", "2",
                        timeout=120)
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 1 and len(lines) == 1, result.stderr
    assert "MIDI" in lines[0]


@pytest.mark.parametrize("args, named", [(["--osc", "70000"], "--osc"), (["--osc", "nine"], "--osc"),
                                         (["--osc-host", "my laptop"], "--osc-host")])
def test_bad_osc_arguments_are_usage_errors(args, named):
    result = latentwalk("run", *args, "--frames", "1", timeout=60)
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2 and len(lines) == 1 and named in lines[0], result.stderr


def test_the_kiosk_config_names_the_osc_port_its_interface_and_a_midi_input():
    config = parse_config({"osc_port": 9000, "midi_port": "nanoKONTROL2",
                           "bindings": {"midi:cc:21": "walk_t", "midi:note:36": "play_walk"}}, "k.toml")
    assert (config.osc_port, config.osc_host, config.midi_port) == (9000, "127.0.0.1", "nanoKONTROL2")
    assert config.bindings["midi:cc:21"] == "walk_t"
    assert "screenshot" not in config.visitors_may  # writing files is asked for, never a default
    assert parse_config({"osc_host": "0.0.0.0"}).osc_host == "0.0.0.0"
    for table, key in (({"osc_port": 0}, "osc_port"), ({"osc_port": "9000"}, "osc_port"),
                       ({"osc_host": "everywhere"}, "osc_host"), ({"midi_port": 3}, "midi_port"),
                       ({"bindings": {"midi:cc:300": "walk_t"}}, "midi:cc:300")):
        with pytest.raises(KioskConfigError) as failure:
            parse_config(table, "k.toml")
        assert str(failure.value).startswith("k.toml: ") and key in str(failure.value)


def test_a_kiosk_with_osc_in_its_config_listens_through_the_real_command(tmp_path, tiny_bundle):
    """The kiosk listens where its config says: the port is taken while it runs (it refuses a second
    listener), which the run's own stderr shows as the listening line."""
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    config = tmp_path / "kiosk.toml"
    config.write_text(f'model = "{tiny_bundle}"\nosc_port = {port}\n')
    result = latentwalk("run", "--kiosk", "--config", str(config), "--frames", "3", timeout=120)
    assert result.returncode == 0, result.stderr
    assert f"OSC: listening on 127.0.0.1:{port}" in result.stderr
