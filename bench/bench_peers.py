"""latentwalk beside its peers, in one run, on the same seeded cloud (latentwalk.subcommands.bench's
synthetic_cloud), the same window size and the same camera path: the view turning 1 degree a frame,
and at rest (the same view drawn again).

- latentwalk: the explorer (panels hidden), adaptive detail on; and with detail off ("full detail").
- bare: clear + one instanced draw of the explorer's own PointCloud (same shaders and buffers) + swap.
- vispy: scene.visuals.Markers (size 4, no edge) in a SceneCanvas with a TurntableCamera, antialias 0
  and 1, on the glfw backend (a visible window on the same X server).
- matplotlib: a 3-d scatter (Agg), view_init per frame, fig.canvas.draw().
- pygfx (WGPU; fastplotlib draws through it): gfx.Points (4 px screen-space discs, no aa) on an offscreen
  canvas, pixel_ratio 1 and ppaa "none" (its defaults, 2x internal resolution and ddaa, cost ~10x), the
  camera set from the same OrbitCamera path as bare; on Mesa's Vulkan driver (lavapipe) and on its OpenGL
  backend (WGPU_BACKEND_TYPE=OpenGL; llvmpipe's GL lacks float32-filterable). A frame ends when the
  offscreen canvas has read it back (wgpu 0.32 cannot wait on the queue otherwise). Its pick: the frame
  rendered with pick_write on (its pick target is written by every such frame) and get_pick_info.

latentwalk's pick: one pick after the view turned a degree (the CPU prefilter's candidates from the
cloud's pick tree, then the scissored id pass), at a point in the middle of the window; and picks with
the view still and the pointer on other points (pygfx's get_pick_info alone is that case: its pick
target is already drawn).

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
PEERS = ("latentwalk", "latentwalk-full", "bare", "vispy-aa0", "vispy-aa1", "matplotlib", "pygfx-vulkan",
         "pygfx-gl")
PICKS = 5
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

    from latentwalk.subcommands.bench import hover_pixels, write_synthetic_bundle
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
            picks = []
            pixel = hover_pixels(scene, 1)[0]
            scene.pick_at(pixel)  # the cloud's pick tree is made once, as at the first hover
            for _ in range(PICKS):
                scene.submit(Orbit(turn, 0.0))  # the view changed: pick in the turned view
                app.step_frame()
                gl.glFinish()  # charge the pick only for itself
                scene.pick_at(pixel)
                gl.glFinish()
                picks.append(scene.picker.last_ms)
            moved = []  # the view still, the pointer on another point: what pygfx's get_pick_info alone does
            for other in hover_pixels(scene, PICKS, seed=2):
                gl.glFinish()
                scene.pick_at(other)
                gl.glFinish()
                moved.append(scene.picker.last_ms)
            return {"turning": moving, "rest": rest, "drawn_turning": drawn, "pick": picks, "pick_moved": moved,
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


def child_pygfx(count: int, frames: int, size, backend: str) -> dict:
    if backend == "gl":
        os.environ["WGPU_BACKEND_TYPE"] = "OpenGL"
    import numpy as np
    import pygfx as gfx
    from rendercanvas.offscreen import RenderCanvas

    from latentwalk.engine.camera import OrbitCamera
    from latentwalk.scenes.explorer.scene import HOME_ORIENTATION
    from latentwalk.scenes.explorer.view.palette import class_colors

    if backend == "gl":  # before the device is made: llvmpipe's GL has no filterable float32 textures
        gfx.renderers.wgpu.enable_wgpu_features("!float32-filterable")
    positions, labels = cloud(count)
    canvas = RenderCanvas(size=size, pixel_ratio=1)
    renderer = gfx.renderers.WgpuRenderer(canvas, pixel_ratio=1, ppaa="none")
    world = gfx.Scene()
    world.add(gfx.Background.from_color((0.08, 0.08, 0.10, 1.0)))
    colors = np.ones((count, 4), np.float32)
    colors[:, :3] = class_colors(10)[labels][:, :3]
    material = gfx.PointsMaterial(size=POINT_PX, size_space="screen", color_mode="vertex", aa=False,
                                  pick_write=False)
    points = gfx.Points(gfx.Geometry(positions=positions, colors=colors), material)
    world.add(points)
    orbit = OrbitCamera(orientation=HOME_ORIENTATION)
    orbit.frame_points(positions.min(axis=0), positions.max(axis=0), aspect=size[0] / size[1])
    orbit.snap()
    camera = gfx.PerspectiveCamera(math.degrees(orbit.fov_y), size[0] / size[1])
    camera.depth_range = tuple(float(v) for v in orbit.near_far(1.0))

    def draw(turn: float):
        if turn:
            orbit.orbit(turn, 0.0)
            orbit.update(1 / 60)
        camera.local.matrix = np.linalg.inv(orbit.view_matrix(1.0))
        canvas.request_draw(lambda: renderer.render(world, camera))
        canvas.draw()  # rendered and read back: the frame is done
    timed(lambda i: draw(math.radians(1.0)), WARMUP, lambda: None)
    moving = timed(lambda i: draw(math.radians(1.0)), frames, lambda: None)
    rest = timed(lambda i: draw(0.0), frames, lambda: None)
    material.pick_write = True
    draw(0.0)  # the pipeline with a pick target is built once
    centre = (size[0] // 2, size[1] // 2)
    picks, pick_frames, hits = [], [], 0
    for _ in range(PICKS):
        start = time.perf_counter()
        draw(math.radians(1.0))  # the view changed: its pick target is drawn with the frame
        picked = time.perf_counter()
        info = renderer.get_pick_info(centre)
        picks.append((time.perf_counter() - picked) * 1000.0)
        pick_frames.append((picked - start) * 1000.0)
        hits += info.get("world_object") is points
    adapter = renderer.device.adapter.info
    return {"turning": moving, "rest": rest, "drawn_turning": count, "pick": picks, "pick_frame": pick_frames,
            "pick_hits": hits,
            "renderer": f"{adapter['device']} ({adapter['backend_type']})"}


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
    if peer.startswith("pygfx"):
        return child_pygfx(count, frames, size, backend=peer.split("-")[1])
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
             f"{args.size}, {os.cpu_count()} CPUs, Python {platform.python_version()}; ms per frame (each ended "
             "with glFinish; pygfx: read back), fps = 1000 / p50. Turning: 1 degree a frame; rest: the same view "
             f"again. {benchenv.load_note(*args.load).capitalize()} (a shared machine: compare within a row group, "
             "not with other runs).",
             "", "| points | peer | turning p50 ms | p95 | p99 | turning fps | points drawn turning | rest p50 ms | "
             "p95 | p99 | rest fps | pick after a turn ms | pick, pointer moved ms |",
             "| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    adapters = {}
    for count, peers in results.items():
        for peer, r in peers.items():
            if "error" in r:
                lines.append(f"| {count:,} | {peer} | not run: {r['error']} | | | | | | | | | | |")
                continue
            t50, t95, t99 = benchenv.spread(r["turning"])
            r50, r95, r99 = benchenv.spread(r["rest"])
            if peer.startswith("pygfx") and r.get("pick"):  # after a turn: the frame that draws its pick target, then the read
                turned = f"{statistics.median(r['pick_frame']) + statistics.median(r['pick']):.2f}"
                moved = f"{statistics.median(r['pick']):.2f}"
            else:
                turned = f"{statistics.median(r['pick']):.2f}" if r.get("pick") else "-"
                moved = f"{statistics.median(r['pick_moved']):.2f}" if r.get("pick_moved") else "-"
            lines.append(f"| {count:,} | {peer} | {t50:.1f} | {t95:.1f} | {t99:.1f} | {1000 / t50:.1f} | "
                         f"{r['drawn_turning']:,} | {r50:.1f} | {r95:.1f} | {r99:.1f} | {1000 / r50:.1f} | {turned} | "
                         f"{moved} |")
            if peer.startswith("pygfx"):
                adapters[peer] = r["renderer"]
    lines += ["", "Ratios, same run (peer's p50 ms / latentwalk's; above 1 means latentwalk is faster; pygfx: its "
              "faster backend of the two in that row group):", "",
              "| points | turning vs vispy aa0 | turning vs pygfx | every point drawn turning vs pygfx | "
              "rest vs vispy aa0 | rest vs pygfx | rest vs matplotlib | pick after a turn vs pygfx (its frame with a "
              "pick target + get_pick_info) | pick, pointer moved vs pygfx (get_pick_info) | full-detail turning / bare |",
              "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for count, peers in results.items():
        def med(peer, phase):
            r = peers.get(peer, {})
            return statistics.median(r[phase]) if r.get(phase) else None

        def best(phase):
            values = [v for v in (med(p, phase) for p in peers if p.startswith("pygfx")) if v is not None]
            return min(values) if values else None

        def ratio(a, b):
            return "-" if a is None or b is None else f"{a / b:.1f}x"
        ours_t, ours_r, ours_pick = med("latentwalk", "turning"), med("latentwalk", "rest"), med("latentwalk", "pick")
        full, bare = med("latentwalk-full", "turning"), med("bare", "turning")
        pygfx_pick = [med(p, "pick_frame") + med(p, "pick") for p in peers
                      if p.startswith("pygfx") and med(p, "pick") is not None]
        lines.append(f"| {count:,} | {ratio(med('vispy-aa0', 'turning'), ours_t)} | {ratio(best('turning'), ours_t)} | "
                     f"{ratio(best('turning'), full)} | {ratio(med('vispy-aa0', 'rest'), ours_r)} | "
                     f"{ratio(best('rest'), ours_r)} | {ratio(med('matplotlib', 'rest'), ours_r)} | "
                     f"{ratio(min(pygfx_pick) if pygfx_pick else None, ours_pick)} | "
                     f"{ratio(best('pick'), med('latentwalk', 'pick_moved'))} | {ratio(full, bare)} |")
    lines += ["", "latentwalk turning draws a subset sized to hold its target frame rate (adaptive detail, 36 fps "
              f"by default) after {LATENTWALK_WARMUP} warm-up frames; at rest it shows the cached layer once refined. "
              "latentwalk-full is the same with detail off. matplotlib: fewer frames (seconds each). "
              "latentwalk's pick: one pick after the view turned (CPU prefilter through the cloud's pick tree, then "
              "the scissored id pass). "
              "pygfx's pick ms is get_pick_info alone; a pick after the view changed also needs a frame drawn with "
              "pick_write on (its pick target), which the pick ratio counts. pygfx adapters: "
              + ("; ".join(f"{peer}: {adapter}" for peer, adapter in adapters.items()) or "none ran") + "."]
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
            if not peer.startswith("pygfx"):
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
