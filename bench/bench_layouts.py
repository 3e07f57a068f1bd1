"""3-d layouts of 60,000 latents of a d > 3 model: PCA, UMAP, t-SNE time, memory and quality, and
placing one new point (the layout's forward network, against UMAP's own transform).

    python bench/bench_layouts.py [--dim 8] [--epochs 2] [--bundle PATH] [--tsne-points 60000] [--out ...]

The model is trained here on the full MNIST in ../shared/datasets/mnist (benches only, never tests),
for --epochs, with latent width --dim, unless --bundle names one already made; its training latents
are laid out by each method through latentwalk.vae.layouts.compute_layout, the code `latentwalk
project` runs (without a seed, as `project` runs by default). Times are one run each (minutes), wall
and CPU (this process's threads and any children: the machine is shared, so CPU time is the steadier
figure); placing one point is timed over many calls (p50/p95/p99). Peak memory is the process's peak
resident size after each method (methods run in order, so each figure bounds the ones before).
--ab also fits UMAP the way it was fitted before (seeded, so on one thread; umap-learn's approximate
neighbours and spectral start) and as now with a seed, on the same latents in the same run.
"""
from __future__ import annotations

import argparse
import datetime
import os
import platform
import resource
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

import benchenv  # noqa: E402,F401  (sys.path and the headless environment)

from latentwalk.vae import layouts as layouts_module  # noqa: E402
from latentwalk.vae.bundle import load_bundle  # noqa: E402
from latentwalk.vae.datasets import load_dataset  # noqa: E402
from latentwalk.vae.decode import decode_latents  # noqa: E402
from latentwalk.vae.train import TrainConfig, train  # noqa: E402

SHARED = Path(os.environ.get("LATENTWALK_SHARED", benchenv.ROOT.parent / "shared"))
DEFAULT_OUT = benchenv.RESULTS_DIR / "layouts.md"
PLACE_CALLS = 300


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def cpu_seconds() -> float:
    """CPU time of this process's threads and of its finished children."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def load_average() -> float:
    return os.getloadavg()[0]


def percentiles(samples: list[float]) -> tuple[float, float, float]:
    ordered = sorted(samples)
    pick = lambda q: ordered[min(len(ordered) - 1, int(q * len(ordered)))]  # noqa: E731
    return pick(0.50), pick(0.95), pick(0.99)


def timed_calls(fn, calls: int = PLACE_CALLS) -> tuple[float, float, float]:
    fn()  # first call: compilation and caches
    samples = []
    for _ in range(calls):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return percentiles(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dim", type=int, default=8)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--tsne-points", type=int, default=60_000, help="t-SNE on the first N points only")
    parser.add_argument("--methods", default="pca,umap,tsne")
    parser.add_argument("--bundle", type=Path, default=None, help="lay out this bundle's latents (no training)")
    parser.add_argument("--ab", action=argparse.BooleanOptionalAction, default=True,
                        help="UMAP as before against as now, in this run")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args()

    train_s = None
    if args.bundle is None:
        work = Path(tempfile.mkdtemp(prefix="latentwalk-bench-layouts-"))
        dataset = load_dataset("mnist", SHARED / "datasets" / "mnist", download=False, progress=False)
        started = time.perf_counter()
        bundle_path = train(dataset, work / f"mnist{args.dim}", TrainConfig(latent_dim=args.dim, epochs=args.epochs,
                                                                             device="cpu"), progress=False)
        train_s = time.perf_counter() - started
    else:
        bundle_path = args.bundle
    bundle = load_bundle(bundle_path)
    decoder = bundle.load_decoder()
    latents = bundle.latents
    print(f"d={bundle.latent_dim}, {len(latents)} points", flush=True)

    reducers = {}
    fit_umap = layouts_module._fit_umap

    def keep_umap(latents_, seed, neighbors, min_dist, init):
        import warnings

        reducer = layouts_module.umap_reducer(latents_, seed, neighbors, min_dist, init)
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*knn_search_index.*")
            raw = np.asarray(reducer.fit_transform(latents_), np.float32)
        reducers["umap"] = (reducer, raw)
        return raw

    layouts_module._fit_umap = keep_umap
    rows = []
    results = {}
    loads = []
    for method in args.methods.split(","):
        points = latents if method != "tsne" else latents[:args.tsne_points]
        loads.append(load_average())
        start, start_cpu = time.perf_counter(), cpu_seconds()
        positions, maps, entry = layouts_module.compute_layout(points, method,
                                                               decode=lambda z: decode_latents(decoder, z))
        total, total_cpu = time.perf_counter() - start, cpu_seconds() - start_cpu
        loads.append(load_average())
        results[method] = (positions, maps, entry)
        layout = layouts_module.Layout(method, method, positions, maps, entry)
        one = latents[12345:12346]
        place = timed_calls(lambda: layout.to_3d(one))
        back = timed_calls(lambda: layout.to_latent(positions[:1]))
        q, inv, fwd = entry["quality"], entry["inverse"], entry["forward"]
        rows.append(f"| {method} | {len(points):,} | {entry['seconds']:.1f} | {total:.1f} | {total_cpu:.1f} | "
                    f"{peak_rss_mib():.0f} | "
                    f"{100 * q['neighbours_kept']:.1f}% | {q['trustworthiness']:.4f} | "
                    f"{100 * inv['latent_error']:.1f}% | {100 * inv.get('image_nearer_than_most', float('nan')):.1f}% | "
                    f"{100 * fwd['place_error']:.1f}% | {place[0]:.3f} / {place[1]:.3f} / {place[2]:.3f} | "
                    f"{back[0]:.3f} / {back[1]:.3f} / {back[2]:.3f} |")
        print(rows[-1], flush=True)
    layouts_module._fit_umap = fit_umap

    ab_lines = umap_before_and_now(latents) if args.ab and "umap" in results else []
    transform_lines = []
    if "umap" in reducers:
        reducer, raw = reducers["umap"]
        # the layout's neighbours were given to umap, so it kept no search index; transform needs one
        from pynndescent import NNDescent

        reducer._knn_search_index = NNDescent(latents, n_neighbors=reducer.n_neighbors, random_state=0)
        positions, maps, entry = results["umap"]
        scale = float(np.sqrt(((positions - positions.mean(0)) ** 2).sum(1).mean())
                      / np.sqrt(((raw - raw.mean(0)) ** 2).sum(1).mean()))
        layout = layouts_module.Layout("umap", "umap", positions, maps, entry)
        new = latents[:500] + np.random.default_rng(0).normal(0, 0.05, (500, latents.shape[1])).astype(np.float32)
        own = (np.asarray(reducer.transform(new), np.float32) - raw.mean(0)) * scale
        mlp = layout.to_3d(new)
        spread = float(np.linalg.norm(positions - positions.mean(0), axis=1).mean())
        agreement = float(np.linalg.norm(own - mlp, axis=1).mean()) / spread
        stay = float(np.linalg.norm(own - positions[:500], axis=1).mean()) / spread
        stay_mlp = float(np.linalg.norm(mlp - positions[:500], axis=1).mean()) / spread
        umap_place = timed_calls(lambda: reducer.transform(new[:1]), calls=30)
        transform_lines = [
            "",
            "Placing a new point (500 training latents moved by N(0, 0.05) noise), UMAP layout:",
            "",
            "| how | ms p50 / p95 / p99 (one point) | distance to the point's own place, of the layout's spread |",
            "|---|---|---|",
            f"| the layout's forward network (what the explorer uses) | see the table above | {100 * stay_mlp:.1f}% |",
            f"| umap's transform (needs the pickled UMAP object) | {umap_place[0]:.1f} / {umap_place[1]:.1f} / "
            f"{umap_place[2]:.1f} | {100 * stay:.1f}% |",
            "",
            f"The two disagree by {100 * agreement:.1f}% of the layout's spread on average.",
        ]

    made = (f"trained here on the full MNIST training set for {args.epochs} epochs ({train_s:.0f} s)"
            if train_s is not None else f"the bundle {bundle_path.name} ({bundle.meta.get('dataset', '?')})")
    command = (f"--dim {args.dim} --epochs {args.epochs}" if args.bundle is None else f"--bundle {bundle_path.name}")
    lines = [
        f"# Layouts: PCA, UMAP, t-SNE of {len(latents):,} latents",
        "",
        f"{datetime.date.today()} · {platform.machine()} · {os.cpu_count()} cores (shared with other work: "
        f"wall times are upper bounds; load average {min(loads):.1f} to {max(loads):.1f} at the methods' starts "
        f"and ends) · python {platform.python_version()} · `python bench/bench_layouts.py {command} "
        f"--tsne-points {args.tsne_points} --methods {args.methods}`",
        "",
        f"Model: d = {bundle.latent_dim}, {made}. Quality over 2,000 sampled points, k = 10, neighbours searched "
        "among all points; the maps' figures on held-out points (10%, at most 2,000; images: 200 of them).",
        "",
        "| method | points | fit s | total s (maps, quality) | total CPU s | peak RSS MiB | neighbours kept | "
        "trustworthiness | back to z: error / spread | decoded image nearer own than most | place error | "
        "place one point ms p50 / p95 / p99 | 3-d -> z one point ms p50 / p95 / p99 |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
        *rows,
        *ab_lines,
        *transform_lines,
    ]
    benchenv.publish(lines, args.out)


def umap_before_and_now(latents: np.ndarray) -> list[str]:
    """UMAP's fit as it was made before (seeded: one thread, umap-learn's own approximate neighbours
    and spectral start) against now (exact neighbours, PCA start), with a seed and without."""
    import warnings

    import umap

    from latentwalk.vae.layout_quality import layout_quality

    pca_positions = layouts_module.compute_layout(latents, "pca")[0]
    ways = {
        "before: seed 0 (one thread), approximate neighbours, spectral start":
            lambda: umap.UMAP(n_components=3, n_neighbors=15, min_dist=0.1, random_state=0, n_jobs=1),
        "now, seed 0 (one thread)": lambda: layouts_module.umap_reducer(latents, 0, 15, 0.1, pca_positions),
        "now, no seed (every core; what `project` does by default)":
            lambda: layouts_module.umap_reducer(latents, None, 15, 0.1, pca_positions),
    }
    lines = ["", "UMAP's fit, the way before against now, on the same latents in this run (fit only: the "
             "neighbour search included, the maps and quality not):", "",
             "| how | fit s | fit CPU s | load average start / end | neighbours kept | trustworthiness |",
             "|---|---|---|---|---|---|"]
    for name, make in ways.items():
        before_load = load_average()
        start, start_cpu = time.perf_counter(), cpu_seconds()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            raw = make().fit_transform(latents)
        wall, cpu = time.perf_counter() - start, cpu_seconds() - start_cpu
        quality = layout_quality(latents, raw)
        lines.append(f"| {name} | {wall:.1f} | {cpu:.1f} | {before_load:.1f} / {load_average():.1f} | "
                     f"{100 * quality.neighbours_kept:.1f}% | {quality.trustworthiness:.4f} |")
        print(lines[-1], flush=True)
    return lines


if __name__ == "__main__":
    main()
