"""Decoding latents: shapes and ranges, the PNG grid, and `latentwalk decode` errors through the CLI."""
import re
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from latentwalk import assets
from latentwalk.cli import main
from tests.bundles import make_bundle
from latentwalk.vae.bundle import load_bundle
from latentwalk.vae.decode import decode_latents, grid_image
from latentwalk.vae.errors import DecodeError
from latentwalk.vae.model import ConvDecoder


@pytest.fixture
def decoder():
    torch.manual_seed(0)
    return ConvDecoder(3).eval()


def test_decode_shapes_ranges_and_batching(decoder):
    latents = np.random.default_rng(0).normal(scale=3, size=(37, 3)).astype(np.float32)
    images = decode_latents(decoder, latents, batch_size=8)
    assert images.shape == (37, 28, 28) and images.dtype == np.float32
    assert images.min() >= 0.0 and images.max() <= 1.0 and images.std() > 0
    with torch.no_grad():
        expected = torch.sigmoid(decoder(torch.from_numpy(latents)))[:, 0].numpy()
    np.testing.assert_allclose(images, expected, atol=1e-6)
    np.testing.assert_allclose(decode_latents(decoder, latents, batch_size=256), images, atol=1e-6)
    assert decode_latents(decoder, np.zeros((0, 3))).shape == (0, 28, 28)
    assert decode_latents(decoder, latents.astype(np.float64)[:2]).dtype == np.float32


@pytest.mark.parametrize("latents, message", [
    (np.zeros((4, 2)), r"shape \(4, 2\), expected \(N, 3\)"),
    (np.zeros(3), r"shape \(3,\), expected \(N, 3\)"),
    (np.array([[0, 0, 0], [0, np.nan, 0]]), "row 1 contains NaN or Inf"),
    (np.array([[0, np.inf, 0]]), "row 0 contains NaN or Inf"),
    (np.array([["a", "b", "c"]]), "is not numeric"),
])
def test_decode_rejects_bad_latents(decoder, latents, message):
    with pytest.raises(DecodeError, match=message):
        decode_latents(decoder, latents)


def test_grid_layout():
    images = np.stack([np.full((4, 6), value) for value in (0.0, 0.5, 1.0)])
    grid = grid_image(images, columns=2, padding=1)
    assert grid.shape == (2 * 5 + 1, 2 * 7 + 1) and grid.dtype == np.uint8
    assert grid[1, 1] == 0 and grid[1, 8] == 128 and grid[6, 1] == 255 and grid[6, 8] == 0


# ------------------------------------------------------------------ through the CLI

@pytest.fixture
def model_dir(tmp_path):
    return make_bundle(tmp_path / "model", count=20)


def run_cli(capsys, *args):
    try:
        code = main(["decode", *map(str, args)])
    except SystemExit as exited:  # argparse's own usage errors
        code = exited.code
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_cli_decodes_to_npy_and_png(tmp_path, model_dir, capsys):
    latents = np.random.default_rng(1).normal(size=(10, 3)).astype(np.float32)
    np.save(tmp_path / "z.npy", latents)
    code, out, err = run_cli(capsys, "--model", model_dir, "--latents", tmp_path / "z.npy", "--out", tmp_path / "x.npy")
    assert code == 0 and "decoded 10 latents" in out and err == ""
    images = np.load(tmp_path / "x.npy", allow_pickle=False)
    expected = decode_latents(load_bundle(model_dir).load_decoder(), latents)
    np.testing.assert_array_equal(images, expected)
    code, _, _ = run_cli(capsys, "--model", model_dir, "--latents", tmp_path / "z.npy", "--out", tmp_path / "grid.png")
    assert code == 0
    with Image.open(tmp_path / "grid.png") as png:
        assert png.mode == "L" and png.size == (4 * 30 + 2, 3 * 30 + 2)
        pixels = np.asarray(png)
    np.testing.assert_array_equal(pixels[2:30, 2:30], np.rint(images[0] * 255).astype(np.uint8))


def test_cli_uses_bundled_model_names(tmp_path, model_dir, capsys, monkeypatch):
    monkeypatch.setattr(assets, "MODELS_DIR", tmp_path)
    np.save(tmp_path / "z.npy", np.zeros((2, 3), np.float32))
    code, out, _ = run_cli(capsys, "--model", "model", "--latents", tmp_path / "z.npy", "--out", tmp_path / "x.npy")
    assert code == 0 and np.load(tmp_path / "x.npy").shape == (2, 28, 28)


def bad_latents(tmp_path, kind):
    path = tmp_path / "z.npy"
    if kind == "nan":
        np.save(path, np.array([[0, 0, 0], [np.nan, 0, 0]], np.float32))
    elif kind == "inf":
        np.save(path, np.array([[0, -np.inf, 0]], np.float32))
    elif kind == "width":
        np.save(path, np.zeros((5, 4), np.float32))
    elif kind == "garbage":
        path.write_bytes(b"not numpy at all")
    elif kind == "pickle":
        np.save(path, np.array([object()], dtype=object), allow_pickle=True)
    return path


@pytest.mark.parametrize("kind, message", [
    ("nan", "z.npy: row 1 contains NaN or Inf"),
    ("inf", "z.npy: row 0 contains NaN or Inf"),
    ("width", r"z.npy: shape \(5, 4\), expected \(N, 3\)"),
    ("garbage", r"z.npy: not a valid \.npy array \(no \.npy header\)$"),
    ("pickle", r"z.npy: not a readable \.npy array \(it holds Python objects, which are never unpickled\)$"),
    ("missing", "z.npy: no such file$"),
])
def test_cli_bad_latents_are_one_line_errors(tmp_path, model_dir, capsys, kind, message):
    latents = bad_latents(tmp_path, kind)
    code, _, err = run_cli(capsys, "--model", model_dir, "--latents", latents, "--out", tmp_path / "x.npy")
    assert code == 1
    assert err.count("\n") == 1 and err.startswith("latentwalk decode: error: ")
    assert re.search(message, err) and "Traceback" not in err
    assert not (tmp_path / "x.npy").exists()


def test_cli_missing_model(tmp_path, capsys):
    np.save(tmp_path / "z.npy", np.zeros((2, 3), np.float32))
    code, _, err = run_cli(capsys, "--model", tmp_path / "nowhere", "--latents", tmp_path / "z.npy",
                           "--out", tmp_path / "x.npy")
    assert code == 1 and "nowhere: no such model bundle" in err and err.count("\n") == 1


@pytest.mark.parametrize("out, message", [
    ("missing-folder/x.npy", "does not exist"),
    ("a-folder.npy", "is a folder"),
])
def test_cli_unusable_output(tmp_path, model_dir, capsys, out, message):
    (tmp_path / "a-folder.npy").mkdir()
    np.save(tmp_path / "z.npy", np.zeros((2, 3), np.float32))
    code, _, err = run_cli(capsys, "--model", model_dir, "--latents", tmp_path / "z.npy", "--out", tmp_path / out)
    assert code == 1 and message in err and err.count("\n") == 1


def test_cli_output_of_another_kind_is_a_usage_error(tmp_path, model_dir, capsys):
    np.save(tmp_path / "z.npy", np.zeros((2, 3), np.float32))
    code, _, err = run_cli(capsys, "--model", model_dir, "--latents", tmp_path / "z.npy", "--out", tmp_path / "x.jpg")
    assert code == 2 and "argument --out: " in err and "must end in .npy or .png" in err and err.count("\n") == 1
    assert not (tmp_path / "x.jpg").exists()


def test_cli_unwritable_output(tmp_path, model_dir, capsys):
    np.save(tmp_path / "z.npy", np.zeros((2, 3), np.float32))
    target = Path("/proc/latentwalk-decode-test.npy")  # refuses new files even to root
    code, _, err = run_cli(capsys, "--model", model_dir, "--latents", tmp_path / "z.npy", "--out", target)
    assert code == 1 and err.startswith(f"latentwalk decode: error: {target}: cannot write")
    assert err.count("\n") == 1


def test_cli_keeps_the_previous_output_when_decoding_fails(tmp_path, model_dir, capsys):
    (tmp_path / "x.npy").write_bytes(b"previous result")
    np.save(tmp_path / "z.npy", np.array([[np.nan, 0, 0]], np.float32))
    code, _, _ = run_cli(capsys, "--model", model_dir, "--latents", tmp_path / "z.npy", "--out", tmp_path / "x.npy")
    assert code == 1 and (tmp_path / "x.npy").read_bytes() == b"previous result"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model", "x.npy", "z.npy"]


@pytest.mark.parametrize("folder", ["/proc", "regular-file"])
def test_cli_refuses_an_unwritable_output_before_decoding(tmp_path, model_dir, capsys, monkeypatch, folder):
    import latentwalk.vae.decode

    (tmp_path / "regular-file").write_text("not a folder")
    decoded = []
    monkeypatch.setattr(latentwalk.vae.decode, "decode_latents", lambda *args, **kwargs: decoded.append(args))
    np.save(tmp_path / "z.npy", np.zeros((2, 3), np.float32))
    target = Path(folder) / "x.npy" if folder.startswith("/") else tmp_path / folder / "x.npy"
    code, _, err = run_cli(capsys, "--model", model_dir, "--latents", tmp_path / "z.npy", "--out", target)
    assert code == 1 and err.count("\n") == 1 and str(target) in err
    assert decoded == []


def test_check_writable_folder_probes_with_a_real_file_and_leaves_nothing(tmp_path, monkeypatch):
    import tempfile

    from latentwalk.vae.atomic import check_writable_folder

    check_writable_folder(tmp_path / "not" / "yet")  # made later, inside tmp_path: fine
    assert list(tmp_path.iterdir()) == []
    real_mkstemp = tempfile.mkstemp

    def read_only_here(*args, dir=None, **kwargs):
        if Path(dir) == tmp_path:
            raise PermissionError(13, "Permission denied")
        return real_mkstemp(*args, dir=dir, **kwargs)

    monkeypatch.setattr(tempfile, "mkstemp", read_only_here)
    with pytest.raises(DecodeError, match=rf"^{re.escape(str(tmp_path / 'x.png'))}: cannot write \(Permission denied\)$"):
        check_writable_folder(tmp_path, DecodeError, subject=tmp_path / "x.png")


def test_cli_refuses_zero_latents_and_writes_nothing(tmp_path, model_dir, capsys):
    np.save(tmp_path / "z.npy", np.zeros((0, 3), np.float32))
    code, out, err = run_cli(capsys, "--model", model_dir, "--latents", tmp_path / "z.npy", "--out", tmp_path / "x.png")
    assert code == 1 and out == "" and err.count("\n") == 1
    assert err.endswith(f"{tmp_path / 'z.npy'}: shape (0, 3): no latents to decode\n")
    assert not (tmp_path / "x.png").exists()
