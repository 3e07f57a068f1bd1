"""Decoder throughput on the CPU: images/s at batch 1, 16, 64, 256 with 1 and 2 torch threads.

    python bench/bench_decode.py [--model mnist|PATH] [--seconds 1.0] [--out bench/results/decode.md]

Every cell is measured in this one run, so the ratio column (against batch 1, 1 thread) is what
to compare across machines; absolute numbers move with the machine and its load.
"""
from __future__ import annotations

import argparse
import datetime
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import torch

import benchenv  # noqa: E402,F401  (sys.path and the headless environment)

from latentwalk.vae.bundle import list_bundled_models, load_bundle  # noqa: E402
from latentwalk.vae.decode import decode_latents  # noqa: E402
from latentwalk.vae.model import ConvDecoder  # noqa: E402

BATCHES = (1, 16, 64, 256)
THREADS = (1, 2)
DEFAULT_OUT = Path(__file__).resolve().parent / "results" / "decode.md"


def load_decoder(model: str | None) -> tuple[ConvDecoder, str]:
    if model is None and "mnist" in list_bundled_models():
        model = "mnist"
    if model is None:
        torch.manual_seed(0)  # speed does not depend on the weights' values
        return ConvDecoder(3).eval(), "untrained 3-d ConvDecoder (no bundled model found)"
    bundle = load_bundle(model)
    return bundle.load_decoder("cpu"), f"bundle {bundle.path.name} ({bundle.latent_dim}-d latent)"


def images_per_second(decoder: ConvDecoder, batch: int, seconds: float, repeats: int = 5) -> float:
    """Median over `repeats` timed windows of whole decode_latents calls."""
    latents = np.random.default_rng(batch).normal(size=(batch, decoder.latent_dim)).astype(np.float32)
    decode_latents(decoder, latents, batch_size=batch)  # warm-up: allocator, kernels
    rates = []
    for _ in range(repeats):
        calls, started = 0, time.perf_counter()
        while (elapsed := time.perf_counter() - started) < seconds / repeats:
            decode_latents(decoder, latents, batch_size=batch)
            calls += 1
        rates.append(calls * batch / elapsed)
    return statistics.median(rates)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", help="bundled model name or bundle folder (default: mnist if bundled)")
    parser.add_argument("--seconds", type=float, default=1.0, help="measuring time per cell")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)

    decoder, described = load_decoder(args.model)
    results: dict[tuple[int, int], float] = {}
    for threads in THREADS:
        torch.set_num_threads(threads)
        for batch in BATCHES:
            results[threads, batch] = images_per_second(decoder, batch, args.seconds)
    baseline = results[1, 1]

    lines = [
        "# Decoder throughput (CPU)",
        "",
        f"{datetime.date.today().isoformat()}, {described}, torch {torch.__version__}, "
        f"{platform.machine()}, {os.cpu_count()} CPUs, "
        f"{args.seconds:g} s per cell, median of 5 windows. Ratio: against batch 1 on 1 thread, same run.",
        "",
        "| threads | batch | images/s | ms per batch | ratio |",
        "| ---: | ---: | ---: | ---: | ---: |",
    ]
    for (threads, batch), rate in results.items():
        lines.append(f"| {threads} | {batch} | {rate:,.0f} | {1000 * batch / rate:.2f} | {rate / baseline:.2f}x |")
    benchenv.publish(lines, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
