"""3-d layouts (vae/layouts.py): quality against brute force, stored and reloaded, the maps both ways,
hostile layout files refused, and the `project` command."""
from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from latentwalk.vae.bundle import load_bundle
from latentwalk.vae.layout_quality import layout_quality
from latentwalk.vae.layouts import LayoutError, compute_layout, list_layouts, load_layout, store_layout
from tests.bundles import make_bundle


def brute_force_quality(high: np.ndarray, low: np.ndarray, k: int) -> tuple[float, float]:
    """Both figures by their definitions: full sorts of full distance matrices, point by point."""
    n = len(high)
    kept, penalty = 0.0, 0.0
    for i in range(n):
        dh = [(float(np.sum((high[i] - high[j]) ** 2)), j) for j in range(n) if j != i]
        dl = [(float(np.sum((low[i] - low[j]) ** 2)), j) for j in range(n) if j != i]
        order_h = [j for _, j in sorted(dh)]
        order_l = [j for _, j in sorted(dl)]
        kept += len(set(order_h[:k]) & set(order_l[:k])) / k
        rank = {j: r + 1 for r, j in enumerate(order_h)}
        penalty += sum(max(rank[j] - k, 0) for j in order_l[:k])
    return kept / n, 1 - 2.0 / (n * k * (2 * n - 3 * k - 1)) * penalty


def test_quality_matches_brute_force_and_sklearn():
    from sklearn.manifold import trustworthiness

    rng = np.random.default_rng(3)
    high = rng.normal(size=(120, 8))
    low = high[:, :3] + 0.5 * rng.normal(size=(120, 3))
    quality = layout_quality(high, low, k=10)
    kept, trust = brute_force_quality(high, low, 10)
    assert quality.queries == 120
    assert quality.neighbours_kept == pytest.approx(kept, abs=1e-12)
    assert quality.trustworthiness == pytest.approx(trust, abs=1e-12)
    assert quality.trustworthiness == pytest.approx(trustworthiness(high, low, n_neighbors=10), abs=1e-9)
    # a layout that keeps the space (the first three of three dimensions) keeps every neighbourhood
    same = layout_quality(high[:, :3], high[:, :3], k=10)
    assert same.neighbours_kept == pytest.approx(1.0) and same.trustworthiness == pytest.approx(1.0)


def test_quality_of_a_sample_matches_brute_force_for_those_points():
    rng = np.random.default_rng(4)
    high = rng.normal(size=(150, 6))
    low = high[:, :3] + 0.3 * rng.normal(size=(150, 3))
    quality = layout_quality(high, low, k=5, sample=40, seed=2)
    assert quality.queries == 40
    kept_all, _ = brute_force_quality(high, low, 5)
    assert 0.0 < quality.neighbours_kept < 1.0
    assert abs(quality.neighbours_kept - kept_all) < 0.2  # a sample estimates the whole


@pytest.fixture(scope="module")
def small_bundle(tmp_path_factory):
    return make_bundle(tmp_path_factory.mktemp("layouts") / "d8", count=300, classes=4, dim=8)


def test_pca_layout_stored_reloaded_and_exact_both_ways(small_bundle):
    bundle = load_bundle(small_bundle)
    positions, maps, entry = compute_layout(bundle.latents, "pca")
    store_layout(bundle, "pca", positions, maps, entry)
    again = load_bundle(small_bundle)
    assert list(list_layouts(again)) == ["pca"]
    layout = load_layout(again, "pca")
    np.testing.assert_array_equal(layout.positions, positions)
    # the explorer's own PCA view puts every point in the same place
    from latentwalk.scenes.explorer.model.projection import fit_projection

    np.testing.assert_allclose(fit_projection(again.latents).to_3d(again.latents), positions, atol=1e-5)
    # inverse: mean + components; the components not shown stay at the training mean
    mean, axes = maps["pca.mean"], maps["pca.axes"]
    back = layout.to_latent(positions)
    expected = mean + (again.latents - mean) @ axes.T @ axes
    np.testing.assert_allclose(back, expected, atol=1e-5)
    np.testing.assert_allclose(layout.to_3d(back), positions, atol=1e-5)
    spread = np.linalg.norm(again.latents - again.latents.mean(0), axis=1).mean()
    measured = np.linalg.norm(back - again.latents, axis=1).mean() / spread
    assert entry["inverse"]["latent_error"] == pytest.approx(measured, rel=0.35)  # held-out rows only
    assert entry["forward"]["place_error"] == pytest.approx(0.0, abs=1e-5)
    written = json.loads((small_bundle / "model.json").read_text())
    assert written["layouts"]["pca"]["quality"]["k"] == 10
    assert written["latent_dim"] == 8  # the rest of model.json kept
    with pytest.raises(LayoutError, match="already has a layout named 'pca'"):
        store_layout(again, "pca", positions, maps, entry)


def test_umap_layout_inverse_within_reported_error(small_bundle):
    bundle = load_bundle(small_bundle)
    positions, maps, entry = compute_layout(bundle.latents, "umap", neighbors=10, seed=1)
    store_layout(bundle, "umap-10", positions, maps, entry)
    layout = load_layout(load_bundle(small_bundle), "umap-10")
    assert layout.method == "umap" and layout.info["params"]["neighbors"] == 10
    latents = bundle.latents
    spread = np.linalg.norm(latents - latents.mean(0), axis=1).mean()
    errors = np.linalg.norm(layout.to_latent(layout.positions) - latents, axis=1) / spread
    reported = entry["inverse"]["latent_error"]
    assert 0.0 < reported < 0.6
    assert errors.mean() <= reported * 1.25
    # the forward map puts a latent near its own place in the layout
    layout_spread = np.linalg.norm(positions - positions.mean(0), axis=1).mean()
    placed = np.linalg.norm(layout.to_3d(latents) - positions, axis=1) / layout_spread
    assert placed.mean() <= entry["forward"]["place_error"] * 1.25
    # UMAP keeps more neighbourhoods than PCA on these 8-d blobs
    pca_quality = layout_quality(latents, compute_layout(latents, "pca")[0])
    assert entry["quality"]["neighbours_kept"] > pca_quality.neighbours_kept


def _write_layout_files(bundle_path, positions):
    bundle = load_bundle(bundle_path)
    good_positions, maps, entry = compute_layout(bundle.latents, "pca")
    store_layout(bundle, "bad", good_positions, maps, entry, replace=True)
    np.save(bundle_path / "layouts" / "bad.npy", positions)
    return bundle_path / "layouts" / "bad.npy"


@pytest.mark.parametrize("problem, make, message", [
    ("nan", lambda n: np.where(np.arange(n)[:, None] == 7, np.nan, np.ones((n, 3))).astype(np.float32),
     "contains NaN or Inf"),
    ("rows", lambda n: np.zeros((n - 1, 3), np.float32), "rows but the bundle has"),
    ("width", lambda n: np.zeros((n, 2), np.float32), "a layout is 3-d"),
    ("dtype", lambda n: np.zeros((n, 3), np.int32), "expected float32"),
])
def test_hostile_layout_file_refused_in_one_line(tmp_path, problem, make, message):
    path = make_bundle(tmp_path / "b", count=60, classes=3, dim=5)
    npy = _write_layout_files(path, make(60))
    with pytest.raises(LayoutError) as caught:
        load_layout(load_bundle(path), "bad")
    text = str(caught.value)
    assert message in text and str(npy) in text and "\n" not in text


def test_layout_names_from_model_json_never_reach_outside_the_bundle(tmp_path):
    path = make_bundle(tmp_path / "b", count=60, classes=3, dim=5)
    meta = json.loads((path / "model.json").read_text())
    meta["layouts"] = {"../../etc": {"method": "pca"}, "ok": {"method": "nonsense"}}
    (path / "model.json").write_text(json.dumps(meta))
    bundle = load_bundle(path)
    assert list_layouts(bundle) == {}
    with pytest.raises(LayoutError, match="layout name"):
        load_layout(bundle, "../../etc")


def test_project_command_prints_quality_and_refuses_to_overwrite(tmp_path):
    path = make_bundle(tmp_path / "b", count=120, classes=3, dim=6)
    command = [sys.executable, "-m", "latentwalk", "project", "--model", str(path), "--method", "pca",
               "--no-progress"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "neighbours kept:" in done.stdout and "trustworthiness:" in done.stdout
    assert "back from 3-d" in done.stdout and "nearer their own point's image" in done.stdout
    assert (path / "layouts" / "pca.npy").is_file()
    again = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert again.returncode == 2 and "already has a layout" in again.stderr
    assert len(again.stderr.strip().splitlines()) == 1
    named = subprocess.run(command + ["--name", "../x"], capture_output=True, text=True, timeout=120)
    assert named.returncode == 2 and "--name" in named.stderr


def test_nearest_neighbours_are_exact_in_few_and_in_many_dimensions():
    from latentwalk.vae.layouts import KD_TREE_MAX_DIM, nearest_neighbours

    rng = np.random.default_rng(5)
    for dim in (5, KD_TREE_MAX_DIM + 8):  # a k-d tree, then brute force
        points = rng.normal(size=(300, dim)).astype(np.float32)
        indices, distances = nearest_neighbours(points, 7)
        full = np.sqrt(((points[:, None, :].astype(np.float64) - points[None, :, :]) ** 2).sum(axis=2))
        expected = np.argsort(full, axis=1, kind="stable")[:, :7]
        assert indices.dtype == np.int32 and distances.dtype == np.float32
        np.testing.assert_array_equal(indices[:, 0], np.arange(300))  # each point first, itself
        np.testing.assert_array_equal(np.sort(indices, axis=1), np.sort(expected, axis=1))
        np.testing.assert_allclose(distances, np.take_along_axis(full, expected, axis=1), atol=1e-4)


def test_umap_without_a_seed_uses_every_core_and_with_one_is_reproducible(small_bundle):
    from latentwalk.vae.layouts import nearest_neighbours, umap_reducer

    latents = load_bundle(small_bundle).latents
    start = compute_layout(latents, "pca")[0]
    free = umap_reducer(latents, None, 10, 0.1, start)
    assert free.random_state is None and free.n_jobs == -1
    seeded = umap_reducer(latents, 4, 10, 0.1, start)
    assert seeded.random_state == 4 and seeded.n_jobs == 1
    # both start from the PCA positions and are given the exact neighbours
    np.testing.assert_allclose(seeded.init, start / np.abs(start).max() * 10, rtol=1e-6)
    indices, distances = nearest_neighbours(latents, 10)
    np.testing.assert_array_equal(seeded.precomputed_knn[0], indices)
    np.testing.assert_array_equal(seeded.precomputed_knn[1], distances)
    first = compute_layout(latents, "umap", neighbors=10, seed=4)
    again = compute_layout(latents, "umap", neighbors=10, seed=4)
    np.testing.assert_array_equal(first[0], again[0])
    assert first[2]["seed"] == 4


def test_project_runs_without_a_seed_unless_given_one():
    from latentwalk.cli import build_parser

    assert build_parser().parse_args(["project", "--method", "umap"]).seed is None
    assert build_parser().parse_args(["project", "--method", "umap", "--seed", "3"]).seed == 3
    entry = compute_layout(np.random.default_rng(0).normal(size=(60, 5)).astype(np.float32), "pca")[2]
    assert entry["seed"] is None  # stored as it was run: no seed
