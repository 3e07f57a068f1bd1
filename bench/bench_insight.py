"""What the Draw, Activations and Weights panels cost their worker, on one torch thread (as the workers
run): a stroke's update (paint, MNIST-style preprocessing, encoder), one latent's decoder layers with
their channel grids, a two-bundle CKA comparison, and the weights as colour, each against one batch-1
decode (what a hovered point costs), measured side by side in this run.

    python bench/bench_insight.py [--model mnist|PATH] [--repeats 30] [--out bench/results/insight.md]
"""
from __future__ import annotations

import argparse
import datetime
import os
import platform
import statistics
import time
from pathlib import Path

import numpy as np
import torch

import benchenv  # noqa: F401  (sys.path and the headless environment)

from latentwalk.scenes.explorer.tools.drawing import Canvas  # noqa: E402
from latentwalk.vae.activations import channel_grid, decoder_activations  # noqa: E402
from latentwalk.vae.bundle import load_bundle  # noqa: E402
from latentwalk.vae.decode import decode_latents  # noqa: E402
from latentwalk.vae.encode import encode_inputs, to_model_input  # noqa: E402
from latentwalk.vae.similarity import WEIGHT_LAYERS, compare_bundles, weights_image  # noqa: E402

DEFAULT_OUT = Path(__file__).resolve().parent / "results" / "insight.md"


def median_ms(work, repeats: int) -> float:
    work()  # warm-up
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        work()
        times.append((time.perf_counter() - started) * 1000.0)
    return statistics.median(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="mnist")
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    bundle = load_bundle(args.model)
    decoder, encoder = bundle.load_decoder(), bundle.load_encoder()
    latent = bundle.latents[7]

    canvas = Canvas(bundle.image_shape)
    canvas.begin_stroke((8.0, 6.0))
    for step in range(12):
        canvas.continue_stroke((8.0 + step, 6.0 + 1.3 * step))
    pixels = canvas.pixels.copy()

    def one_segment():
        canvas.continue_stroke((float(np.random.uniform(4, 24)), float(np.random.uniform(4, 24))))

    rows = [
        ("decode one latent (the hover's cost)", median_ms(lambda: decode_latents(decoder, latent[None]), args.repeats)),
        ("paint one brush segment", median_ms(one_segment, args.repeats)),
        ("preprocess the drawing as MNIST (crop, scale, centre)",
         median_ms(lambda: to_model_input(pixels, bundle.image_shape, keep_fitting=False), args.repeats)),
        ("encode one drawing (batch 1)", median_ms(lambda: encode_inputs(encoder, pixels), args.repeats)),
        ("decoder layers + channel grids for one latent",
         median_ms(lambda: [channel_grid(layer.values) for layer in decoder_activations(decoder, latent)],
                   args.repeats)),
        ("weights as colour, all decoder layers",
         median_ms(lambda: [weights_image(layer, decoder) for layer, _ in WEIGHT_LAYERS], args.repeats)),
        ("compare two bundles, 200 images (the panel's)",
         median_ms(lambda: compare_bundles(bundle, bundle, samples=200), max(3, args.repeats // 10))),
        ("compare two bundles, 500 images (the CLI's default)",
         median_ms(lambda: compare_bundles(bundle, bundle, samples=500), max(3, args.repeats // 10))),
    ]
    baseline = rows[0][1]
    lines = [
        "# Draw, Activations, Weights: worker costs (CPU, 1 torch thread)",
        "",
        f"{datetime.date.today().isoformat()}, bundle {bundle.path.name}, torch {torch.__version__}, "
        f"{platform.machine()}, {os.cpu_count()} CPUs, median of {args.repeats} runs (compare: fewer). "
        "Ratio: against decoding one latent, same run. Measured on a machine shared with other work: "
        "compare ratios, not milliseconds.",
        "",
        "| work | ms | ratio |",
        "| --- | ---: | ---: |",
    ]
    lines += [f"| {name} | {ms:,.2f} | {ms / baseline:,.1f}x |" for name, ms in rows]
    benchenv.publish(lines, args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
