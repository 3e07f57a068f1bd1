"""latentwalk beside its peers, in one run, on the same seeded cloud (latentwalk.subcommands.bench's
synthetic_cloud), the same window size and the same camera path: the view turning 1 degree a frame,
and at rest (the same view drawn again).

- latentwalk: the explorer (panels hidden), adaptive detail on; and with detail off ("full detail").
- bare: clear + one instanced draw of the explorer's own PointCloud (same shaders and buffers) + swap.
- vispy: scene.visuals.Markers (size 4, no edge) in a SceneCanvas with a TurntableCamera, antialias 0
  and 1, on the glfw backend (a visible window on the same X server).
- matplotlib: a 3-d scatter (Agg), view_init per frame, fig.canvas.draw().

Each configuration runs in its own process (two GL toolkits in one process fight over the context);
every frame ends with glFinish (matplotlib: a finished Agg draw). Peers are optional: `pip install
-e ".[bench]"`; a peer that is not installed is reported as such. Writes bench/results/peers.md.

    python bench/bench_peers.py [--sizes 60000,250000,1000000] [--frames 20] [--size 1280x720]
"""
from __future__ import annotations

import argparse
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import benchenv  # noqa: F401  (sys.path and the headless environment)

RESULTS = benchenv.RESULTS_DIR / "peers.md"
PEERS = ("latentwalk", "latentwalk-full", "bare", "vispy-aa0", "vispy-aa1", "matplotlib")
POINT_PX = 4
WARMUP = 3
LATENTWALK_WARMUP = 20  # the detail budget settles from the frame times of the first turning frames


def frames_for(peer: str, count: int, frames: int) -> int:
    scale = 60_000 / count
    if peer == "matplotlib":
        return 2 if count > 60_000 else 3
    return max(3, int(frames * min(1.0, scale ** 0.5)))


def cloud(count: int):
    from latentwalk.subcommands.bench import synthetic_cloud
    return synthetic_cloud(count, seed=0)


def timed(step, frames: int, finish) -> list[float]:
    samples = []
    for i in range(frames):
        start = time.perf_counter()
        step(i)
        finish()
        samples.append((time.perf_counter() - start) * 1000.0)
    return samples


# ----------------------------------------------------------------------------- one peer per process
def child_latentwalk(count: int, frames: int, size, detail: bool) -> dict:
    from OpenGL import GL as gl

    from latentwalk.subcommands.bench import write_synthetic_bundle
    from latentwalk.engine.app import App
    from latentwalk.scenes.explorer.core.commands import Orbit, PointerMoved, ShowPanels
    from latentwalk.scenes.explorer.scene import ExplorerScene

    with tempfile.TemporaryDirectory() as folder:
        bundle = write_synthetic_bundle(Path(folder), count)
        scene = ExplorerScene(bundle, device="cpu", detail=None if detail else {"enabled": False})
        with App(scene, size=size, vsync=False, frame_cap=0) as app:
            scene.submit(ShowPanels(False))
            scene.submit(PointerMoved(None))  # no hover picking: the peers do none (latentwalk bench times it)
            builder = scene.layer_cache.detail.builder
            if builder is not None:
                builder.wait()
            turn = math.radians(1.0)

            drawn = []

            def turning(i):
                scene.submit(Orbit(turn, 0.0))
                app.step_frame()
                drawn.append(scene.installed.cloud.last_drawn)
            timed(turning, LATENTWALK_WARMUP if detail else WARMUP, gl.glFinish)
            scene.submit(PointerMoved(None))  # again: the window's first events put the pointer in it
            drawn.clear()
            moving = timed(turning, frames, gl.glFinish)
            drawn = int(statistics.median(drawn))
            timed(lambda i: app.step_frame(), 60, gl.glFinish)  # the camera settles; detail refines
            rest = timed(lambda i: app.step_frame(), frames, gl.glFinish)
            return {"turning": moving, "rest": rest, "drawn_turning": drawn,
                    "renderer": gl.glGetString(gl.GL_RENDERER).decode()}


def child_bare(count: int, frames: int, size) -> dict:
    from OpenGL import GL as gl

    from latentwalk.engine.camera import OrbitCamera
    from latentwalk.engine.window import Window
    from latentwalk.scenes.explorer.view.palette import class_colors
    from latentwalk.scenes.explorer.view.points import PointCloud, PointStyle
    from latentwalk.scenes.explorer.scene import HOME_ORIENTATION

    positions, labels = cloud(count)
    window = Window(size, vsync=False, title="bare")
    cloud_gl = PointCloud(positions, labels, class_colors(10))
    camera = OrbitCamera(orientation=HOME_ORIENTATION)
    camera.frame_points(positions.min(axis=0), positions.max(axis=0), aspect=size[0] / size[1])
    camera.snap()
    style = PointStyle(point_size=POINT_PX, reference_distance=camera.home.distance)

    def draw(turn: float):
        if turn:
            camera.orbit(turn, 0.0)
            camera.update(1 / 60)
        gl.glViewport(0, 0, *size)
        gl.glClearColor(0.08, 0.08, 0.10, 1.0)
        gl.glClear(gl.GL_COLOR_BUFFER_BIT | gl.GL_DEPTH_BUFFER_BIT)
        cloud_gl.draw(camera.view_projection(1.0, size[0] / size[1]), camera.view_matrix(1.0), style)
        window.flip()
    timed(lambda i: draw(math.radians(1.0)), WARMUP, gl.glFinish)
    moving = timed(lambda i: draw(math.radians(1.0)), frames, gl.glFinish)
    rest = timed(lambda i: draw(0.0), frames, gl.glFinish)
    return {"turning": moving, "rest": rest, "drawn_turning": count}


def child_vispy(count: int, frames: int, size, antialias: int) -> dict:
    from vispy import app, scene

    from latentwalk.scenes.explorer.view.palette import class_colors

    app.use_app("glfw")
    positions, labels = cloud(count)
    canvas = scene.SceneCanvas(size=size, show=True, bgcolor=(0.08, 0.08, 0.10, 1.0))
    view = canvas.central_widget.add_view()
    view.camera = scene.TurntableCamera(fov=45, elevation=18, azimuth=-30,
                                        center=tuple(float(v) for v in positions.mean(axis=0)),
                                        distance=2.6 * float(positions.std(axis=0).max()) * 3)
    markers = scene.visuals.Markers()
    colors = class_colors(10)[labels]
    markers.set_data(positions, face_color=colors, size=POINT_PX, edge_width=0)
    markers.antialias = antialias
    view.add(markers)

    def draw(turn: float):
        view.camera.azimuth += turn
        canvas.update()
        app.process_events()
    finish = canvas.context.finish
    timed(lambda i: draw(1.0), WARMUP, finish)
    moving = timed(lambda i: draw(1.0), frames, finish)
    rest = timed(lambda i: draw(0.0), frames, finish)
    return {"turning": moving, "rest": rest, "drawn_turning": count}


def child_matplotlib(count: int, frames: int, size) -> dict:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from latentwalk.scenes.explorer.view.palette import class_colors

    positions, labels = cloud(count)
    dpi = 100
    figure = plt.figure(figsize=(size[0] / dpi, size[1] / dpi), dpi=dpi)
    axes = figure.add_subplot(projection="3d")
    points_per_px = 72 / dpi
    axes.scatter(*positions.T, c=class_colors(10)[labels], s=(POINT_PX * points_per_px) ** 2, linewidths=0)
    state = {"azim": -30.0}

    def draw(turn: float):
        state["azim"] += turn
        axes.view_init(elev=18, azim=state["azim"])
        figure.canvas.draw()
    draw(1.0)
    moving = timed(lambda i: draw(1.0), frames, lambda: None)
    rest = timed(lambda i: draw(0.0), frames, lambda: None)
    return {"turning": moving, "rest": rest, "drawn_turning": count}


def child(peer: str, count: int, frames: int, size) -> dict:
    if peer in ("bare", "latentwalk", "latentwalk-full"):
        from latentwalk.engine.headless import ensure_display
        ensure_display()
    if peer == "latentwalk":
        return child_latentwalk(count, frames, size, detail=True)
    if peer == "latentwalk-full":
        return child_latentwalk(count, frames, size, detail=False)
    if peer == "bare":
        return child_bare(count, frames, size)
    if peer.startswith("vispy"):
        return child_vispy(count, frames, size, antialias=int(peer[-1]))
    return child_matplotlib(count, frames, size)


# ----------------------------------------------------------------------------- the parent
def run_peer(peer: str, count: int, frames: int, size, timeout: float) -> dict:
    command = [sys.executable, __file__, "--child", peer, "--points", str(count), "--frames", str(frames),
               "--size", f"{size[0]}x{size[1]}"]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"error": f"over {timeout:.0f} s"}
    if done.returncode != 0:
        lines = (done.stderr or done.stdout).strip().splitlines()
        return {"error": lines[-1] if lines else f"exit {done.returncode}"}
    return json.loads(done.stdout.strip().splitlines()[-1])


def format_report(results: dict, args, renderer: str) -> str:
    lines = ["# latentwalk and its peers: same cloud, same camera path, same window",
             "",
             f"`python bench/bench_peers.py --sizes {args.sizes} --frames {args.frames}` on {renderer}, "
             f"{args.size}, {os.cpu_count()} CPUs, Python {platform.python_version()}; median ms per frame "
             "(each ended with glFinish), fps = 1000 / median. Turning: 1 degree a frame; rest: the same view again. "
             f"Load average {args.load[0]:.1f} at the start, {args.load[1]:.1f} at the end (a shared machine: "
             "compare within a row group, not with other runs).",
             "", "| points | peer | turning ms | turning fps | points drawn turning | rest ms | rest fps |",
             "| ---: | --- | ---: | ---: | ---: | ---: | ---: |"]
    for count, peers in results.items():
        for peer, r in peers.items():
            if "error" in r:
                lines.append(f"| {count:,} | {peer} | not run: {r['error']} | | | | |")
                continue
            t, s = statistics.median(r["turning"]), statistics.median(r["rest"])
            lines.append(f"| {count:,} | {peer} | {t:.1f} | {1000 / t:.1f} | {r['drawn_turning']:,} | {s:.1f} | "
                         f"{1000 / s:.1f} |")
    lines += ["", "Ratios, same run (peer's median ms / latentwalk's; above 1 means latentwalk is faster):", "",
              "| points | turning vs vispy aa0 | turning vs vispy aa1 | rest vs vispy aa0 | rest vs matplotlib | "
              "full-detail turning / bare |", "| ---: | ---: | ---: | ---: | ---: | ---: |"]
    for count, peers in results.items():
        def med(peer, phase):
            r = peers.get(peer, {})
            return statistics.median(r[phase]) if phase in r else None

        def ratio(a, b):
            return "-" if a is None or b is None else f"{a / b:.1f}x"
        ours_t, ours_r = med("latentwalk", "turning"), med("latentwalk", "rest")
        full, bare = med("latentwalk-full", "turning"), med("bare", "turning")
        lines.append(f"| {count:,} | {ratio(med('vispy-aa0', 'turning'), ours_t)} | "
                     f"{ratio(med('vispy-aa1', 'turning'), ours_t)} | {ratio(med('vispy-aa0', 'rest'), ours_r)} | "
                     f"{ratio(med('matplotlib', 'rest'), ours_r)} | {ratio(full, bare)} |")
    lines += ["", "latentwalk turning draws a subset sized to hold its target frame rate (adaptive detail, 36 fps "
              f"by default) after {LATENTWALK_WARMUP} warm-up frames; at rest it shows the cached layer once refined. "
              "latentwalk-full is the same with detail off. matplotlib: fewer frames (seconds each)."]
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="60000,250000,1000000")
    parser.add_argument("--frames", type=int, default=20, help="timed frames per phase at 60k (fewer above)")
    parser.add_argument("--size", default="1280x720")
    parser.add_argument("--peers", default=",".join(PEERS))
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds per peer and size")
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--points", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    size = tuple(int(v) for v in args.size.lower().split("x"))
    if args.child:
        print(json.dumps(child(args.child, args.points, args.frames, size)))
        return 0
    from latentwalk.engine.headless import ensure_display
    ensure_display()  # one X server for every peer, so they share it alike
    results: dict[int, dict] = {}
    renderer = "?"
    load_before = os.getloadavg()[0]
    for count in (int(s) for s in args.sizes.split(",")):
        results[count] = {}
        for peer in args.peers.split(","):
            print(f"{count:,} points: {peer} ...", flush=True)
            result = run_peer(peer, count, frames_for(peer, count, args.frames), size, args.timeout)
            results[count][peer] = result
            renderer = result.get("renderer", renderer)
            print("   ", result.get("error") or f"turning {statistics.median(result['turning']):.1f} ms, "
                  f"rest {statistics.median(result['rest']):.1f} ms", flush=True)
    args.load = (load_before, os.getloadavg()[0])
    report = format_report(results, args, renderer)
    print(report)
    if not args.no_write:
        RESULTS.write_text(report, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
