"""The explorer's frame cost against a bare instanced draw of the same points, side by side in one
run, at 60k and 1M points; the pick cost with and without the CPU prefilter; hover-to-image latency.

- bare: clear + the explorer's own PointCloud.draw (same shaders, same buffers) + swap; no UI, no
  picking, no worker. "arrays" is the same with a non-instanced glDrawArrays(GL_POINTS), to record
  why the cloud is drawn instanced.
- explorer idle: App.step_frame with the panels as the explorer lays them out at start (at 1280x720
  five are folded to their title bars), the decoder worker running, pointer still.
- explorer hovering: a new point under the cursor every frame: a pick pass and a decode request
  each frame (the hovered point is drawn larger, so the cached 3-d layer is redrawn each frame too).
- explorer turning: the camera orbits a little every frame, so the 3-d layer is redrawn every frame
  (what a frame costs when its cache cannot help). Idle frames blit the cached layer.
Rounds interleave the configurations so drift in a noisy VM hits all alike, after one round that
is thrown away (warm-up); each frame ends with glFinish. Prints a markdown table and writes bench/results/explorer.md.

    python bench/bench_explorer.py [--sizes 60000,1000000] [--frames 40] [--big-frames 4] [--rounds 2]
"""
from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

import benchenv  # noqa: E402,F401  (sys.path and the headless environment)

RESULTS = Path(__file__).resolve().parent / "results" / "explorer.md"
WINDOW = (1280, 720)


def make_bundle(folder: Path, count: int):
    import numpy as np
    import torch

    from latentwalk.vae.bundle import write_bundle
    from latentwalk.vae.model import ConvDecoder

    rng = np.random.default_rng(0)
    labels = rng.integers(0, 10, count)
    angles = 2 * np.pi * labels / 10
    centres = np.stack([2 * np.cos(angles), 2 * np.sin(angles), 0.6 * np.sin(3 * angles)], axis=1)
    latents = (centres + rng.normal(0, 0.6, (count, 3))).astype(np.float32)
    torch.manual_seed(0)
    return write_bundle(folder / f"bench-{count}", decoder=ConvDecoder(3, (28, 28)), latents=latents,
                        labels=labels, dataset="synthetic", class_names=[str(i) for i in range(10)],
                        summary={"bench": True})


def timed(fn, frames: int) -> list[float]:
    from OpenGL import GL as gl

    samples = []
    for _ in range(frames):
        start = time.perf_counter()
        fn()
        gl.glFinish()
        samples.append((time.perf_counter() - start) * 1000.0)
    return samples


class Bench:
    def __init__(self, app, scene):
        import numpy as np
        from OpenGL import GL as gl

        from latentwalk.engine.gl import VertexArray

        self.app, self.scene = app, scene
        cloud = scene.installed.cloud
        # the same buffers without the instance divisor: one vertex per point
        self.arrays_vao = VertexArray()
        self.arrays_vao.attribute(0, cloud.position_buffer, 3)
        self.arrays_vao.attribute(1, cloud.label_buffer, 1, cloud.label_dtype)
        projection = scene.camera.project(scene.installed.positions, 1.0, scene.viewport)
        width, height = scene.viewport
        px = projection.pixels
        keep = projection.visible & (px[:, 0] > 300) & (px[:, 0] < width - 300) & (px[:, 1] > 40) & (px[:, 1] < height - 40)
        order = np.random.default_rng(1).permutation(np.flatnonzero(keep))
        self.hover_pixels = [(int(px[i, 0]), int(px[i, 1])) for i in order[:2000]]
        self.hover_cursor = 0
        self.gl = gl

    def _bare(self, arrays: bool) -> None:
        gl, scene = self.gl, self.scene
        gl.glBindFramebuffer(gl.GL_FRAMEBUFFER, 0)
        gl.glViewport(0, 0, *scene.viewport)
        gl.glClearColor(0.08, 0.08, 0.10, 1.0)
        gl.glClear(gl.GL_COLOR_BUFFER_BIT | gl.GL_DEPTH_BUFFER_BIT)
        view_projection, view = scene.view_cache.matrices(1.0)
        scene.view_cache.update_style(1.0)
        if arrays:
            cloud = scene.installed.cloud
            gl.glEnable(gl.GL_DEPTH_TEST)
            gl.glEnable(gl.GL_PROGRAM_POINT_SIZE)
            cloud._set_uniforms(cloud.color_program, view_projection, view, scene.style, from_attribute=False,
                                hovered=None)
            self.arrays_vao.draw(gl.GL_POINTS, cloud.count)
        else:
            scene.installed.cloud.draw(view_projection, view, scene.style)
        self.app.window.flip()

    def bare(self, frames):
        return timed(lambda: self._bare(False), frames)

    def arrays(self, frames):
        return timed(lambda: self._bare(True), frames)

    def idle(self, frames):
        return timed(self.app.step_frame, frames)

    def hovering(self, frames):
        import pygame

        def step():
            pos = self.hover_pixels[self.hover_cursor % len(self.hover_pixels)]
            self.hover_cursor += 1
            pygame.event.post(pygame.event.Event(pygame.MOUSEMOTION, pos=pos, rel=(1, 0), buttons=(0, 0, 0),
                                                 touch=False))
            self.app.step_frame()
        return timed(step, frames)

    def turning(self, frames):
        from latentwalk.scenes.explorer.core import commands as c

        def step():
            self.scene.submit(c.Orbit(0.01, 0.0))
            self.app.step_frame()
        return timed(step, frames)

    def turning_full(self, frames):
        """Turning with adaptive detail off: every point, every frame (target: <= 1.15x the bare draw at 60k)."""
        cache = self.scene.layer_cache
        cache.full_detail = True
        try:
            return self.turning(frames)
        finally:
            cache.full_detail = False

    def pick_costs(self, repeats: int = 9) -> dict[str, float]:
        from latentwalk.engine.gl import Framebuffer

        scene, picker = self.scene, self.scene.picker
        view_projection, view = scene.view_cache.matrices(1.0)
        cursor = self.hover_pixels[0]
        results = {}
        picker.tree_for(scene.installed.cloud)  # made once per cloud, as at the first hover
        # the prefilter keeps nothing per view: a pick after the view turned costs what one over a still view does
        for name, prefilter in (("prefilter (any view: the cloud's tree, then its candidates)", True),
                                ("GPU only (scissored, every point)", False)):
            picker.prefilter = prefilter
            samples, candidates = [], 0
            for _ in range(repeats):
                self.gl.glFinish()  # charge the pick only for itself, not for frames still in flight
                picker.pick(scene.installed.cloud, cursor, view_projection, view, scene.style)
                samples.append(picker.last_ms)
                candidates = picker.last_candidates
            results[name] = (statistics.median(samples), candidates)
        picker.prefilter = True
        Framebuffer.unbind()
        return results

    def hover_latency(self) -> dict:
        """Frames and ms from the frame a new point is hovered until its image is on screen: the same
        measure, on the same kind of points, as `latentwalk bench`."""
        from latentwalk.subcommands.bench import HOVER_SAMPLES, hover_pixels, hover_summary, hover_to_image

        return hover_summary(hover_to_image(self.app, self.scene, hover_pixels(self.scene, 4 * HOVER_SAMPLES)))


# The panels the explorer had before the insight, neighbours, draw, record and help panels: with
# --panels-before the figures compare like for like with tables measured before those existed.
PANELS_BEFORE = ("Classes", "Output", "Model", "Stats", "Path", "Walk", "Session", "WalkTools")


CONFIGURATIONS = {"bare": "bare instanced", "arrays": "bare glDrawArrays", "idle": "explorer idle",
                  "hovering": "explorer hovering", "turning": "explorer turning",
                  "turning_full": "explorer turning, every point"}


def run_size(window, ui, folder: Path, count: int, frames: int, rounds: int, panels_before: bool = False) -> dict:
    import pygame

    from latentwalk.engine.app import App
    from latentwalk.scenes.explorer.scene import ExplorerScene

    bundle = make_bundle(folder, count)
    scene = ExplorerScene(bundle, device="cpu")
    if panels_before:
        started = scene.start

        def start_with_panels_before(app):
            started(app)
            scene.panels[:] = [p for p in scene.panels if getattr(p, "title", type(p).__name__) in PANELS_BEFORE]
        scene.start = start_with_panels_before
    app = App(scene, size=WINDOW, window=window, ui=ui, vsync=False)
    app.show_stats = True
    pygame.event.clear()
    for _ in range(3):
        app.step_frame()
    bench = Bench(app, scene)
    samples = {"bare": [], "arrays": [], "idle": [], "hovering": [], "turning": [], "turning_full": []}
    for round_number in range(rounds + 1):  # round 0 warms up (llvmpipe compiles shader variants on first use)
        for name in samples:
            if name in ("idle", "turning", "turning_full"):
                pygame.event.post(pygame.event.Event(pygame.WINDOWLEAVE, window=None))
            if name in ("idle", "hovering"):  # after turning: the camera eases to a stop and detail
                for _ in range(300):            # refines back to every point first, untimed
                    detail = scene.layer_cache.detail
                    if not scene.camera.is_moving and (detail is None or detail.mode == "full"):
                        break
                    app.step_frame()
            frame_times = getattr(bench, name)(frames)
            if round_number:
                samples[name] += frame_times
    picks = bench.pick_costs()
    latency = bench.hover_latency()
    app.close()
    medians = {name: statistics.median(values) for name, values in samples.items()}
    return {"count": count, "medians": medians, "samples": samples, "picks": picks, "latency": latency}


def format_report(results: list[dict], args) -> str:
    from OpenGL import GL as gl

    renderer = gl.glGetString(gl.GL_RENDERER).decode()
    lines = [
        "# Explorer frame cost vs a bare instanced draw",
        "",
        f"`python bench/bench_explorer.py --frames {args.frames} --big-frames {args.big_frames} --rounds {args.rounds}"
        f"{' --panels-before' if args.panels_before else ''}` on {renderer}, {WINDOW[0]}x{WINDOW[1]}, {os.cpu_count()} CPUs, {platform.python_version()};"
        f" {benchenv.load_note(*args.load)} (a shared machine: ratios are side by side in this run);"
        " medians of per-frame wall ms, each frame ended with glFinish."
        + (" Only the panels the explorer had before the Neighbours, Draw, Activations, Weights, Record and Help"
           " panels (like for like with older tables)." if args.panels_before else
           " The panels as the explorer lays them out at start, the stats overlay on."),
        "",
        "| points | bare instanced (ms) | bare glDrawArrays (ms) | explorer idle (ms) | idle / bare | "
        "explorer hovering (ms) | hovering / bare | explorer turning (ms) | turning / bare | "
        "turning, every point (ms) | every point / bare |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in results:
        m = r["medians"]
        lines.append(f"| {r['count']:,} | {m['bare']:.1f} | {m['arrays']:.1f} | {m['idle']:.1f} | "
                     f"{m['idle'] / m['bare']:.2f}x | {m['hovering']:.1f} | {m['hovering'] / m['bare']:.2f}x | "
                     f"{m['turning']:.1f} | {m['turning'] / m['bare']:.2f}x | {m['turning_full']:.1f} | "
                     f"{m['turning_full'] / m['bare']:.2f}x |")
    lines += ["", "Frame-time spread (ms, the same frames):", "",
              "| points | configuration | p50 | p95 | p99 |", "| ---: | --- | ---: | ---: | ---: |"]
    for r in results:
        for name, values in r["samples"].items():
            p50, p95, p99 = benchenv.spread(values)
            lines.append(f"| {r['count']:,} | {CONFIGURATIONS[name]} | {p50:.1f} | {p95:.1f} | {p99:.1f} |")
    lines += ["", "Pick cost (median ms of one pick, cursor over the cloud; candidates = points drawn into the "
              "9x9 id square):", "", "| points | mode | ms | candidates |", "| ---: | --- | ---: | ---: |"]
    for r in results:
        for mode, (ms, candidates) in r["picks"].items():
            lines.append(f"| {r['count']:,} | {mode} | {ms:.2f} | {candidates:,} |")
    lines += ["", "Hover to image (a new point hovered -> its decoded image on screen, frames drawn back to back; "
              "CPU decoder, 1 torch thread; the measure `latentwalk bench` prints, latentwalk/subcommands/bench.py):",
              "", "| points | hovered | median frames | p95 frames | worst frames | median ms | p95 ms |",
              "| ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for r in results:
        h = r["latency"]
        lines.append(f"| {r['count']:,} | {h['hover_samples']} | {h['hover_to_image_frames']:g} | "
                     f"{h['hover_to_image_frames_p95']:g} | {h['hover_to_image_frames_worst']} | "
                     f"{h['hover_to_image_ms']:.1f} | {h['hover_to_image_ms_p95']:.1f} |")
    lines += ["", "Notes: *turning* holds adaptive detail's frame rate (36 fps by default: a subset of a big cloud "
              "while the view moves); *turning, every point* is the same with detail off, the 60k target "
              "(<= 1.15x the bare draw). The ratio columns hold the targets (idle <= 1.15x). On llvmpipe a non-instanced "
              "glDrawArrays(GL_POINTS) of the same buffers is faster than the instanced draw the explorer uses; "
              "switching is a divisor and gl_VertexID change in points.py / points.vert. A hover latency of 1 frame "
              "means the image requested in frame f is on screen in frame f+1."]
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="60000,1000000")
    parser.add_argument("--frames", type=int, default=40, help="frames per configuration per round (60k)")
    parser.add_argument("--big-frames", type=int, default=4, help="frames per configuration per round (>= 500k)")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--panels-before", action="store_true",
                        help="only the panels the explorer had before the Neighbours, Draw, Activations, Weights, "
                             "Record and Help panels (like-for-like with older tables); writes explorer_panels_before.md")
    args = parser.parse_args()

    from latentwalk.engine.headless import ensure_display
    ensure_display()
    from latentwalk.engine.ui import Ui
    from latentwalk.engine.window import Window

    window = Window(WINDOW, vsync=False, title="bench explorer")
    ui = Ui(scale=1.0)
    results = []
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        for count in (int(s) for s in args.sizes.split(",")):
            frames = args.big_frames if count >= 500_000 else args.frames
            print(f"{count:,} points ...", flush=True)
            results.append(run_size(window, ui, Path(tmp), count, frames, args.rounds, args.panels_before))
    args.load = (load_before, os.getloadavg()[0])
    report = format_report(results, args)
    ui.shutdown()
    window.close()
    print(report)
    if not args.no_write:
        out = RESULTS.with_name("explorer_panels_before.md") if args.panels_before else RESULTS
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(report, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
