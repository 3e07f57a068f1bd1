"""`latentwalk bench`: a built-in timedemo. A scripted camera path (turn, zoom, hover sweep, rest) on a
model or on a seeded synthetic cloud of N points, timed frame by frame (each frame ends with glFinish,
so the GPU's work counts), and reported per phase: frame-time median / p95 / p99 and fps, points drawn,
pick time; plus hover-to-image in frames and the time from rest to full detail. With --full-detail the
same path runs a second time in the same window with every point drawn while moving, and both are
reported. With --busy-core a child process keeps one core busy for the whole run (a machine doing
something else), and the table says how far the turning frames' p99 strays from their median."""
from __future__ import annotations

import argparse
import contextlib
import json
import math
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from latentwalk.subcommands._args import check_at_most, check_render_size, positive_float, positive_int
from latentwalk.subcommands.run import parse_size

# Shares of --seconds per phase; rest runs at least until full detail (bounded by REST_LIMIT_S).
PHASES = (("turn", 0.3), ("zoom", 0.2), ("hover", 0.3), ("rest", 0.2))
TURN_RADIANS_PER_SECOND = 0.8
ZOOM_PER_SECOND = 2.0
REST_LIMIT_S = 10.0
HOVER_SAMPLES = 20  # enough for a 95th percentile
HOVER_FRAME_LIMIT = 300
# The busy core's child stops on its own this long after the path should have ended, should the bench
# die before it can end the child.
BUSY_CORE_GRACE_S = 120.0


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser("bench", help="time the explorer on a scripted camera path",
                                   description=__doc__.splitlines()[0])
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--model", default=None, metavar="M", help="a bundled model's name or a bundle folder "
                        "(default: the bundled mnist model)")
    source.add_argument("--points", type=positive_int, default=None, metavar="N",
                        help="a synthetic cloud of N points (seeded, made in memory) instead of a model")
    parser.add_argument("--seconds", type=positive_float, default=8.0, metavar="S",
                        help="length of the camera path in seconds")
    parser.add_argument("--size", type=parse_size, default=(1280, 720), metavar="WxH",
                        help="window size")
    parser.add_argument("--target-fps", type=positive_float, default=None, metavar="N",
                        help="frame rate a moving view holds by drawing a subset of a big cloud (default: 36)")
    parser.add_argument("--full-detail", action="store_true",
                        help="run the path again with every point drawn while moving (adaptive detail off) "
                             "and report both")
    parser.add_argument("--busy-core", action="store_true",
                        help="keep one core busy during the run (a child process spinning, ended with the run)")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    parser.set_defaults(func=run)


def synthetic_cloud(count: int, seed: int = 0, classes: int = 10) -> tuple[np.ndarray, np.ndarray]:
    """(latents float32 (N, 3), labels) of `classes` overlapping blobs on a ring: a stand-in for a big
    data set's latent space (the same cloud for every bench that asks for this count and seed)."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, classes, count)
    angles = 2 * np.pi * labels / classes
    centres = np.stack([2 * np.cos(angles), 2 * np.sin(angles), 0.6 * np.sin(3 * angles)], axis=1)
    return (centres + rng.normal(0, 0.6, (count, 3))).astype(np.float32), labels


def write_synthetic_bundle(folder: Path, count: int, seed: int = 0) -> Path:
    """A bundle of `synthetic_cloud(count, seed)` with an untrained (seeded) decoder: hover decodes work."""
    import torch

    from latentwalk.vae.bundle import write_bundle
    from latentwalk.vae.model import ConvDecoder

    latents, labels = synthetic_cloud(count, seed)
    torch.manual_seed(seed)
    return write_bundle(folder / f"synthetic-{count}", decoder=ConvDecoder(3, (28, 28)), latents=latents,
                        labels=labels, dataset="synthetic", class_names=[str(i) for i in range(10)],
                        summary={"synthetic": True, "seed": seed})


@contextlib.contextmanager
def busy_core(seconds: float):
    """A child process spinning on one core for at most `seconds`, ended when the block ends."""
    spin = f"import time\nend = time.monotonic() + {seconds!r}\nwhile time.monotonic() < end:\n    pass\n"
    child = subprocess.Popen([sys.executable, "-c", spin])
    try:
        yield child
    finally:
        child.kill()
        child.wait()


def percentile(values: list[float], q: float) -> float | None:
    return float(np.percentile(values, q)) if values else None


class Timedemo:
    """Drives one App + ExplorerScene through the phases and keeps per-frame samples."""

    def __init__(self, app, scene) -> None:
        from OpenGL import GL as gl

        self.app, self.scene, self.gl = app, scene, gl
        self.results: dict[str, dict] = {}
        self.watch_rest = False  # from the end of the zoom: when does the camera stop, and full detail arrive
        self.rest_since: float | None = None
        self.rest_to_full_s: float | None = None

    def frame(self, samples: dict) -> float:
        scene = self.scene
        picks = scene.picker.picks
        start = time.perf_counter()
        self.app.step_frame()
        self.gl.glFinish()
        elapsed = time.perf_counter() - start
        samples["frame_ms"].append(elapsed * 1000.0)
        detail = scene.layer_cache.detail
        samples["drawn"].append(detail.drawn if detail is not None else scene.installed.cloud.count)
        if scene.picker.picks > picks:
            samples["pick_ms"].append(scene.picker.last_ms)
        if self.watch_rest and self.rest_to_full_s is None:
            if scene.camera.is_moving:
                self.rest_since = None
            elif self.rest_since is None:
                self.rest_since = start  # the first frame with the camera at rest
            if self.rest_since is not None and (detail is None or detail.mode == "full"):
                self.rest_to_full_s = time.perf_counter() - self.rest_since
        return elapsed

    def phase(self, name: str, seconds: float, step) -> dict:
        samples = {"frame_ms": [], "drawn": [], "pick_ms": []}
        began = time.perf_counter()
        elapsed = 0.0
        while True:
            now = time.perf_counter() - began
            if not step(now, elapsed):
                break
            elapsed = self.frame(samples)
            if name != "rest" and now >= seconds:
                break
        wall = time.perf_counter() - began
        frames = samples["frame_ms"]
        result = {"frames": len(frames), "frame_ms_median": percentile(frames, 50),
                  "frame_ms_p95": percentile(frames, 95), "frame_ms_p99": percentile(frames, 99),
                  "fps": len(frames) / wall if wall > 0 else None,
                  "points_drawn": int(statistics.median(samples["drawn"])) if samples["drawn"] else None,
                  "points_drawn_min": min(samples["drawn"]) if samples["drawn"] else None,
                  "pick_ms": percentile(samples["pick_ms"], 50)}
        self.results[name] = result
        return result

    def run(self, seconds: float) -> dict:
        from latentwalk.scenes.explorer.core.commands import Orbit, PointerMoved, Zoom

        scene = self.scene
        width, height = scene.viewport
        shares = dict(PHASES)
        scene.submit(PointerMoved(None))
        self.phase("turn", seconds * shares["turn"],
                   lambda now, dt: scene.submit(Orbit(TURN_RADIANS_PER_SECOND * max(dt, 1 / 120), 0.0)) or True)
        half = seconds * shares["zoom"] / 2

        def zoom(now, dt):
            rate = ZOOM_PER_SECOND ** max(dt, 1 / 120)
            scene.submit(Zoom(rate if now < half else 1.0 / rate))
            return True
        self.phase("zoom", seconds * shares["zoom"], zoom)
        self.watch_rest = True
        self.settle()
        sweep = seconds * shares["hover"]

        def hover(now, dt):  # across the middle of the window, left to right
            x = int(width * (0.15 + 0.7 * min(1.0, now / sweep)))
            scene.submit(PointerMoved((x, height // 2 + int(0.1 * height * math.sin(now * 7)))))
            return True
        self.phase("hover", sweep, hover)
        self.hover_to_image()
        scene.submit(PointerMoved(None))
        self.app.step_frame()
        self.phase("rest", seconds * shares["rest"],
                   lambda now, dt: now < seconds * shares["rest"] or (self.rest_to_full_s is None and now < REST_LIMIT_S))
        return self.results

    def settle(self) -> None:
        """Untimed frames until the camera has stopped easing after the zoom and detail is full again
        (bounded), so the hover sweep times hovering and the time from rest to full detail is seen."""
        samples = {"frame_ms": [], "drawn": [], "pick_ms": []}
        began = time.perf_counter()
        while self.rest_to_full_s is None and time.perf_counter() - began < REST_LIMIT_S:
            self.frame(samples)

    def hover_to_image(self) -> None:
        self.hover = hover_to_image(self.app, self.scene, hover_pixels(self.scene, 4 * HOVER_SAMPLES))


def hover_pixels(scene, count: int, seed: int = 1) -> list[tuple[int, int]]:
    """Window pixels of `count` distinct points in the middle of the view (clear of the panels at the
    sides), in a seeded random order."""
    projection = scene.camera.project(scene.installed.positions, 1.0, scene.viewport)
    width, height = scene.viewport
    px = projection.pixels
    inside = projection.visible & (px[:, 0] > width * 0.25) & (px[:, 0] < width * 0.75) \
        & (px[:, 1] > height * 0.2) & (px[:, 1] < height * 0.8)
    chosen = np.random.default_rng(seed).permutation(np.flatnonzero(inside))[:count]
    return [(int(px[i, 0]), int(px[i, 1])) for i in chosen]


def hover_to_image(app, scene, pixels: list[tuple[int, int]], count: int = HOVER_SAMPLES) -> dict:
    """Hover to image, the one definition every bench uses: the pointer moves onto a point (a posted
    mouse motion, as a person's), frames are drawn back to back, and the count is the scene's own: frames
    drawn from the one that hovered the point through the one that shows its image (1: the hovering
    frame shows it); ms from the start of the hovering frame to the end of the showing one. One hover
    first, untimed (the decoder's first call is slow); a pointer that lands on the point already
    hovered, or on a panel, asks for nothing and the next pixel is tried, until `count` are timed."""
    import pygame

    frames, waits = [], []
    warm = False
    for pos in pixels:
        if len(frames) >= count:
            break
        before = scene.state.pointer.hovered
        scene.output_images.hover_latency_frames = None
        pygame.event.post(pygame.event.Event(pygame.MOUSEMOTION, pos=pos, rel=(1, 0), buttons=(0, 0, 0),
                                             touch=False))
        start = time.perf_counter()
        app.step_frame()
        if scene.state.pointer.hovered is None or scene.state.pointer.hovered == before:
            continue
        for _ in range(HOVER_FRAME_LIMIT):
            if scene.output_images.hover_latency_frames is not None:
                if warm:
                    frames.append(scene.output_images.hover_latency_frames)
                    waits.append((time.perf_counter() - start) * 1000.0)
                warm = True
                break
            app.step_frame()
    return {"frames": frames, "ms": waits}


def hover_summary(hover: dict) -> dict:
    frames, waits = hover["frames"], hover["ms"]
    return {"hover_to_image_frames": percentile(frames, 50), "hover_to_image_frames_p95": percentile(frames, 95),
            "hover_to_image_frames_worst": max(frames) if frames else None,
            "hover_to_image_ms": percentile(waits, 50), "hover_to_image_ms_p95": percentile(waits, 95),
            "hover_samples": len(frames)}


def mode_report(demo: Timedemo) -> dict:
    """One pass of the path: its phases, hover to image and rest to full detail."""
    return {"phases": demo.results, **hover_summary(demo.hover), "rest_to_full_detail_s": demo.rest_to_full_s}


def report(args, source: str, count: int, passes: dict[str, dict], renderer: str, target_fps: float | None,
           load: tuple[float, float]) -> dict:
    """The adaptive pass at the top level; the full-detail pass, when run, under "full_detail"."""
    return {"source": source, "points": count, "size": list(args.size), "seconds": args.seconds,
            "renderer": renderer, "target_fps": target_fps, "load_average": list(load), "busy_core": args.busy_core,
            **passes["adaptive"], **({"full_detail": passes["full_detail"]} if "full_detail" in passes else {})}


def format_table(result: dict) -> str:
    def cell(value, fmt):
        return "-" if value is None else format(value, fmt)

    def section(title: str, mode: dict) -> list[str]:
        lines = [title, "",
                 f"{'phase':<7}{'frames':>7}{'median ms':>11}{'p95 ms':>9}{'p99 ms':>9}{'fps':>7}"
                 f"{'points drawn':>14}{'pick ms':>9}"]
        for name, p in mode["phases"].items():
            lines.append(f"{name:<7}{p['frames']:>7}{cell(p['frame_ms_median'], '.1f'):>11}"
                         f"{cell(p['frame_ms_p95'], '.1f'):>9}{cell(p['frame_ms_p99'], '.1f'):>9}"
                         f"{cell(p['fps'], '.1f'):>7}{cell(p['points_drawn'], ','):>14}{cell(p['pick_ms'], '.2f'):>9}")
        turn = mode["phases"]["turn"]
        if turn["frame_ms_median"]:
            lines += ["", f"turning: p95 {turn['frame_ms_p95'] / turn['frame_ms_median']:.2f}x the median, "
                      f"p99 {turn['frame_ms_p99'] / turn['frame_ms_median']:.2f}x"]
        return lines + [f"hover to image ({mode['hover_samples']} points): median {cell(mode['hover_to_image_frames'], 'g')} "
                        f"frames, p95 {cell(mode['hover_to_image_frames_p95'], 'g')}, worst "
                        f"{cell(mode['hover_to_image_frames_worst'], 'g')}; median "
                        f"{cell(mode['hover_to_image_ms'], '.0f')} ms, p95 {cell(mode['hover_to_image_ms_p95'], '.0f')} ms",
                        f"rest to full detail: {cell(mode['rest_to_full_detail_s'], '.2f')} s"]

    load = result["load_average"]
    lines = [f"latentwalk bench: {result['points']:,} points ({result['source']}), "
             f"{result['size'][0]}x{result['size'][1]}, {result['renderer']}; "
             f"load average {load[0]:.1f} at the start, {load[1]:.1f} at the end"
             + ("; one more core kept busy by the bench (--busy-core)" if result["busy_core"] else ""), ""]
    lines += section("adaptive detail" + ("" if result["target_fps"] is None else
                                          f", held at {result['target_fps']:g} fps while moving"), result)
    full = result.get("full_detail")
    if full is not None:
        lines += ["", *section("full detail: every point drawn while moving", full), ""]
        for name in ("turn", "zoom"):
            ours, every = result["phases"][name]["frame_ms_median"], full["phases"][name]["frame_ms_median"]
            if ours and every:
                lines.append(f"{name}: full detail's median frame is {every / ours:.2f}x adaptive detail's")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    import os

    from latentwalk.scenes.limits import MAX_BENCH_POINTS, MAX_BENCH_SECONDS

    if args.points is not None:
        check_at_most("--points", args.points, MAX_BENCH_POINTS)
    check_at_most("--seconds", args.seconds, MAX_BENCH_SECONDS)
    check_render_size("--size", args.size)
    from latentwalk.engine.headless import headless_if_no_display

    os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
    # no display: Xvfb, else EGL (LATENTWALK_GL_MODE=egl picks EGL outright: on a GPU machine, Xvfb
    # would render on the CPU)
    headless_if_no_display()
    from OpenGL import GL as gl

    from latentwalk.engine.app import App
    from latentwalk.scenes.explorer.scene import ExplorerScene

    with tempfile.TemporaryDirectory(prefix="latentwalk-bench-") as folder:
        if args.points is not None:
            model, source = write_synthetic_bundle(Path(folder), args.points), "synthetic, seed 0"
        else:
            model = source = args.model or "mnist"
        scene = ExplorerScene(model, device="cpu",
                              detail=None if args.target_fps is None else {"target_fps": args.target_fps})
        with App(scene, size=args.size, vsync=False, frame_cap=0, title="latentwalk bench") as app:
            detail = scene.layer_cache.detail
            if detail is not None and detail.builder is not None:
                detail.builder.wait()  # the order is built in the background; the path starts with it
            app.step_frame()
            # torch's import and the decoder's first call hold the GIL for a second or more: in the
            # explorer that happens once, after its first frame; here it would land in the turn
            scene.decoder.warm()
            scene.decoder.request_point(0, channel="bench warm-up")
            scene.decoder.wait(60.0)
            scene.decoder.pump()
            load_before = os.getloadavg()[0]
            passes = {}
            modes = ("adaptive", "full_detail") if args.full_detail else ("adaptive",)
            path_s = len(modes) * (args.seconds + 2 * REST_LIMIT_S)  # the longest the path can take
            with busy_core(path_s + BUSY_CORE_GRACE_S) if args.busy_core else contextlib.nullcontext():
                for mode in modes:
                    scene.layer_cache.full_detail = mode == "full_detail"
                    demo = Timedemo(app, scene)
                    demo.run(args.seconds)
                    passes[mode] = mode_report(demo)
            renderer = gl.glGetString(gl.GL_RENDERER).decode()
            result = report(args, source, scene.installed.cloud.count, passes, renderer,
                            None if detail is None else detail.controller.target_fps,
                            (load_before, os.getloadavg()[0]))
    print(json.dumps(result) if args.json else format_table(result))
    return 0
