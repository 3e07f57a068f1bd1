"""The neighbour index equals a float64 brute force over every point, written here independently:
random data in 1, 2, 3 and 32 dimensions, awkward data (duplicates, flat axes, one point, far queries),
and the bundled MNIST model."""
import numpy as np
import pytest

from latentwalk.vae.bundle import load_bundle
from latentwalk.vae.errors import VaeError
from latentwalk.vae.neighbors import NeighborIndex, NeighborsError, PendingIndex


def reference(latents: np.ndarray, query, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Nearest first by float64 distance, then by index."""
    squared = ((latents.astype(np.float64) - np.asarray(query, dtype=np.float64)) ** 2).sum(axis=1)
    order = np.lexsort((np.arange(len(latents)), squared))[:k]
    return order, np.sqrt(squared[order])


def assert_same(index: NeighborIndex, latents: np.ndarray, query, k: int) -> None:
    found = index.query(query, k)
    indices, distances = reference(latents, query, k)
    np.testing.assert_array_equal(found.indices, indices)
    np.testing.assert_allclose(found.distances, distances, rtol=1e-12, atol=0)


def queries_for(latents: np.ndarray, rng: np.random.Generator, count: int) -> list[np.ndarray]:
    """Data points, points near them, random points at several scales, and far outside the data."""
    dim = latents.shape[1]
    picks = latents[rng.integers(0, len(latents), count)].astype(np.float64)
    near = picks + rng.normal(0, 0.02, picks.shape)
    spread = rng.normal(size=(count, dim)) * rng.choice([0.3, 1.0, 3.0], size=(count, 1))
    far = rng.normal(size=(4, dim)) * 1e3
    return [*picks, *near, *spread, *far]


@pytest.mark.parametrize("dim, structure", [(1, "grid"), (2, "grid"), (3, "grid"), (3, "blocked"), (32, "blocked")])
def test_random_data_matches_brute_force(dim, structure):
    rng = np.random.default_rng(dim)
    latents = rng.normal(size=(3000, dim)).astype(np.float32)
    latents[:300] *= 0.05  # a dense core next to sparse tails, as trained latents have
    index = NeighborIndex(latents, structure=structure)
    assert index.structure == structure
    for query, k in zip(queries_for(latents, rng, 15), [1, 5, 10, 40] * 20):
        assert_same(index, latents, query, k)


def test_auto_picks_grid_up_to_three_dimensions_then_blocked():
    rng = np.random.default_rng(0)
    assert NeighborIndex(rng.normal(size=(50, 3)).astype(np.float32)).structure == "grid"
    assert NeighborIndex(rng.normal(size=(50, 4)).astype(np.float32)).structure == "blocked"


@pytest.mark.parametrize("structure", ["grid", "blocked"])
def test_ties_are_broken_by_index(structure):
    rng = np.random.default_rng(1)
    base = rng.normal(size=(40, 3)).astype(np.float32)
    latents = np.concatenate([base, base, base])  # every point three times: indices i, i+40, i+80
    index = NeighborIndex(latents, structure=structure)
    found = index.query(base[7], 5)
    assert list(found.indices[:3]) == [7, 47, 87]
    np.testing.assert_array_equal(found.distances[:3], 0.0)
    assert_same(index, latents, base[7], 5)
    # A data-set point comes first itself, before an identical point with a smaller index.
    assert list(index.query_index(87, 4).indices[:3]) == [87, 7, 47]


@pytest.mark.parametrize("structure", ["grid", "blocked"])
def test_lattice_points_at_equal_distances(structure):
    grid = np.stack(np.meshgrid(*[np.arange(6.0)] * 3, indexing="ij"), axis=-1).reshape(-1, 3).astype(np.float32)
    index = NeighborIndex(grid, structure=structure)
    for query in ([2.0, 3.0, 1.0], [2.5, 2.5, 2.5], [0.0, 0.0, 0.0], [5.5, -1.0, 2.0]):
        assert_same(index, grid, query, 27)


def test_degenerate_data_sets():
    one = np.array([[1.0, 2.0, 3.0]], np.float32)
    found = NeighborIndex(one).query([0.0, 0.0, 0.0], 10)  # k above N: every point, no error
    assert list(found.indices) == [0] and found.distances[0] == pytest.approx(np.sqrt(14.0))
    flat = np.zeros((200, 3), np.float32)
    flat[:, 0] = np.linspace(-1, 1, 200)  # two axes without any spread
    assert_same(NeighborIndex(flat), flat, [0.3, 0.0, 5.0], 7)
    same = np.ones((50, 2), np.float32)
    assert list(NeighborIndex(same).query([1.0, 1.0], 3).indices) == [0, 1, 2]
    rng = np.random.default_rng(2)
    outliers = rng.normal(size=(300, 3)).astype(np.float32)
    outliers[:2, 0] = [3e38, -3e38]  # extents near float32's limit beside a tight blob
    assert_same(NeighborIndex(outliers), outliers, [0.1, 0.2, -0.3], 10)
    assert_same(NeighborIndex(outliers), outliers, [1e38, 0.0, 0.0], 3)


def test_bad_queries_are_refused_in_one_line():
    index = NeighborIndex(np.random.default_rng(0).normal(size=(100, 3)).astype(np.float32))
    cases = [
        (lambda: index.query([0.0, 1.0], 3), "latent has 2 values, the model's latent space has 3"),
        (lambda: index.query([0.0, np.nan, 1.0], 3), "latent contains NaN or Inf"),
        (lambda: index.query([np.inf, 0.0, 1.0], 3), "latent contains NaN or Inf"),
        (lambda: index.query(["a", "b", "c"], 3), "is not a list of numbers"),
        (lambda: index.query([0.0, 0.0, 0.0], 0), "k must be a whole number of at least 1, got 0"),
        (lambda: index.query_index(100, 3), "index 100 is out of range: the data set has 100 points (0..99)"),
        (lambda: index.query_index(-1, 3), "index -1 is out of range"),
    ]
    for call, message in cases:
        with pytest.raises(NeighborsError) as caught:
            call()
        assert message in str(caught.value) and "\n" not in str(caught.value)
        assert isinstance(caught.value, VaeError)  # the CLI's one-line error path knows it
    with pytest.raises(NeighborsError, match="NaN or Inf"):
        NeighborIndex(np.array([[0.0, np.nan]], np.float32))


def test_bundled_model_matches_brute_force():
    bundle = load_bundle("mnist")
    index = NeighborIndex(bundle.latents)
    assert index.structure == "grid" and index.size == len(bundle.latents) == 60000
    rng = np.random.default_rng(8)
    for query in queries_for(bundle.latents, rng, 8):
        assert_same(index, bundle.latents, query, 10)
    for point in rng.integers(0, len(bundle.latents), 10):
        found = index.query_index(int(point), 10)
        assert found.indices[0] == point and found.distances[0] == 0.0
        assert np.all(np.diff(found.distances) >= 0)


def test_index_builds_off_the_calling_thread():
    import threading

    latents = np.random.default_rng(3).normal(size=(5000, 3)).astype(np.float32)
    threads = []
    pending = PendingIndex(latents, on_ready=lambda p: threads.append(threading.current_thread()))
    assert pending.wait(30) and pending.ready and pending.error is None
    assert threads and threads[0] is not threading.main_thread()
    assert_same(pending.index, latents, latents[11], 10)
    broken = PendingIndex(np.full((4, 3), np.nan, np.float32))
    assert broken.wait(30) and broken.index is None
    assert broken.error == "neighbour index: latents contain NaN or Inf"


@pytest.mark.parametrize("dim", [3, 32])
def test_many_queries_at_once_match_one_at_a_time(dim):
    rng = np.random.default_rng(5)
    latents = rng.normal(size=(2000, dim)).astype(np.float32)
    index = NeighborIndex(latents)
    queries = rng.normal(size=(25, dim))
    for query, found in zip(queries, index.query_many(queries, 7)):
        np.testing.assert_array_equal(found.indices, reference(latents, query, 7)[0])
    with pytest.raises(NeighborsError, match=r"expected \(Q, " + str(dim)):
        index.query_many(queries[:, :2], 7)
    with pytest.raises(NeighborsError, match="NaN or Inf"):
        index.query_many(np.full((2, dim), np.nan), 7)
