"""Colour pictures: loading a folder into the cache, training speed, and the colour decoders' speed.

    python bench/bench_colour.py [--pictures 10000] [--seconds 2] [--out bench/results/colour.md]

1. Picture loading: the bench writes N small JPEGs (two classes, 96x72, quality 90), decodes them into a
   fresh cache in 2 processes (as `train --images` does), then opens the folder again (the cache: no
   picture read) and reads one epoch of batches from it. Per-picture decode times come from one process
   decoding a 500-picture sample.
2. Training images/s on the CPU at 32x32 and 64x64, 1 and 2 threads: the shapes set, batch 64, per step.
3. Decoders on one thread, as the explorer's decoder worker runs them: hover (1 latent) and a 100-step
   walk (100 latents), the 64x64 and 32x32 colour decoders beside the bundled MNIST one.

Every cell is timed in this one run; other work on the machine widens p95/p99 (its load is printed).
"""
from __future__ import annotations

import argparse
import datetime
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

import benchenv  # noqa: E402,F401  (sys.path and the headless environment)

from latentwalk.vae.colour_model import ColourDecoder, NetworkSpec, default_widths  # noqa: E402
from latentwalk.vae.datasets import shapes_dataset  # noqa: E402
from latentwalk.vae.decode import decode_latents  # noqa: E402
from latentwalk.vae.images import decode_picture, load_picture_folder  # noqa: E402
from latentwalk.vae.train import TrainConfig, Trainer  # noqa: E402

DEFAULT_OUT = Path(__file__).resolve().parent / "results" / "colour.md"
PICTURE_SIZE = (96, 72)
WALK_STEPS = 100


def percentiles(times_ms: np.ndarray) -> tuple[float, float, float]:
    return tuple(float(v) for v in np.percentile(times_ms, [50, 95, 99]))


def write_jpegs(folder: Path, count: int) -> int:
    """`count` noisy two-colour JPEGs in two class folders; their total size in bytes."""
    from PIL import Image

    rng = np.random.default_rng(0)
    total = 0
    for index in range(count):
        name = "warm" if index % 2 else "cool"
        (folder / name).mkdir(parents=True, exist_ok=True)
        base = rng.integers(0, 256, 3)
        pixels = np.clip(base + rng.normal(0, 40, (PICTURE_SIZE[1] // 8, PICTURE_SIZE[0] // 8, 3)), 0, 255)
        image = Image.fromarray(pixels.astype(np.uint8)).resize(PICTURE_SIZE, Image.Resampling.BILINEAR)
        path = folder / name / f"{index:05d}.jpg"
        image.save(path, quality=90)
        total += path.stat().st_size
    return total


def bench_loading(count: int, rows: list[str]) -> None:
    with tempfile.TemporaryDirectory(prefix="latentwalk-bench-pictures-") as temp:
        root, cache = Path(temp) / "pictures", Path(temp) / "cache"
        size = write_jpegs(root, count)
        sample = sorted(root.rglob("*.jpg"))[:500]
        times = []
        for path in sample:
            started = time.perf_counter()
            decode_picture(path, 32)
            times.append((time.perf_counter() - started) * 1000)
        p50, p95, p99 = percentiles(np.array(times))
        rows.append(f"| decode one picture (1 process, 500 of them) | {1000 / np.mean(times):,.0f} | "
                    f"{p50:.2f} | {p95:.2f} | {p99:.2f} | per picture |")
        started = time.perf_counter()
        first = load_picture_folder(root, 32, progress=False, cache=cache, workers=2)
        cold = time.perf_counter() - started
        rows.append(f"| first run: {count:,} pictures into the cache (2 processes) | {count / cold:,.0f} | | | | "
                    f"{cold:.1f} s whole |")
        started = time.perf_counter()
        again = load_picture_folder(root, 32, progress=False, cache=cache)
        warm = time.perf_counter() - started
        assert again.decoded == 0 and len(again.images) == len(first.images) == count
        rows.append(f"| later run: the folder listed, the cache opened (no picture read) | {count / warm:,.0f} | | | | "
                    f"{warm:.2f} s whole |")
        order = np.random.default_rng(0).permutation(count)
        batch_times = []
        images = torch.from_numpy(again.images)
        started = time.perf_counter()
        for start in range(0, count, 128):
            step = time.perf_counter()
            batch = images[torch.from_numpy(order[start:start + 128])].permute(0, 3, 1, 2).float().div_(255)
            batch_times.append((time.perf_counter() - step) * 1000)
        epoch = time.perf_counter() - started
        del batch, images, again, first
        p50, p95, p99 = percentiles(np.array(batch_times))
        rows.append(f"| second epoch: batches of 128 from the cache (no picture read) | {count / epoch:,.0f} | "
                    f"{p50:.2f} | {p95:.2f} | {p99:.2f} | per batch |")
        rows.append(f"\nThe {count:,} JPEGs: {PICTURE_SIZE[0]}x{PICTURE_SIZE[1]}, quality 90, "
                    f"{size / count / 1024:.1f} KiB each, {size / 2 ** 20:.1f} MiB in all.")


def bench_training(seconds: float, rows: list[str]) -> None:
    for side, threads in ((32, 1), (32, 2), (64, 1), (64, 2)):
        dataset = shapes_dataset("shapes:512", side=side)
        trainer = Trainer(dataset, TrainConfig(latent_dim=32, batch_size=64, epochs=1000, threads=threads))
        times: list[float] = []
        trainer.train_epoch(False)  # warm-up
        deadline = time.perf_counter() + seconds
        last = [time.perf_counter()]

        def timed(step: int) -> None:
            now = time.perf_counter()
            times.append((now - last[0]) * 1000)
            last[0] = now
            if now > deadline and len(times) >= 12:
                raise StopIteration

        try:
            while True:
                last[0] = time.perf_counter()
                trainer.train_epoch(False, on_batch=timed)
        except StopIteration:
            pass
        steps = np.array(times[1:])
        p50, p95, p99 = percentiles(steps)
        rows.append(f"| {side}x{side} | {torch.get_num_threads()} | {trainer.model.spec.widths} | "
                    f"{64 * 1000 / steps.mean():,.0f} | {p50:.0f} | {p95:.0f} | {p99:.0f} | {len(steps)} |")


def bench_decoders(seconds: float, rows: list[str]) -> None:
    from latentwalk.vae.bundle import load_bundle

    torch.set_num_threads(1)
    decoders = []
    for side in (64, 32):
        torch.manual_seed(0)  # speed does not depend on the weights' values
        decoder = ColourDecoder(NetworkSpec(32, (side, side), 3, default_widths(side)))
        decoders.append((f"colour {side}x{side}, 32-d", decoder.to(memory_format=torch.channels_last).eval()))
    decoders.append(("MNIST 28x28 grey, 3-d (bundled)", load_bundle("mnist").load_decoder("cpu")))
    for name, decoder in decoders:
        for count, what in ((1, "hover"), (WALK_STEPS, f"{WALK_STEPS}-step walk")):
            latents = np.random.default_rng(count).normal(size=(count, decoder.latent_dim)).astype(np.float32)
            decode_latents(decoder, latents, batch_size=count)
            times = []
            deadline = time.perf_counter() + seconds
            while time.perf_counter() < deadline or len(times) < 5:
                started = time.perf_counter()
                decode_latents(decoder, latents, batch_size=count)
                times.append((time.perf_counter() - started) * 1000)
            p50, p95, p99 = percentiles(np.array(times))
            rows.append(f"| {name} | {what} | {p50:.2f} | {p95:.2f} | {p99:.2f} | {len(times)} |")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pictures", type=int, default=10_000, help="JPEGs written and loaded")
    parser.add_argument("--seconds", type=float, default=2.0, help="measuring time per training / decoding cell")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)

    load_before = os.getloadavg()[0]
    loading: list[str] = []
    bench_loading(args.pictures, loading)
    training: list[str] = []
    bench_training(args.seconds, training)
    decoding: list[str] = []
    bench_decoders(args.seconds, decoding)
    lines = [
        "# Colour pictures: loading, training, decoding (CPU)",
        "",
        f"{datetime.date.today().isoformat()}, torch {torch.__version__}, {platform.machine()}, "
        f"{os.cpu_count()} CPUs, load average {load_before:.1f} before and {os.getloadavg()[0]:.1f} after "
        "(other work on the machine shares its cores and widens p95/p99). No GPU at hand for this run.",
        "",
        "## Picture loading (`train --images`, 32x32 cache)",
        "",
        "| what | pictures/s | p50 ms | p95 ms | p99 ms | timed |",
        "| :--- | ---: | ---: | ---: | ---: | :--- |",
        *loading,
        "",
        "## Training on the CPU (shapes, batch 64)",
        "",
        "| pictures | threads | widths | images/s | p50 ms/step | p95 | p99 | steps |",
        "| :--- | ---: | :--- | ---: | ---: | ---: | ---: | ---: |",
        *training,
        "",
        "## Decoding on one CPU thread (as the explorer's decoder worker)",
        "",
        "| decoder | call | p50 ms | p95 ms | p99 ms | calls |",
        "| :--- | :--- | ---: | ---: | ---: | ---: |",
        *decoding,
    ]
    benchenv.publish(lines, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
