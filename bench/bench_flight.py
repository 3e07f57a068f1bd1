"""Switching layouts against turning: does the flight hold the frame rate of turning?

A 60k-point cloud (latentwalk bench's synthetic cloud, d = 3) with a second stored layout, its PCA
mirrored, so every point has another place. Rounds interleave two phases on one App and scene, the
panels as laid out at start, each frame ended with glFinish, the App's own clock (real time):
- turning: the camera orbits every frame for as many frames as a flight took;
- flight: SwitchLayout to the other layout, frames drawn until the points have landed (about a
  second: every point moves every frame, so the cached layer cannot help, as when turning).
Prints p50/p95/p99 of both and writes bench/results/flight.md.

    python bench/bench_flight.py [--points 60000] [--rounds 4]
"""
from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import benchenv  # noqa: F401  (sys.path and the headless environment)

RESULTS = benchenv.RESULTS_DIR / "flight.md"
WINDOW = (1280, 720)
MIRRORED = "mirrored"


def bundle_with_two_layouts(folder: Path, count: int) -> Path:
    from latentwalk.subcommands.bench import write_synthetic_bundle
    from latentwalk.vae.bundle import load_bundle
    from latentwalk.vae.layouts import compute_layout, store_layout

    path = write_synthetic_bundle(folder, count)
    bundle = load_bundle(path)
    positions, maps, entry = compute_layout(bundle.latents, "pca")
    store_layout(bundle, MIRRORED, -positions, {"pca.mean": maps["pca.mean"], "pca.axes": -maps["pca.axes"]}, entry)
    return path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=60_000)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()

    from latentwalk.engine.headless import ensure_display
    ensure_display()
    import pygame
    from OpenGL import GL as gl

    from latentwalk.engine.app import App
    from latentwalk.scenes.explorer.core.commands import Orbit, PointerMoved, SwitchLayout
    from latentwalk.scenes.explorer.scene import ExplorerScene

    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="latentwalk-flight-") as tmp:
        scene = ExplorerScene(bundle_with_two_layouts(Path(tmp), args.points), device="cpu")
        app = App(scene, size=WINDOW, vsync=False)
        pygame.event.clear()
        scene.submit(PointerMoved(None))

        def frame() -> float:
            start = time.perf_counter()
            app.step_frame()
            gl.glFinish()
            return (time.perf_counter() - start) * 1000.0

        def settle() -> None:
            for _ in range(600):  # the camera at rest and every point drawn again, untimed
                detail = scene.layer_cache.detail
                if not scene.camera.is_moving and not scene.layouts.flying and (detail is None or detail.mode == "full"):
                    return
                frame()

        for _ in range(30):
            frame()
        flight_ms, turning_ms, drawn = [], [], []
        targets = [MIRRORED, ""]
        for number in range(args.rounds + 1):  # round 0 warms up (shader variants, the draw order)
            settle()
            scene.submit(SwitchLayout(targets[number % 2]))
            flown = [frame()]
            while scene.layouts.flying:
                flown.append(frame())
                detail = scene.layer_cache.detail
                drawn.append(detail.drawn if detail is not None else args.points)
            settle()
            turned = []
            for _ in range(len(flown)):
                scene.submit(Orbit(0.02, 0.0))
                turned.append(frame())
            if number:
                flight_ms += flown
                turning_ms += turned
        renderer = gl.glGetString(gl.GL_RENDERER).decode()
        app.close()
    load_after = os.getloadavg()[0]

    f50, f95, f99 = benchenv.spread(flight_ms)
    t50, t95, t99 = benchenv.spread(turning_ms)
    drawn.sort()
    lines = ["# Switching layouts against turning",
             "",
             f"`python bench/bench_flight.py --points {args.points} --rounds {args.rounds}`, {WINDOW[0]}x{WINDOW[1]}, "
             f"{renderer}, {os.cpu_count()} CPUs, Python {platform.python_version()}; "
             f"{benchenv.load_note(load_before, load_after)}. ms per frame, each ended with glFinish; rounds "
             "interleave a flight to the other layout and as many frames of turning.",
             "",
             "| phase | frames | p50 ms | p95 | p99 | fps (1000 / p50) |",
             "| --- | ---: | ---: | ---: | ---: | ---: |",
             f"| turning | {len(turning_ms)} | {t50:.1f} | {t95:.1f} | {t99:.1f} | {1000 / t50:.1f} |",
             f"| layout flight | {len(flight_ms)} | {f50:.1f} | {f95:.1f} | {f99:.1f} | {1000 / f50:.1f} |",
             "",
             f"The flight's median frame is {f50 / t50:.2f}x turning's (p95 {f95 / t95:.2f}x); during flights "
             f"adaptive detail drew a median of {drawn[len(drawn) // 2]:,} of {args.points:,} points."]
    benchenv.publish(lines, RESULTS, write=not args.no_write)
    return 0


if __name__ == "__main__":
    sys.exit(main())
