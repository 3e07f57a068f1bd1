"""latentwalk against the figures of the original browser tool (measured on these machines with
software WebGL and 60k MNIST points; that tool cannot run here, so its column is quoted, not rerun).

Everything in latentwalk's column is measured by this script, in one run, on the bundled MNIST model:
- first frame: wall time of `latentwalk run --frames 1` from process start to exit (an upper bound:
  it includes start-up, the first frame and shutdown; no screenshot, which would wait for the model's
  load behind the first frame), median of 3;
- peak memory: the peak RSS of `latentwalk run --frames 60 --screenshot` (the explorer with its
  decoder loaded and an image decoded);
- turning and hover -> image on screen: `latentwalk bench --model mnist --full-detail` in this run:
  the camera turning with every point drawn (median frame -> fps, p95 and p99 beside it), and the
  frames from a hovered point's decode request to its image in the Output panel;
- the decode itself: a data-set point's decode request to its image, through the explorer's decoder
  service (worker thread, CPU, one torch thread), median over 50 distinct points;
- 100-step traversal: the 100 decoded images of a walk through 5 points, batched through the same
  worker (as the filmstrip does), against the same 100 requested one at a time, each waited for
  (as the original tool did), side by side.

    python bench/bench_original.py
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchenv import RESULTS_DIR, ROOT  # noqa: E402  (sys.path and the headless environment)

RESULTS = RESULTS_DIR / "original.md"
# The original, rebuilt and measured beside latentwalk on a quiet machine (software WebGL, 60k MNIST
# points): ranges over its runs. Ratios are taken against its best figure of each range.
ORIGINAL = {"fps": (3.7, 4.7), "hover_s": (0.8, 1.0), "traversal_s": (5.5, 8.0), "first_frame_s": (2.0, 3.0),
            "memory_mb": 1200}


def span(low_high, unit: str, digits: int = 1) -> str:
    low, high = low_high
    return f"{low:.{digits}f}-{high:.{digits}f} {unit}"


def run_explorer(frames: int, env: dict, *, screenshot: bool) -> float:
    """Seconds from process start to exit of `latentwalk run --frames N` (with `--screenshot`, which
    waits for the model's load and the first decoded image, as a script's picture does)."""
    with tempfile.TemporaryDirectory() as tmp:
        shot = ["--screenshot", str(Path(tmp) / "shot.png")] if screenshot else []
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "latentwalk", "run", "--frames", str(frames), *shot],
                       check=True, env=env, cwd=ROOT)
        return time.perf_counter() - start


def decode_timings() -> tuple[float, float, float]:
    import numpy as np

    from latentwalk.scenes.explorer.walk.curve import Curve
    from latentwalk.scenes.explorer.model.decoding import DecoderService
    from latentwalk.vae.bundle import load_bundle

    bundle = load_bundle("mnist")
    service = DecoderService(bundle, device="cpu")
    try:
        service.request_point(0)
        service.wait(30)
        service.worker.poll()

        def collect(count: int) -> None:
            got = 0
            while got < count:
                got += len(service.worker.poll(timeout=1.0))

        hover = []
        for index in range(1, 51):
            start = time.perf_counter()
            service.request_point(index * 997 % len(bundle.latents))
            collect(1)
            hover.append(time.perf_counter() - start)

        control = bundle.latents[[1, 3, 5, 7, 2]]
        steps = Curve(control).sample(100) + np.float32(1e-4)  # fresh keys: nothing cached
        start = time.perf_counter()
        for row in steps:
            service.request_latent(row, "filmstrip")
        collect(len(steps))
        batched = time.perf_counter() - start

        steps = steps + np.float32(1e-4)
        start = time.perf_counter()
        for row in steps:
            service.request_latent(row, "filmstrip")
            collect(1)
        one_by_one = time.perf_counter() - start
    finally:
        service.close()
    return statistics.median(hover), batched, one_by_one


def explorer_figures(env: dict, seconds: float) -> dict:
    """`latentwalk bench --model mnist --full-detail --json`: the explorer turning and hovering."""
    done = subprocess.run([sys.executable, "-m", "latentwalk", "bench", "--model", "mnist", "--full-detail",
                           "--seconds", f"{seconds:g}", "--json"], check=True, env=env, cwd=ROOT,
                          capture_output=True, text=True)
    return json.loads(done.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=8.0, help="length of `latentwalk bench`'s path")
    args = parser.parse_args()
    from latentwalk.engine.headless import ensure_display

    server = ensure_display()
    env = dict(os.environ, SDL_AUDIODRIVER="dummy", PYGAME_HIDE_SUPPORT_PROMPT="1",
               LATENTWALK_CONFIG_DIR=tempfile.mkdtemp(prefix="latentwalk-bench-"))
    try:
        first_frame = statistics.median(run_explorer(1, env, screenshot=False) for _ in range(3))
        before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        run_explorer(60, env, screenshot=True)  # the decoder loaded and working: its memory counts
        peak_mb = max(before, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) / 1024.0
        explorer = explorer_figures(env, args.seconds)
    finally:
        if server is not None:
            server.terminate()
    hover, batched, one_by_one = decode_timings()

    full_turn = explorer["full_detail"]["phases"]["turn"]
    fps = 1000.0 / full_turn["frame_ms_median"]
    turning = (f"{fps:.0f} fps", f"{fps / ORIGINAL['fps'][1]:.1f}x its best; `latentwalk bench --full-detail`: camera "
               f"turning every frame, every point drawn, the start-up panels shown; frame p95 "
               f"{full_turn['frame_ms_p95']:.0f} ms, p99 {full_turn['frame_ms_p99']:.0f} ms")
    hover_frames = (f"{explorer['hover_to_image_frames']:g} frame"
                    f"{'' if explorer['hover_to_image_frames'] == 1 else 's'}, {explorer['hover_to_image_ms']:.0f} ms")
    rows = [
        ("frame rate while turning, 60k points", span(ORIGINAL["fps"], "fps"), *turning),
        ("hover -> decoded image on screen", span(ORIGINAL["hover_s"], "s"), hover_frames,
         f"`latentwalk bench`, median of its hovered points; the decode itself: {hover * 1000:.1f} ms (median of 50)"),
        ("100-step traversal decoded", span(ORIGINAL["traversal_s"], "s"), f"{batched * 1000:.0f} ms",
         f"batched; one at a time here: {one_by_one * 1000:.0f} ms (one torch thread gains nothing "
         "from batching; see decode.md)"),
        ("first frame (process start to exit)", span(ORIGINAL["first_frame_s"], "s"), f"{first_frame:.2f} s",
         f"{ORIGINAL['first_frame_s'][0] / first_frame:.1f}x its best (the original's: from page load to the "
         "first frame; to the first frame here: bench/results/startup.md)"),
        ("peak memory", f"{ORIGINAL['memory_mb'] / 1000:.1f} GB", f"{peak_mb:.0f} MB",
         f"{ORIGINAL['memory_mb'] / peak_mb:.1f}x less"),
    ]
    lines = [
        "# latentwalk vs the original browser tool (bundled MNIST model, 60k points)",
        "",
        f"`python bench/bench_original.py`; {platform.python_version()}, {os.cpu_count()} CPUs, "
        "llvmpipe under Xvfb, decoder on the CPU with one torch thread; load average "
        f"{explorer['load_average'][0]:.1f} at the start of the explorer's path, {explorer['load_average'][1]:.1f} "
        "at its end (a shared machine). Every latentwalk figure is from this run; the original's are "
        "quoted from its measurement on these machines.",
        "",
        "| what | original | latentwalk | note |",
        "| --- | ---: | ---: | --- |",
        *[f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows],
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(text)


if __name__ == "__main__":
    main()
