"""`latentwalk walk` through the real CLI entry point, on a small bundle written by vae.bundle."""
import numpy as np
import pytest

from latentwalk.cli import main
from latentwalk.scenes.explorer.walk.curve import Curve

LATENT_DIM = 4


@pytest.fixture(scope="module")
def bundle_dir(tmp_path_factory):
    from latentwalk.vae.bundle import write_bundle
    from latentwalk.vae.model import ConvDecoder

    latents = np.random.default_rng(0).normal(size=(20, LATENT_DIM)).astype(np.float32)
    labels = np.arange(20) % 3
    return write_bundle(tmp_path_factory.mktemp("bundles") / "tiny", decoder=ConvDecoder(LATENT_DIM, (8, 8)),
                        latents=latents, labels=labels, dataset="synthetic", class_names=["a", "b", "c"],
                        summary={})


def walk(*args) -> int:
    """The exit status of `latentwalk walk ARGS` (argparse's own errors exit through SystemExit)."""
    try:
        return main(["walk", *map(str, args)])
    except SystemExit as exited:
        return exited.code


def test_through_indices_writes_the_path(bundle_dir, tmp_path, capsys):
    out = tmp_path / "path.npy"
    assert walk("--model", bundle_dir, "--through", "3,17,5,9", "--steps", 50, "--out", out) == 0
    path = np.load(out, allow_pickle=False)
    latents = np.load(bundle_dir / "latents.npy")
    control = latents[[3, 17, 5, 9]]
    assert path.dtype == np.float32 and path.shape == (50, LATENT_DIM)
    np.testing.assert_array_equal(path[0], control[0])
    np.testing.assert_array_equal(path[-1], control[-1])
    # Every control point lies on the curve the rows sample, at the rows the command reports.
    curve = Curve(control.astype(np.float64))
    rows = curve.control_point_params() * 49
    np.testing.assert_allclose(curve.at(rows / 49), control, atol=1e-6)
    printed = capsys.readouterr().out
    assert f"wrote {out}: (50, 4) float32, catmull-rom path" in printed
    assert ", ".join(f"{r:.2f}" for r in rows) in printed
    # Equally spaced along the curve: the arc between consecutive rows is the same everywhere.
    fine = curve.at(np.linspace(0, 1, 49 * 40 + 1))
    arcs = np.linalg.norm(np.diff(fine, axis=0), axis=1).reshape(49, 40).sum(axis=1)
    assert arcs.max() / arcs.min() < 1.01
    np.testing.assert_allclose(path, curve.sample(50), atol=1e-6)


def test_closed_path_ends_where_it_starts(bundle_dir, tmp_path):
    out = tmp_path / "loop.npy"
    assert walk("--model", bundle_dir, "--through", "1,2,3", "--steps", 30, "--closed",
                "--interp", "slerp", "--out", out) == 0
    path = np.load(out)
    latents = np.load(bundle_dir / "latents.npy")
    np.testing.assert_array_equal(path[0], latents[1])
    np.testing.assert_array_equal(path[-1], latents[1])
    np.testing.assert_allclose(path, Curve(latents[[1, 2, 3]], kind="slerp", closed=True).sample(30),
                               atol=1e-6)


def test_points_file_with_linear_interpolation(tmp_path):
    points = np.array([[0.0, 0.0], [3.0, 0.0], [3.0, 4.0]])
    source = tmp_path / "points.npy"
    np.save(source, points)
    out = tmp_path / "path.npy"
    assert walk("--points", source, "--steps", 8, "--interp", "linear", "--out", out) == 0
    path = np.load(out)
    expected = [[0, 0], [1, 0], [2, 0], [3, 0], [3, 0], [3, 1], [3, 2], [3, 3], [3, 4]]
    np.testing.assert_allclose(path, np.array(expected, dtype=float)[[0, 1, 2, 3, 5, 6, 7, 8]], atol=1e-6)


def test_points_file_width_is_checked_against_the_model(bundle_dir, tmp_path, capsys):
    source = tmp_path / "points.npy"
    np.save(source, np.zeros((3, LATENT_DIM + 1)))
    assert walk("--model", bundle_dir, "--points", source, "--steps", 5, "--out", tmp_path / "o.npy") == 1
    err = capsys.readouterr().err
    assert f"{source}: points have width 5, but {bundle_dir} has a 4-d latent space" in err
    assert not (tmp_path / "o.npy").exists()


def error_of(capsys, *args, status: int = 1) -> str:
    """The one error line of a refused walk; status 2 for a bad argument, 1 for a failure."""
    assert walk(*args) == status
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("latentwalk walk: error: ")
    return err


@pytest.mark.parametrize("through,message", [
    ("3,x,5", "--through: 'x' is not a data-set index"),
    ("3,,5", "--through: '' is not a data-set index"),
    ("-1,2", "--through: '-1' is not a data-set index"),
    ("1,20", "--through: index 20 is out of range"),
])
def test_bad_indices_are_refused(bundle_dir, tmp_path, capsys, through, message):
    out = tmp_path / "o.npy"
    assert message in error_of(capsys, "--model", bundle_dir, f"--through={through}", "--steps", 5,
                                "--out", out, status=2)
    assert not out.exists()


@pytest.mark.parametrize("steps,message", [("1", "--steps: 1 is too few"), ("ten", "--steps: 'ten' is not a whole number")])
def test_bad_steps_are_refused(bundle_dir, tmp_path, capsys, steps, message):
    assert message in error_of(capsys, "--model", bundle_dir, "--through", "1,2", "--steps", steps,
                               "--out", tmp_path / "o.npy", status=2)


def test_bad_interp_is_refused_and_through_defaults_to_the_bundled_mnist(tmp_path, capsys):
    from latentwalk.vae.bundle import load_bundle

    assert "--interp: unknown kind 'cubic'" in error_of(capsys, "--through", "1,2", "--model", "x",
                                                        "--steps", 5, "--interp", "cubic", "--out", tmp_path / "o.npy",
                                                        status=2)
    assert walk("--through", "1,2", "--steps", 5, "--out", tmp_path / "o.npy") == 0  # like decode: mnist
    path = np.load(tmp_path / "o.npy")
    mnist = load_bundle("mnist").latents
    np.testing.assert_array_equal(path[[0, -1]], mnist[[1, 2]])


def test_unknown_model_is_refused(tmp_path, capsys):
    missing = tmp_path / "no-such-bundle"
    assert f"{missing}: no such model bundle" in error_of(capsys, "--model", missing, "--through", "1,2",
                                                          "--steps", 5, "--out", tmp_path / "o.npy")


@pytest.mark.parametrize("content,message", [
    (np.array([[0.0, 1.0], [np.nan, 2.0]]), "row 1 contains NaN or Inf"),
    (np.zeros(3), "shape (3,), expected (K, d)"),
    (np.zeros((0, 2)), "shape (0, 2), expected (K, d)"),
    (np.array([["a", "b"]]), "dtype <U1, expected numbers"),
])
def test_bad_points_files_are_refused(tmp_path, capsys, content, message):
    source = tmp_path / "points.npy"
    np.save(source, content)
    err = error_of(capsys, "--points", source, "--steps", 5, "--out", tmp_path / "o.npy")
    assert f"{source}: {message}" in err


def test_pickled_and_missing_points_files_are_refused(tmp_path, capsys):
    pickled = tmp_path / "objects.npy"
    np.save(pickled, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    assert f"{pickled}: not a readable .npy array" in error_of(capsys, "--points", pickled, "--steps", 5,
                                                                 "--out", tmp_path / "o.npy")
    missing = tmp_path / "none.npy"
    assert f"{missing}: no such file" in error_of(capsys, "--points", missing, "--steps", 5,
                                                  "--out", tmp_path / "o.npy")


def test_unwritable_out_is_refused_and_an_existing_file_survives(tmp_path, capsys):
    source = tmp_path / "points.npy"
    np.save(source, np.eye(3))
    out = tmp_path / "missing-dir" / "path.npy"
    assert f"{out}: cannot write path file: No such file or directory" in error_of(
        capsys, "--points", source, "--steps", 5, "--out", out)
    kept = tmp_path / "kept.npy"
    np.save(kept, np.ones(2))
    assert walk("--points", source, "--steps", 1, "--out", kept) == 2
    np.testing.assert_array_equal(np.load(kept), np.ones(2))


def test_an_existing_out_file_is_refused_in_one_line_and_kept(tmp_path, capsys):
    source = tmp_path / "points.npy"
    np.save(source, np.eye(3))
    kept = tmp_path / "mine.npy"
    np.save(kept, np.ones(2))
    assert f"{kept}: already exists; choose another name or remove it first" in error_of(
        capsys, "--points", source, "--steps", 5, "--out", kept)
    np.testing.assert_array_equal(np.load(kept), np.ones(2))


@pytest.mark.parametrize("name", ["path.txt", "path", "path.npz"])
def test_out_without_npy_suffix_is_refused_before_any_work(tmp_path, capsys, name):
    source = tmp_path / "points.npy"
    np.save(source, np.eye(3))
    out = tmp_path / name
    assert f"argument --out: '{out}' must end in .npy" in error_of(capsys, "--points", source, "--steps", 5,
                                                                    "--out", out, status=2)
    assert not out.exists()


def test_out_suffix_is_not_case_sensitive(tmp_path):
    source = tmp_path / "points.npy"
    np.save(source, np.eye(3))
    out = tmp_path / "PATH.NPY"
    assert walk("--points", source, "--steps", 5, "--out", out) == 0
    assert np.load(out, allow_pickle=False).shape == (5, 3)


def test_the_written_file_gets_the_usual_mode_not_a_private_temp_files(bundle_dir, tmp_path):
    import os

    previous = os.umask(0o022)
    try:
        out = tmp_path / "path.npy"
        assert walk("--model", bundle_dir, "--through", "1,2", "--steps", 5, "--out", out) == 0
    finally:
        os.umask(previous)
    assert out.stat().st_mode & 0o777 == 0o644
    assert [p.name for p in tmp_path.iterdir()] == ["path.npy"]  # no temporary file left beside it


def test_through_class_takes_the_point_of_that_class_nearest_its_median(bundle_dir, tmp_path, capsys):
    latents, labels = np.load(bundle_dir / "latents.npy"), np.arange(20) % 3

    def typical(klass: int) -> int:  # brute force: every member's distance to the class's median latent
        members = [i for i in range(20) if labels[i] == klass]
        median = np.median(latents[members], axis=0)
        return min(members, key=lambda i: (float(np.sum((latents[i].astype(np.float64) - median) ** 2)), i))

    out = tmp_path / "p.npy"
    # by name (the bundle's classes are a, b, c), by number, and mixed with a plain index
    assert walk("--model", bundle_dir, "--through", "class:b,class:2,7", "--steps", 5, "--out", out) == 0
    path = np.load(out)
    np.testing.assert_array_equal(path[0], latents[typical(1)])
    np.testing.assert_array_equal(path[-1], latents[7])
    other = tmp_path / "q.npy"
    assert walk("--model", bundle_dir, "--through", "class:2,class:B", "--steps", 5, "--out", other) == 0
    np.testing.assert_array_equal(np.load(other)[[0, -1]], latents[[typical(2), typical(1)]])
    assert labels[typical(1)] == 1 and labels[typical(2)] == 2


@pytest.mark.parametrize("through,message", [
    ("class:d,1", "--through: class:d is not a class of this model (its classes: a, b, c"),
    ("class:3,1", "--through: class:3 is not a class of this model"),
    ("class:,1", "--through: 'class:' names no class"),
])
def test_an_unknown_class_is_a_usage_error(bundle_dir, tmp_path, capsys, through, message):
    assert message in error_of(capsys, "--model", bundle_dir, f"--through={through}", "--steps", 5,
                               "--out", tmp_path / "o.npy", status=2)


@pytest.mark.parametrize("command", ["walk", "record"])
def test_the_help_says_through_takes_data_set_indices_or_classes(command, capsys):
    with pytest.raises(SystemExit):
        main([command, "--help"])
    out = " ".join(capsys.readouterr().out.split())
    assert "data-set indices (rows of the training set, from 0;" in out and "not the digits" in out
    assert "class:N for a typical point of class N" in out and "nearest the class's median latent" in out
