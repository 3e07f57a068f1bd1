"""3-d layouts of 60,000 latents of a d > 3 model: PCA, UMAP, t-SNE time, memory and quality, and
placing one new point (the layout's forward network, against UMAP's own transform).

    python bench/bench_layouts.py [--dim 8] [--epochs 2] [--tsne-points 60000] [--out bench/results/layouts.md]

The model is trained here on the full MNIST in ../shared/datasets/mnist (benches only, never tests),
for --epochs, with latent width --dim; its 60k training latents are laid out by each method through
latentwalk.vae.layouts.compute_layout, the code `latentwalk project` runs. Times are one run each
(minutes); placing one point is timed over many calls (p50/p95/p99). Peak memory is the process's
peak resident size after each method (methods run in order, so each figure bounds the ones before).
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
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="latentwalk-bench-layouts-"))
    dataset = load_dataset("mnist", SHARED / "datasets" / "mnist", download=False, progress=False)
    started = time.perf_counter()
    bundle_path = train(dataset, work / f"mnist{args.dim}", TrainConfig(latent_dim=args.dim, epochs=args.epochs,
                                                                         device="cpu"), progress=False)
    train_s = time.perf_counter() - started
    bundle = load_bundle(bundle_path)
    decoder = bundle.load_decoder()
    latents = bundle.latents
    print(f"trained d={args.dim} on {len(latents)} images in {train_s:.0f} s", flush=True)

    reducers = {}
    fit_umap = layouts_module._fit_umap

    def keep_umap(latents_, seed, neighbors, min_dist):
        import umap

        reducer = umap.UMAP(n_components=3, n_neighbors=neighbors, min_dist=min_dist, random_state=seed,
                            n_jobs=1 if seed is not None else -1)
        raw = np.asarray(reducer.fit_transform(latents_), np.float32)
        reducers["umap"] = (reducer, raw)
        return raw

    layouts_module._fit_umap = keep_umap
    rows = []
    results = {}
    for method in args.methods.split(","):
        points = latents if method != "tsne" else latents[:args.tsne_points]
        start = time.perf_counter()
        positions, maps, entry = layouts_module.compute_layout(points, method, seed=0,
                                                               decode=lambda z: decode_latents(decoder, z))
        total = time.perf_counter() - start
        results[method] = (positions, maps, entry)
        layout = layouts_module.Layout(method, method, positions, maps, entry)
        one = latents[12345:12346]
        place = timed_calls(lambda: layout.to_3d(one))
        back = timed_calls(lambda: layout.to_latent(positions[:1]))
        q, inv, fwd = entry["quality"], entry["inverse"], entry["forward"]
        rows.append(f"| {method} | {len(points):,} | {entry['seconds']:.1f} | {total:.1f} | {peak_rss_mib():.0f} | "
                    f"{100 * q['neighbours_kept']:.1f}% | {q['trustworthiness']:.4f} | "
                    f"{100 * inv['latent_error']:.1f}% | {100 * inv.get('image_nearer_than_most', float('nan')):.1f}% | "
                    f"{100 * fwd['place_error']:.1f}% | {place[0]:.3f} / {place[1]:.3f} / {place[2]:.3f} | "
                    f"{back[0]:.3f} / {back[1]:.3f} / {back[2]:.3f} |")
        print(rows[-1], flush=True)
    layouts_module._fit_umap = fit_umap

    transform_lines = []
    if "umap" in reducers:
        reducer, raw = reducers["umap"]
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

    lines = [
        "# Layouts: PCA, UMAP, t-SNE of 60,000 latents",
        "",
        f"{datetime.date.today()} · {platform.machine()} · {os.cpu_count()} cores (shared with other work: "
        f"times are upper bounds) · python {platform.python_version()} · `python bench/bench_layouts.py "
        f"--dim {args.dim} --epochs {args.epochs} --tsne-points {args.tsne_points}`",
        "",
        f"Model: d = {args.dim}, trained here on the full MNIST training set for {args.epochs} epochs "
        f"({train_s:.0f} s). Quality over 2,000 sampled points, k = 10, neighbours searched among all points; "
        "the maps' figures on held-out points (10%, at most 2,000; images: 200 of them).",
        "",
        "| method | points | fit s | total s (maps, quality) | peak RSS MiB | neighbours kept | trustworthiness | "
        "back to z: error / spread | decoded image nearer own than most | place error | place one point ms "
        "p50 / p95 / p99 | 3-d -> z one point ms p50 / p95 / p99 |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
        *rows,
        *transform_lines,
    ]
    benchenv.publish(lines, args.out)


if __name__ == "__main__":
    main()
