"""Nearest-neighbour index: query time (k=10), build time and memory at 60k and 1M points, d = 3 and 32.

    python bench/bench_neighbors.py [--queries 200] [--out bench/results/neighbors.md]

Rows per (N, d): the structures latentwalk.vae.neighbors can use (`grid` for d <= 3, `blocked`), scipy's
cKDTree when scipy happens to be installed (it is not a dependency: a reference point only), and the
float64 brute force that defines the exact answer. Each row's answers are checked against that brute
force on a sample of the queries. Latents are drawn N(0, I) like a VAE's, plus the bundled MNIST
model's own 60k when present; queries are data points moved by a little noise (hovering) and random
draws. "ratio" is the brute force's time over the row's, measured in this one run.
"""
from __future__ import annotations

import argparse
import datetime
import gc
import os
import platform
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np

import benchenv  # noqa: E402,F401  (sys.path and the headless environment)

from latentwalk.vae.neighbors import NeighborIndex, brute_force  # noqa: E402

K = 10
SIZES = (60_000, 1_000_000)
DIMS = (3, 32)
DEFAULT_OUT = Path(__file__).resolve().parent / "results" / "neighbors.md"
CHECKED = 5  # queries per row whose answer is compared with the brute force


def rss_bytes() -> int:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


class Brute:
    """The reference: every point, float64, lexsorted. Holds nothing beyond the latents."""
    nbytes = 0

    def __init__(self, latents: np.ndarray) -> None:
        self.latents = latents

    def query(self, query: np.ndarray, k: int):
        return brute_force(self.latents, query, k)


class ScipyTree:
    def __init__(self, latents: np.ndarray) -> None:
        from scipy.spatial import cKDTree

        self.tree = cKDTree(latents.astype(np.float64))
        self.nbytes = None  # its nodes live outside numpy: see the RSS column

    def query(self, query: np.ndarray, k: int):
        distances, indices = self.tree.query(query, k)
        return indices, distances


def builders(dim: int) -> dict:
    found = {}
    if dim <= 3:
        found["grid"] = lambda latents: NeighborIndex(latents, structure="grid")
    found["blocked"] = lambda latents: NeighborIndex(latents, structure="blocked")
    try:
        import scipy.spatial  # noqa: F401

        found["cKDTree (scipy, reference)"] = ScipyTree
    except ImportError:
        pass
    found["brute force float64"] = Brute
    return found


def build(make, latents: np.ndarray):
    """(index, build seconds, peak bytes numpy allocated while building, RSS growth)."""
    gc.collect()
    rss = rss_bytes()
    started = time.perf_counter()
    index = make(latents)
    seconds = time.perf_counter() - started
    grown = rss_bytes() - rss
    del index
    gc.collect()
    tracemalloc.start()
    index = make(latents)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return index, seconds, peak, grown


def per_query_ms(index, queries: np.ndarray, budget_s: float) -> float:
    """Median over the queries of one query's time (ms); fewer queries for slow rows."""
    times = []
    started = time.perf_counter()
    for query in queries:
        begun = time.perf_counter()
        index.query(query, K)
        times.append(time.perf_counter() - begun)
        if time.perf_counter() - started > budget_s and len(times) >= 5:
            break
    return 1000 * statistics.median(times)


def check(index, latents: np.ndarray, queries: np.ndarray) -> bool:
    for query in queries[:CHECKED]:
        expected = brute_force(latents, query, K)
        answer = index.query(query, K)
        indices = answer.indices if hasattr(answer, "indices") else np.asarray(answer[0])
        if not np.array_equal(indices, expected.indices):
            return False
    return True


def data_sets(rng: np.random.Generator):
    try:
        from latentwalk.vae.bundle import load_bundle

        bundle = load_bundle("mnist")
        yield f"mnist bundle ({bundle.latent_dim}-d)", bundle.latents
    except Exception as exc:  # the bench runs without the bundled model too
        print(f"skipping the mnist bundle: {exc}", file=sys.stderr)
    for size in SIZES:
        for dim in DIMS:
            yield f"N(0, I) {dim}-d", rng.normal(size=(size, dim)).astype(np.float32)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queries", type=int, default=200, help="queries per row (slow rows stop after ~2 s)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)

    rng = np.random.default_rng(0)
    rows = []
    for name, latents in data_sets(rng):
        size, dim = latents.shape
        near = latents[rng.integers(0, size, args.queries // 2)].astype(np.float64)
        near += rng.normal(0, 0.02, near.shape)
        queries = np.concatenate([near, rng.normal(size=(args.queries - len(near), dim))])
        rng.shuffle(queries)
        timings = {}
        for label, make in builders(dim).items():
            index, seconds, peak, grown = build(make, latents)
            timings[label] = per_query_ms(index, queries, budget_s=2.0)
            exact = check(index, latents, queries) if not isinstance(index, Brute) else True
            held = getattr(index, "nbytes", None)
            rows.append((name, size, dim, label, timings[label], seconds, held, peak, grown, exact))
            print(rows[-1], flush=True)
            del index
        reference = timings["brute force float64"]
        rows[-len(timings):] = [row + (reference / row[4],) for row in rows[-len(timings):]]

    mib = 1024 * 1024
    lines = [
        "# Nearest-neighbour index (k = 10)",
        "",
        f"{datetime.date.today().isoformat()}, numpy {np.__version__}, {platform.machine()}, {os.cpu_count()} CPUs. "
        f"Median time of one query over up to {args.queries} queries (half data points + noise, half N(0, I)); "
        "ratio: the float64 brute force's time over the row's, same run. Held: what the index keeps beyond "
        "the latents; build peak: numpy's peak allocation while building (tracemalloc); RSS: the process's "
        "growth over the first build. exact: the answers of the first queries equal the brute force's.",
        "",
        "| data | N | d | structure | query ms | ratio | build s | held MiB | build peak MiB | RSS MiB | exact |",
        "| --- | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for name, size, dim, label, query_ms, seconds, held, peak, grown, exact, ratio in rows:
        held_text = "-" if held is None else f"{held / mib:.1f}"
        lines.append(f"| {name} | {size:,} | {dim} | {label} | {query_ms:.3f} | {ratio:,.0f}x | {seconds:.3f} | "
                     f"{held_text} | {peak / mib:.1f} | {grown / mib:.1f} | {'yes' if exact else 'NO'} |")
    benchenv.publish(lines, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
