"""CPU used by an explorer window that nobody touches: always drawing (the loop before idle redraw)
vs idle redraw (`App.run()` open-ended on the wall clock), side by side in one run.

The explorer runs on the bundled model (or --model) at 1280x720 under Xvfb, pointer outside the
window, decoder worker started. Each configuration runs `App.run` for --seconds, ended by a QUIT
event posted from a timer; CPU is the process's time (all threads: render loop, decoder, llvmpipe)
from time.process_time, over the last --seconds of each run (the first second, which draws the
settle frames that follow any input, is left out: that cost is per input, not per idle second). Rounds interleave the configurations so drift in a noisy VM hits all alike.

- always draw, uncapped: run(idle=False), the old loop. Xvfb has no vsync, so this spins flat out.
- always draw, 60 fps cap: run(idle=False) with frame_cap=60, what vsync on a 60 Hz desktop would give.
- idle redraw: run() (idle on), no cap: it wakes at 60 Hz for the fixed updates and draws nothing.

Prints a markdown table and writes bench/results/idle.md.

    python bench/bench_idle.py [--model mnist] [--seconds 3] [--rounds 2]
"""
from __future__ import annotations

import argparse
import os
import platform
import statistics
import threading
import time
from pathlib import Path

import benchenv  # noqa: E402,F401  (sys.path and the headless environment)

RESULTS = Path(__file__).resolve().parent / "results" / "idle.md"
WINDOW = (1280, 720)
CONFIGS = {  # name: (idle, frame_cap)
    "always draw, uncapped (before)": (False, None),
    "always draw, 60 fps cap": (False, 60.0),
    "idle redraw (after)": (True, None),
}


def measure(app, seconds: float, idle: bool, frame_cap: float | None, lead: float = 1.0) -> dict[str, float]:
    """Run for lead + seconds; CPU, wall and frame counts over the last `seconds` only, so the frames
    drawn at the start (ImGui settling after the previous run's QUIT) are not charged to idling."""
    import pygame

    app.frame_cap = frame_cap
    marks: list[tuple[float, float, int, int]] = []

    def mark() -> None:  # from the timer thread: process_time covers every thread of the process
        marks.append((time.perf_counter(), time.process_time(), app.frame_index, app.idle_frames))

    def finish() -> None:
        mark()
        pygame.event.post(pygame.event.Event(pygame.QUIT))

    timers = [threading.Timer(lead, mark), threading.Timer(lead + seconds, finish)]
    for timer in timers:
        timer.start()
    app.run(idle=idle)
    for timer in timers:
        timer.join()
    (wall0, cpu0, drawn0, skipped0), (wall1, cpu1, drawn1, skipped1) = marks
    wall = wall1 - wall0
    return {"cpu_s": cpu1 - cpu0, "wall_s": wall, "drawn_per_s": (drawn1 - drawn0) / wall,
            "skipped_per_s": (skipped1 - skipped0) / wall}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="mnist", help="bundled model name or bundle folder (default mnist)")
    parser.add_argument("--seconds", type=float, default=3.0, help="length of each measurement")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()

    from latentwalk.engine.headless import ensure_display
    xvfb = ensure_display()  # noqa: F841 (kept alive until exit)
    from latentwalk.engine.app import App
    from latentwalk.scenes.explorer.scene import ExplorerScene

    scene = ExplorerScene(args.model, device="cpu")
    points = len(scene.bundle.latents)
    with App(scene, size=WINDOW, vsync=True) as app:
        measure(app, 1.0, False, None, lead=0.5)  # warm-up: first frames, decoder set-up, shader compiles
        samples: dict[str, list[dict[str, float]]] = {name: [] for name in CONFIGS}
        for round_index in range(args.rounds):
            for name, (idle, cap) in CONFIGS.items():
                samples[name].append(measure(app, args.seconds, idle, cap))
                sample = samples[name][-1]
                print(f"round {round_index + 1} {name}: {100 * sample['cpu_s'] / sample['wall_s']:.1f}% CPU", flush=True)

    def median(name: str, key: str) -> float:
        return statistics.median(s[key] for s in samples[name])

    baseline = median("always draw, uncapped (before)", "cpu_s") / median("always draw, uncapped (before)", "wall_s")
    lines = [
        "# Idle explorer window: CPU before and after idle redraw",
        "",
        f"{platform.node()} ({os.cpu_count()} CPUs), Xvfb + Mesa llvmpipe, {WINDOW[0]}x{WINDOW[1]}, "
        f"model {args.model} ({points:,} points), pointer outside the window, nobody touching it. "
        f"{args.rounds} rounds of {args.seconds:.0f} s per configuration (after 1 s lead-in), interleaved; medians. "
        "CPU = process time (all threads) / wall time; 100 % is one core.",
        "",
        "| configuration | CPU | CPU vs before | frames drawn/s | idle frames/s |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for name in CONFIGS:
        rate = median(name, "cpu_s") / median(name, "wall_s")
        lines.append(f"| {name} | {100 * rate:.1f} % | {rate / baseline:.3f}x | "
                     f"{median(name, 'drawn_per_s'):.1f} | {median(name, 'skipped_per_s'):.1f} |")
    lines += ["", "Reproduce: `python bench/bench_idle.py`."]
    benchenv.publish(lines, args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
