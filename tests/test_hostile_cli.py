"""Hostile inputs through the commands: decode, walk, train --dataset idx:DIR, import-tfjs and
run --screenshot. Each is one line naming the file, a non-zero exit, no traceback, no warning."""
import gzip
import json
import os
import resource
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from latentwalk.cli import main
from latentwalk.vae.idx import encode_idx
from tests.bundles import make_bundle

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    return make_bundle(tmp_path_factory.mktemp("hostile-cli") / "model", count=20)


def one_line_error(capsys, argv, command, status: int = 1) -> str:
    """The one error line of a refused command; status 2 for a bad argument, 1 for a failure."""
    assert main([str(a) for a in argv]) == status
    captured = capsys.readouterr()
    err = captured.err
    assert err.count("\n") == 1 and err.startswith(f"latentwalk {command}: error: ") and "Traceback" not in err, err
    return err.strip()


def npy_claiming(path: Path, shape, descr="<f4") -> Path:
    header = "{'descr': %r, 'fortran_order': False, 'shape': %r, }" % (descr, tuple(shape))
    header += " " * (-(len(header) + 11) % 64) + "\n"
    path.write_bytes(b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header.encode() + b"\0" * 64)
    return path


# ------------------------------------------------------------------------------------------ decode

@pytest.mark.timeout(60)
def test_decode_refuses_a_fifo_instead_of_hanging(tmp_path, model_dir, capsys):
    os.mkfifo(tmp_path / "z.npy")
    err = one_line_error(capsys, ["decode", "--model", model_dir, "--latents", tmp_path / "z.npy",
                                  "--out", tmp_path / "x.npy"], "decode")
    assert err.endswith(f"{tmp_path / 'z.npy'}: is a FIFO, not a .npy file")


@pytest.mark.filterwarnings("error")  # numpy's overflow RuntimeWarning would fail the test
def test_decode_of_float64_beyond_float32_is_one_line_without_a_warning(tmp_path, model_dir, capsys):
    np.save(tmp_path / "z.npy", np.array([[0, 0, 0], [1e300, 1e300, 1e300]]))
    err = one_line_error(capsys, ["decode", "--model", model_dir, "--latents", tmp_path / "z.npy",
                                  "--out", tmp_path / "x.npy"], "decode")
    assert err.endswith("z.npy: row 1 has values beyond float32 range (about 3.4e38)")


def test_decode_refuses_a_header_claiming_a_trillion_rows(tmp_path, model_dir, capsys):
    latents = npy_claiming(tmp_path / "z.npy", (10**12, 3))
    err = one_line_error(capsys, ["decode", "--model", model_dir, "--latents", latents, "--out", tmp_path / "x.npy"],
                         "decode")
    assert f"{latents}: not a valid .npy array (truncated: shape (1000000000000, 3) of float32" in err


def test_decode_refuses_a_grid_too_large_before_building_the_decoder(tmp_path, model_dir, capsys, monkeypatch):
    from latentwalk.vae.bundle import Bundle

    built = []
    monkeypatch.setattr(Bundle, "load_decoder", lambda self, device="cpu": built.append(device))
    np.save(tmp_path / "z.npy", np.zeros((16_385, 3), np.float32))
    err = one_line_error(capsys, ["decode", "--model", model_dir, "--latents", tmp_path / "z.npy",
                                  "--out", tmp_path / "grid.png"], "decode")
    assert err.endswith("grid.png: a grid of 16385 images is too large for one PNG (at most 16384); write .npy instead")
    assert built == [] and not (tmp_path / "grid.png").exists()


def test_decode_streams_an_npy_chunk_by_chunk_with_progress(tmp_path, model_dir, capsys, monkeypatch):
    import latentwalk.vae.decode as decode_module
    from latentwalk.vae.bundle import load_bundle

    monkeypatch.setattr(decode_module, "CHUNK_ROWS", 16)
    monkeypatch.setattr(decode_module, "PROGRESS_FROM", 40)
    chunk_sizes = []
    real = decode_module.decode_latents
    monkeypatch.setattr(decode_module, "decode_latents",
                        lambda decoder, z, batch_size=256: chunk_sizes.append(len(z)) or real(decoder, z, batch_size))
    latents = np.random.default_rng(1).normal(size=(50, 3)).astype(np.float32)
    np.save(tmp_path / "z.npy", latents)
    assert main(["decode", "--model", str(model_dir), "--latents", str(tmp_path / "z.npy"), "--out",
                 str(tmp_path / "x.npy"), "--batch-size", "8"]) == 0
    assert chunk_sizes == [16, 16, 16, 2]  # never more than one chunk of images in memory
    assert "decoding x.npy:" in capsys.readouterr().err  # the progress bar ran (the job is "big" here)
    expected = real(load_bundle(model_dir).load_decoder(), latents)
    np.testing.assert_allclose(np.load(tmp_path / "x.npy", allow_pickle=False), expected, atol=1e-6)


# -------------------------------------------------------------------------------------------- walk

@pytest.mark.timeout(60)
def test_walk_refuses_a_fifo_as_points(tmp_path, capsys):
    os.mkfifo(tmp_path / "p.npy")
    err = one_line_error(capsys, ["walk", "--points", tmp_path / "p.npy", "--steps", 5, "--out", tmp_path / "o.npy"],
                         "walk")
    assert err.endswith("p.npy: is a FIFO, not a .npy file")


@pytest.mark.parametrize("args, message", [
    (["--through", "0," + "9" * 5000], "--through: index 99999999999999999999... (5000 digits) is out of range"),
    (["--through", "-1,5"], "--through: '-1' is not a data-set index (indices count from 0"),
    (["--through", "0,1", "--steps", "1e30"], "--steps: '1e30' is not a whole number"),
    (["--through", "0,1", "--steps", "9" * 5000], "is too many (at most 10000000 rows)"),
    (["--through", "0,1", "--steps", "100000000"], "--steps: 100000000 is too many (at most 10000000 rows)"),
    (["--through", "0"], "--through 0: no path: there is one control point; a path needs at least two different"),
    (["--through", "3,3,3"], "--through 3,3,3: no path: the control points are all the same point"),
])
def test_walk_refuses_hostile_arguments_in_one_line(tmp_path, model_dir, capsys, args, message):
    argv = ["walk", "--model", model_dir, *args, "--out", tmp_path / "o.npy"]
    if "--steps" not in args:
        argv += ["--steps", "5"]
    assert message in one_line_error(capsys, argv, "walk", status=2)
    assert list(tmp_path.iterdir()) == []


def test_walk_never_writes_non_finite_rows(tmp_path, capsys):
    np.save(tmp_path / "p.npy", np.array([[0, 0], [3.3e38, 3.3e38], [3.3e38, -3.3e38], [0, 0]]))
    err = one_line_error(capsys, ["walk", "--points", tmp_path / "p.npy", "--steps", 50, "--out", tmp_path / "o.npy"],
                         "walk")
    assert "o.npy: not written: row" in err and "is not finite in float32" in err
    np.save(tmp_path / "p.npy", np.array([[0, 0, 0], [1e300, 1e300, 1e300]]))
    err = one_line_error(capsys, ["walk", "--points", tmp_path / "p.npy", "--steps", 50, "--out", tmp_path / "o.npy"],
                         "walk")
    assert err.endswith("p.npy: row 1 has values beyond float32 range (about 3.4e38)")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p.npy"]


def test_walk_refuses_an_output_past_the_size_limit(tmp_path, capsys):
    np.save(tmp_path / "p.npy", np.eye(100))
    err = one_line_error(capsys, ["walk", "--points", tmp_path / "p.npy", "--steps", 10_000_000,
                                  "--out", tmp_path / "o.npy"], "walk", status=2)
    assert "--steps 10000000: a (10000000, 100) float32 path would be 3.7 GiB, more than the 2 GiB limit" in err


def test_walk_streams_long_paths_in_chunks(tmp_path, monkeypatch):
    import latentwalk.subcommands.walk as walk_module
    from latentwalk.scenes.explorer.walk.curve import Curve

    monkeypatch.setattr(walk_module, "CHUNK_ROWS", 7)
    points = np.array([[0, 0, 0], [1, 2, 0], [3, 1, 1]], np.float32)
    np.save(tmp_path / "p.npy", points)
    assert main(["walk", "--points", str(tmp_path / "p.npy"), "--steps", "30", "--out", str(tmp_path / "o.npy")]) == 0
    path = np.load(tmp_path / "o.npy", allow_pickle=False)
    np.testing.assert_allclose(path, Curve(points).sample(30), atol=1e-6)
    np.testing.assert_array_equal(path[[0, -1]], points[[0, -1]])


# ----------------------------------------------------------------------------------- train idx:DIR

def idx_folder(folder: Path, images: np.ndarray, labels: np.ndarray) -> Path:
    folder.mkdir()
    for stem, array in (("train-images-idx3-ubyte", images), ("train-labels-idx1-ubyte", labels),
                        ("t10k-images-idx3-ubyte", images), ("t10k-labels-idx1-ubyte", labels)):
        (folder / stem).write_bytes(encode_idx(array))
    return folder


def train_argv(tmp_path: Path, folder: Path) -> list:
    return ["train", "--dataset", f"idx:{folder}", "--out", tmp_path / "out", "--epochs", 1, "--no-progress"]


def test_train_refuses_class_names_that_are_not_utf8(tmp_path, capsys):
    folder = idx_folder(tmp_path / "set", np.zeros((4, 8, 8), np.uint8), np.arange(4, dtype=np.uint8))
    (folder / "class_names.txt").write_bytes(b"zero\none\n\xff\xfe\n")
    err = one_line_error(capsys, train_argv(tmp_path, folder), "train")
    assert err.endswith(f"{folder / 'class_names.txt'}: not UTF-8 text (byte 9); write one class name per line in UTF-8")


def test_train_refuses_images_without_pixels(tmp_path, capsys):
    folder = idx_folder(tmp_path / "set", np.zeros((4, 28, 0), np.uint8), np.arange(4, dtype=np.uint8))
    err = one_line_error(capsys, train_argv(tmp_path, folder), "train")
    assert err.endswith(f"{folder / 'train-images-idx3-ubyte'}: images of shape (28, 0) have no pixels")


def gzip_claiming(path: Path, shape, data: bytes = b"\0" * 4096) -> Path:
    header = bytes([0, 0, 0x08, len(shape)]) + b"".join(n.to_bytes(4, "big") for n in shape)
    path.write_bytes(gzip.compress(header + data))
    return path


def test_train_judges_a_gz_header_before_inflating(tmp_path, capsys):
    folder = idx_folder(tmp_path / "set", np.zeros((4, 8, 8), np.uint8), np.arange(4, dtype=np.uint8))
    (folder / "train-images-idx3-ubyte").unlink()
    bomb = gzip_claiming(folder / "train-images-idx3-ubyte.gz", (4_000_000, 28, 28))
    err = one_line_error(capsys, train_argv(tmp_path, folder), "train")
    assert err.endswith(f"{bomb}: header claims 2.92 GiB of data (shape (4000000, 28, 28)), more than the 1 GiB limit")


def test_a_gz_longer_than_its_header_says_is_not_inflated_past_the_claim(tmp_path):
    from latentwalk.vae.errors import IdxError
    from latentwalk.vae.idx import read_idx

    lying = gzip_claiming(tmp_path / "x.gz", (2, 2), b"\0" * (50 << 20))
    with pytest.raises(IdxError, match=r"x\.gz: \d+ unexpected bytes after the data of shape \(2, 2\)$") as caught:
        read_idx(lying)
    assert int(str(caught.value).split(": ")[1].split()[0]) == 1  # one byte past the claim, not 50 MB


def limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))


@pytest.mark.timeout(120)
def test_under_a_2_gib_memory_cap_a_3_gib_gzip_claim_is_refused(tmp_path):
    folder = idx_folder(tmp_path / "set", np.zeros((4, 8, 8), np.uint8), np.arange(4, dtype=np.uint8))
    (folder / "train-images-idx3-ubyte").unlink()
    rows = (3 << 30) // 784 + 1
    shape_header = bytes([0, 0, 0x08, 3]) + b"".join(n.to_bytes(4, "big") for n in (rows, 28, 28))
    # gzip members concatenate: one member of 16 MiB of zeros, repeated, inflates to 3 GiB from ~3 MB
    zeros = gzip.compress(bytes(16 << 20), compresslevel=9)
    (folder / "train-images-idx3-ubyte.gz").write_bytes(gzip.compress(shape_header) + zeros * (3 << 6))
    assert (folder / "train-images-idx3-ubyte.gz").stat().st_size < 4 << 20
    done = subprocess.run([sys.executable, "-m", "latentwalk", *map(str, train_argv(tmp_path, folder))],
                          capture_output=True, text=True, cwd=REPO, timeout=110, preexec_fn=limit_memory)
    assert done.returncode == 1 and done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert "header claims 3 GiB of data (shape (4108706, 28, 28))" in done.stderr


# ------------------------------------------------------------------------------------- import-tfjs

@pytest.mark.parametrize("text, message", [
    ("[" * 100_000, "not valid JSON: bad JSON: nested too deeply"),
    ('{"format": "graph-model", "n": ' + "7" * 5000 + "}", "not valid JSON: bad JSON: a number with 5000 digits"),
])
def test_import_tfjs_refuses_hostile_json_in_one_line(tmp_path, capsys, text, message):
    (tmp_path / "model.json").write_text(text)
    np.save(tmp_path / "z.npy", np.zeros((4, 3), np.float32))
    np.save(tmp_path / "l.npy", np.arange(4))
    err = one_line_error(capsys, ["import-tfjs", tmp_path / "model.json", "--out", tmp_path / "b",
                                  "--latents", tmp_path / "z.npy", "--labels", tmp_path / "l.npy"], "import-tfjs")
    assert err.endswith(f"{tmp_path / 'model.json'}: {message}")


def test_import_tfjs_refuses_negative_weight_shapes(tmp_path):
    from latentwalk.vae.errors import TfjsError
    from latentwalk.vae.tfjs_weights import read_weights

    (tmp_path / "w.bin").write_bytes(b"\0" * 16)
    manifest = [{"paths": ["w.bin"], "weights": [{"name": "a", "shape": [-1, 4], "dtype": "float32"}]}]
    with pytest.raises(TfjsError, match="malformed weight entry"):
        read_weights(tmp_path / "model.json", json.loads(json.dumps(manifest)))


# --------------------------------------------------------------------------------------------- run

@pytest.mark.parametrize("target", ["/sys/latentwalk-test.png", "/proc/latentwalk-test.png"])
def test_run_checks_the_screenshot_path_by_creating_a_file_before_any_window(target, capsys, monkeypatch):
    import latentwalk.subcommands.run as run_module

    scenes = []
    monkeypatch.setattr(run_module, "make_scene", lambda args: scenes.append(args))
    err = one_line_error(capsys, ["run", "--screenshot", target, "--frames", 1], "run")
    assert err.startswith(f"latentwalk run: error: {target}: not writable (") and scenes == []
