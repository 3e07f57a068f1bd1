"""`latentwalk neighbors` through the real CLI entry point: the table, --json, and one-line refusals."""
import json
import subprocess
import sys

import numpy as np
import pytest

from latentwalk.cli import main
from tests.bundles import make_bundle


@pytest.fixture(scope="module")
def bundle_dir(tmp_path_factory):
    return make_bundle(tmp_path_factory.mktemp("bundles") / "tiny", count=300, classes=3, dim=5)


def brute(latents: np.ndarray, query, k: int) -> list[int]:
    squared = ((latents.astype(np.float64) - np.asarray(query, np.float64)) ** 2).sum(axis=1)
    return list(np.lexsort((np.arange(len(latents)), squared))[:k])


def test_index_query_prints_the_point_itself_first(bundle_dir, capsys):
    latents, labels = np.load(bundle_dir / "latents.npy"), np.load(bundle_dir / "labels.npy")
    assert main(["neighbors", "--model", str(bundle_dir), "--index", "42", "--k", "4"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["index", "class", "distance"]
    rows = [line.split() for line in lines[1:]]
    expected = brute(latents, latents[42], 4)
    assert [int(row[0]) for row in rows] == expected and expected[0] == 42
    assert [row[1] for row in rows] == [f"c{labels[i]}" for i in expected]
    assert float(rows[0][2]) == 0.0 and [float(r[2]) for r in rows] == sorted(float(r[2]) for r in rows)


def test_json_shape_and_values(bundle_dir, capsys):
    latents, labels = np.load(bundle_dir / "latents.npy"), np.load(bundle_dir / "labels.npy")
    query = [0.5, -1.25, 0.0, 2.0, -0.5]
    argument = ",".join(map(str, query))
    assert main(["neighbors", "--model", str(bundle_dir), "--latent", argument, "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert isinstance(rows, list) and len(rows) == 10  # --k defaults to 10
    assert all(set(row) == {"index", "label", "distance"} for row in rows)
    assert all(isinstance(row["index"], int) and isinstance(row["label"], int) for row in rows)
    expected = brute(latents, query, 10)
    assert [row["index"] for row in rows] == expected
    assert [row["label"] for row in rows] == [int(labels[i]) for i in expected]
    distances = np.linalg.norm(latents[expected].astype(np.float64) - query, axis=1)
    np.testing.assert_allclose([row["distance"] for row in rows], distances, rtol=1e-12)


def test_bundled_model_is_the_default(capsys):
    assert main(["neighbors", "--index", "0", "--k", "3", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [row["index"] for row in rows][0] == 0 and len(rows) == 3
    assert rows[0]["label"] == 5  # the first MNIST training image is a 5


@pytest.mark.parametrize("arguments, message", [
    (["--index", "300"], "--index 300 is out of range: tiny has 300 training points (0..299)"),
    (["--index", "-1"], "--index -1 is out of range"),
    (["--index", "seven"], "--index must be a whole number, got 'seven'"),
    (["--latent", "1,2,3"], "--latent has 3 values, but tiny's latent space has 5"),
    (["--latent", "1,nan,3,4,5"], "--latent contains NaN or Inf"),
    (["--latent", "1,inf,3,4,5"], "--latent contains NaN or Inf"),
    (["--latent", "1,x,3,4,5"], "expected comma-separated numbers"),
    (["--index", "3", "--k", "0"], "--k must be at least 1, got 0"),
    (["--index", "3", "--k", "-2"], "--k must be at least 1, got -2"),
])
def test_bad_input_is_one_line_and_status_2(bundle_dir, capsys, arguments, message):
    assert main(["neighbors", "--model", str(bundle_dir), *arguments]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1 and captured.err.startswith("latentwalk neighbors: error: ")
    assert message in captured.err


def test_negative_values_need_no_equals_sign(bundle_dir, capsys):
    latents = np.load(bundle_dir / "latents.npy")
    assert main(["neighbors", "--model", str(bundle_dir), "--latent", "-1.5,-0.25,0,1,-2", "--k", "2",
                 "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [row["index"] for row in rows] == brute(latents, [-1.5, -0.25, 0, 1, -2], 2)


def test_installed_command_exit_status(bundle_dir):
    """The process itself exits 2 with one line on stderr (what a shell script sees)."""
    done = subprocess.run([sys.executable, "-m", "latentwalk", "neighbors", "--model", str(bundle_dir),
                           "--latent", "0,0"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.strip() == ("latentwalk neighbors: error: --latent has 2 values, but tiny's latent space has 5 "
                                   "(see `latentwalk neighbors --help`)")


def test_bad_bundle_is_one_line_status_1(tmp_path, capsys):
    assert main(["neighbors", "--model", str(tmp_path / "missing"), "--index", "0"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "missing: no such model bundle" in err
