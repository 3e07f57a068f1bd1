"""Sizes trusted before allocating: every count, duration, size and file length an argument, session or
config asks for is checked against latentwalk.scenes.limits before anything is allocated or read, and
refused in one line; special files are refused before they are opened."""
from __future__ import annotations

import json
import os
import struct
import zlib

import numpy as np
import pytest

from latentwalk import cli
from latentwalk.scenes import limits
from latentwalk.vae.idx import encode_idx
from tests.bundles import make_bundle
from tests.hostile_files import Fifo


def one_line_error(capsys) -> str:
    error = capsys.readouterr().err.strip()
    assert error and "\n" not in error and "Traceback" not in error, error
    return error


def exit_status(argv: list[str]) -> int:
    """cli.main's status, or argparse's (which exits)."""
    try:
        return cli.main(argv)
    except SystemExit as exc:
        return exc.code


@pytest.fixture
def must_not_render(monkeypatch):
    """Rendering (or planning the frames) is where the sizes would be allocated: it must not start."""
    import latentwalk.engine.headless as headless
    import latentwalk.scenes.explorer.record.recording as recording

    def refuse(*args, **kwargs):
        raise AssertionError("the work started before the sizes were checked")

    monkeypatch.setattr(headless, "choose_gl_mode", refuse)
    monkeypatch.setattr(headless, "headless_if_no_display", refuse)
    monkeypatch.setattr(recording.WalkRecorder, "__init__", refuse)


@pytest.mark.parametrize("args, message", [
    (["--seconds", "1e308"], "--seconds 1e+308 at 30 fps is over the limit of 216,000 frames"),
    (["--seconds", "1e9"], "--seconds 1,000,000,000 at 30 fps is over the limit"),
    (["--fps", "1e9"], "--fps 1,000,000,000 is over the limit of 240"),
    (["--fps", "1e308"], "--fps 1e+308 is over the limit of 240"),
    (["--frames", "100000000000"], "--frames 100,000,000,000 is over the limit of 216,000"),
    (["--size", "16384x16384"], "--size 16384x16384 is over the limit of 7680x4320"),
])
def test_record_refuses_lengths_and_sizes_over_the_caps(tmp_path, capsys, must_not_render, args, message):
    assert cli.main(["record", "--through", "1,2", "--out", str(tmp_path / "a.mp4"), *args]) == 2
    assert message in one_line_error(capsys)
    assert not (tmp_path / "a.mp4").exists()


def session_text(points: list) -> str:
    return json.dumps({"format": "latentwalk-session", "version": 1, "model": "mnist", "control_points": points,
                       "curve": {"kind": "linear", "closed": False, "steps": 100},
                       "camera": {"target": [0, 0, 0], "distance": 3.0, "orientation": [1, 0, 0, 0],
                                  "fov_degrees": 45.0},
                       "highlighted_classes": [],
                       "traversal": {"t": 0.0, "mode": "once", "speed": 0.25, "playing": False}})


def test_record_refuses_sessions_too_long_or_special_before_reading_them(tmp_path, capsys, must_not_render):
    out = str(tmp_path / "a.mp4")
    huge = tmp_path / "million.json"
    huge.write_text(session_text([{"index": 1}] * 1_000_000))
    assert cli.main(["record", "--session", str(huge), "--out", out]) == 1
    assert "million.json: too large" in one_line_error(capsys)
    many = tmp_path / "many.json"
    many.write_text(session_text([{"index": 1}] * (limits.MAX_CONTROL_POINTS + 1)))
    assert many.stat().st_size < limits.MAX_SESSION_BYTES  # refused by its count, not its length
    assert cli.main(["record", "--session", str(many), "--out", out]) == 1
    assert f"{limits.MAX_CONTROL_POINTS + 1} control points, more than a walk may have" in one_line_error(capsys)
    assert cli.main(["record", "--session", "/dev/zero", "--out", out]) == 1
    assert "/dev/zero: is a character device, not a session file" in one_line_error(capsys)
    fifo = Fifo(tmp_path / "session.fifo")
    assert cli.main(["record", "--session", str(fifo.path), "--out", out]) == 1
    assert not fifo.release()
    assert "session.fifo: is a FIFO, not a session file" in one_line_error(capsys)


def png_claiming(width: int, height: int) -> bytes:
    """A PNG whose header claims width x height RGBA pixels, with almost no data (decoding it would
    allocate the whole picture first)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")


@pytest.fixture(scope="module")
def encoder_bundle(tmp_path_factory):
    return str(make_bundle(tmp_path_factory.mktemp("enc") / "b", encoder=True))


def test_encode_counts_a_pictures_pixels_before_decoding_and_refuses_a_fifo(tmp_path, capsys, encoder_bundle):
    big = tmp_path / "big.png"
    big.write_bytes(png_claiming(13000, 13000))
    out = str(tmp_path / "z.npy")
    assert cli.main(["encode", "--model", encoder_bundle, "--images", str(big), "--out", out]) == 1
    assert "big.png: 13000x13000 is too large (the limit is 25 million pixels)" in one_line_error(capsys)
    fifo = Fifo(tmp_path / "picture.png")
    assert cli.main(["encode", "--model", encoder_bundle, "--images", str(fifo.path), "--out", out]) == 1
    assert not fifo.release()
    assert "picture.png: is a FIFO, not an image" in one_line_error(capsys)
    assert not os.path.exists(out)


def test_encode_streams_an_idx_in_chunks(tmp_path, capsys, encoder_bundle, monkeypatch):
    import latentwalk.vae.encode as encode

    rng = np.random.default_rng(0)
    idx = tmp_path / "images-idx3-ubyte"
    idx.write_bytes(encode_idx(rng.integers(0, 256, (50, 28, 28), dtype=np.uint8)))
    whole = tmp_path / "whole.npy"
    assert cli.main(["encode", "--model", encoder_bundle, "--idx", str(idx), "--out", str(whole)]) == 0
    seen = []
    convert = encode.idx_to_inputs

    def spy(images, *args):
        seen.append(len(images))
        return convert(images, *args)

    monkeypatch.setattr(limits, "ENCODE_CHUNK", 16)
    monkeypatch.setattr(encode, "idx_to_inputs", spy)
    chunked = tmp_path / "chunked.npy"
    assert cli.main(["encode", "--model", encoder_bundle, "--idx", str(idx), "--out", str(chunked)]) == 0
    assert max(seen) <= 16 and sum(seen) >= 50
    np.testing.assert_allclose(np.load(chunked), np.load(whole), atol=1e-5)


@pytest.mark.parametrize("args, message", [
    (["--samples", "8000"], "--samples 8,000 is over the limit of 4,000"),
    (["--samples", str(10**9)], "--samples 1,000,000,000 is over the limit of 4,000"),
    (["--samples", "1"], "--samples 1: CKA needs at least 2 images"),
    (["--seed", "-1"], "expected a seed from 0 to 4294967295, got -1"),
])
def test_compare_refuses_sample_counts_and_seeds_it_cannot_use(capsys, monkeypatch, args, message):
    import latentwalk.vae.bundle as bundle

    monkeypatch.setattr(bundle, "load_bundle", lambda *a: pytest.fail("a bundle loaded before the check"))
    assert exit_status(["compare", "mnist", "mnist", *args]) == 2
    assert message in one_line_error(capsys)


@pytest.mark.parametrize("args, message", [
    (["--points", "1000000000"], "--points 1,000,000,000 is over the limit of 10,000,000"),
    (["--seconds", "1e308"], "--seconds 1e+308 is over the limit of 3,600"),
    (["--size", "16384x16384"], "--size 16384x16384 is over the limit of 7680x4320"),
])
def test_bench_refuses_sizes_over_the_caps(capsys, must_not_render, args, message):
    assert cli.main(["bench", *args]) == 2
    assert message in one_line_error(capsys)


def test_train_refuses_a_seed_past_64_bits(tmp_path, capsys):
    assert exit_status(["train", "--seed", "18446744073709551616", "--out", str(tmp_path / "b")]) == 2
    assert "--seed: expected a seed from 0 to 4294967295" in one_line_error(capsys)


def test_a_kiosk_config_nested_deep_or_a_fifo_is_one_line(tmp_path):
    from latentwalk.scenes.kiosk.config import KioskConfigError, load_config

    deep = tmp_path / "deep.toml"
    deep.write_text("model = " + "[" * 10_000 + "]" * 10_000 + "\n")
    with pytest.raises(KioskConfigError, match="deep.toml: not valid TOML .*nested too deeply"):
        load_config(deep)
    inline = tmp_path / "inline.toml"
    inline.write_text("model = " + "{a = " * 3000 + "1" + "}" * 3000 + "\n")
    with pytest.raises(KioskConfigError, match="inline.toml: not valid TOML .*nested too deeply"):
        load_config(inline)
    fifo = Fifo(tmp_path / "kiosk.toml")
    with pytest.raises(KioskConfigError, match="kiosk.toml: is a FIFO, not a TOML file"):
        load_config(fifo.path)
    assert not fifo.release()
