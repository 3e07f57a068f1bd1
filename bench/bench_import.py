"""An imported ONNX decoder against the same model in torch, on the CPU: images/s at batch 1 and 64.

    python bench/bench_import.py [--seconds 2.0] [--out bench/results/import.md]

The bundled MNIST decoder (sigmoid included, as the explorer shows it) is exported with torch.onnx,
imported with `latentwalk import-model`, and both are timed through `decode_latents` on one thread, as
the explorer's decoder worker runs them. Every call is timed: p50/p95/p99 are per call, images/s is
batch / mean call time. Both columns come from this one run on this one machine.
"""
from __future__ import annotations

import argparse
import datetime
import os
import platform
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import torch

import benchenv  # noqa: E402,F401  (sys.path and the headless environment)

from latentwalk import cli  # noqa: E402
from latentwalk.vae.bundle import load_bundle  # noqa: E402
from latentwalk.vae.decode import decode_latents  # noqa: E402

BATCHES = (1, 64)
DEFAULT_OUT = Path(__file__).resolve().parent / "results" / "import.md"


def export_mnist(folder: Path):
    """(torch decoder, imported bundle) of the bundled MNIST model."""
    bundle = load_bundle("mnist")
    decoder = bundle.load_decoder("cpu")
    path = folder / "mnist_decoder.onnx"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(torch.nn.Sequential(decoder, torch.nn.Sigmoid()).eval(), (torch.zeros(1, bundle.latent_dim),),
                          str(path), input_names=["z"], output_names=["image"],
                          dynamic_axes={"z": {0: "n"}, "image": {0: "n"}}, dynamo=False)
    np.save(folder / "z.npy", bundle.latents)
    np.save(folder / "labels.npy", bundle.labels.astype(np.int64))
    status = cli.main(["import-model", str(path), "--out", str(folder / "bundle"), "--latents", str(folder / "z.npy"),
                       "--labels", str(folder / "labels.npy"), "--dataset", "mnist"])
    if status != 0:
        raise SystemExit(f"import-model failed ({status})")
    return decoder, load_bundle(folder / "bundle").load_decoder("cpu"), bundle.latent_dim


def call_times(decoder, latents: np.ndarray, seconds: float) -> np.ndarray:
    """Seconds per decode_latents call of the whole `latents` batch, for `seconds` (at least 50 calls)."""
    decode_latents(decoder, latents, batch_size=len(latents))  # warm-up
    times, started = [], time.perf_counter()
    while time.perf_counter() - started < seconds or len(times) < 50:
        begin = time.perf_counter()
        decode_latents(decoder, latents, batch_size=len(latents))
        times.append(time.perf_counter() - begin)
    return np.asarray(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=2.0, help="measuring time per cell")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    torch.set_num_threads(1)  # the decoder worker's setting on the CPU (onnxruntime's session: 1 thread too)
    import onnxruntime

    with tempfile.TemporaryDirectory(prefix="latentwalk-bench-import-") as folder:
        torch_decoder, onnx_decoder, dim = export_mnist(Path(folder))
        check = np.random.default_rng(0).normal(size=(256, dim)).astype(np.float32)
        difference = float(np.abs(decode_latents(torch_decoder, check) - decode_latents(onnx_decoder, check)).max())
        rows = []
        for batch in BATCHES:
            latents = np.random.default_rng(batch).normal(size=(batch, dim)).astype(np.float32)
            for name, decoder in (("torch", torch_decoder), ("onnxruntime", onnx_decoder)):
                times = call_times(decoder, latents, args.seconds) * 1000.0
                p50, p95, p99 = np.percentile(times, [50, 95, 99])
                rows.append((batch, name, batch * 1000.0 / times.mean(), p50, p95, p99, len(times)))

    lines = [
        "# Imported ONNX decoder against torch (CPU)",
        "",
        f"{datetime.date.today().isoformat()}, the bundled mnist decoder exported with torch.onnx and imported with "
        f"`latentwalk import-model`; torch {torch.__version__}, onnxruntime {onnxruntime.__version__}, "
        f"{platform.machine()}, {os.cpu_count()} CPUs, 1 thread each (as the decoder worker runs), "
        f"{args.seconds:g} s per cell, load average {os.getloadavg()[0]:.1f} at the end (other work on the "
        f"machine widens p95/p99). Per call of decode_latents; images/s = batch / mean call time. "
        f"Largest difference between the two on 256 latents: {difference:.1e}.",
        "",
        "| batch | runtime | images/s | p50 ms | p95 ms | p99 ms | calls |",
        "| ---: | :--- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for batch, name, rate, p50, p95, p99, calls in rows:
        lines.append(f"| {batch} | {name} | {rate:,.0f} | {p50:.3f} | {p95:.3f} | {p99:.3f} | {calls} |")
    benchenv.publish(lines, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
