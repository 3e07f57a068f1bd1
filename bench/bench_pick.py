"""A pick after the view changed, this checkout's picker against another checkout's (`--baseline`, the
path of its scenes/explorer/view/picking.py), in one process and one GL context, interleaved pick by
pick (which goes first alternates), on the seeded synthetic cloud framed as the explorer frames it
(1280x720, 4 px points, its reference distance). The view turns a degree before each pick; the
cursor lands at a seeded random pixel in the middle of the window. Wall and process CPU ms (llvmpipe's
threads included) per pick, ended with glFinish; both pickers must name the same point every time.
Rounds are separate processes; the table gives the median of the rounds' medians.

    python bench/bench_pick.py --baseline ../main/scenes/explorer/view/picking.py [--rounds 3]
"""
from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import time

import benchenv  # noqa: F401  (sys.path and the headless environment)

RESULTS = benchenv.RESULTS_DIR / "pick.md"
PICKS = 30
SIZE = (1280, 720)


def child(baseline: str, count: int) -> dict:
    import importlib.util

    import numpy as np
    from OpenGL import GL as gl

    from latentwalk.engine.camera import OrbitCamera
    from latentwalk.engine.headless import ensure_display
    from latentwalk.subcommands.bench import synthetic_cloud

    ensure_display((SIZE[0] + 100, SIZE[1] + 100))
    from latentwalk.engine.window import Window
    from latentwalk.scenes.explorer.scene import HOME_ORIENTATION
    from latentwalk.scenes.explorer.view.picking import Picker
    from latentwalk.scenes.explorer.view.points import PointCloud, PointStyle

    spec = importlib.util.spec_from_file_location("baseline_picking", baseline)
    old = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(old)
    width, height = SIZE
    window = Window(SIZE, vsync=False, title="bench_pick")
    positions, labels = synthetic_cloud(count, seed=0)
    cloud = PointCloud(positions, labels, np.full((10, 3), 0.5, np.float32))
    pickers = {"baseline": old.Picker(width, height), "this": Picker(width, height)}
    camera = OrbitCamera(orientation=HOME_ORIENTATION)
    camera.frame_points(positions.min(0), positions.max(0), aspect=width / height)
    camera.snap()
    style = PointStyle(point_size=4.0, reference_distance=camera.home.distance)
    made = time.perf_counter()
    pickers["this"].pick(cloud, (width // 2, height // 2), camera.projection_matrix(width / height)
                         @ camera.view_matrix(), camera.view_matrix(), style)  # its tree, once per cloud
    first_ms = (time.perf_counter() - made) * 1000.0
    rng = np.random.default_rng(0)
    samples = {f"{name}_{kind}": [] for name in pickers for kind in ("wall", "cpu", "candidates")}
    agree = 0
    for i in range(PICKS):
        camera.orbit(math.radians(1.0), 0.0)
        camera.snap()
        matrix, view = camera.projection_matrix(width / height) @ camera.view_matrix(), camera.view_matrix()
        cursor = (int(rng.integers(width * 0.3, width * 0.7)), int(rng.integers(height * 0.3, height * 0.7)))
        found = {}
        for name in (("baseline", "this") if i % 2 == 0 else ("this", "baseline")):
            picker = pickers[name]
            if hasattr(picker, "forget_view"):
                picker.forget_view()  # the baseline keeps a projection per view: the view changed
            gl.glFinish()
            cpu, wall = time.process_time(), time.perf_counter()
            found[name] = picker.pick(cloud, cursor, matrix, view, style)
            gl.glFinish()
            samples[f"{name}_wall"].append((time.perf_counter() - wall) * 1000.0)
            samples[f"{name}_cpu"].append((time.process_time() - cpu) * 1000.0)
            samples[f"{name}_candidates"].append(picker.last_candidates)
        agree += found["baseline"] == found["this"]
    tree = pickers["this"].tree
    for picker in pickers.values():
        picker.release()
    cloud.release()
    window.close()
    return {**{key: statistics.median(values) for key, values in samples.items()}, "agree": agree,
            "first_ms": first_ms, "tree_bytes_per_point": tree.nbytes / count}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", required=True, help="another checkout's scenes/explorer/view/picking.py")
    parser.add_argument("--sizes", default="60000,1000000")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--child", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    if not os.path.isfile(args.baseline):
        print(f"bench_pick: --baseline {args.baseline}: no such file", file=sys.stderr)
        return 2
    if args.child:
        print(json.dumps(child(args.baseline, args.child)))
        return 0
    sizes = [int(size) for size in args.sizes.split(",")]
    load_before = os.getloadavg()[0]
    rounds = {size: [] for size in sizes}
    for _ in range(args.rounds):
        for size in sizes:
            done = subprocess.run([sys.executable, __file__, "--baseline", args.baseline, "--child", str(size)],
                                  capture_output=True, text=True, timeout=900)
            if done.returncode != 0:
                print(f"bench_pick: {size:,} points failed: {done.stderr.strip().splitlines()[-1:]}", file=sys.stderr)
                return 1
            rounds[size].append(json.loads(done.stdout.strip().splitlines()[-1]))
    load = benchenv.load_note(load_before, os.getloadavg()[0])
    lines = ["# A pick after the view changed: this checkout against a baseline", "",
             f"`python bench/bench_pick.py --baseline BASELINE --rounds {args.rounds}`, 1280x720, llvmpipe; {load}. "
             "Median of the rounds' medians, each of 30 picks, the two pickers interleaved in one process. "
             "CPU ms counts every thread of the process (llvmpipe's included).", "",
             "| points | baseline wall ms | baseline CPU ms | baseline candidates | this wall ms | this CPU ms | "
             "this candidates | same point | first pick (tree made) ms | tree bytes a point |",
             "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for size in sizes:
        def med(key):
            return statistics.median(r[key] for r in rounds[size])
        agree = sum(r["agree"] for r in rounds[size])
        lines.append(f"| {size:,} | {med('baseline_wall'):.2f} | {med('baseline_cpu'):.2f} | {med('baseline_candidates'):.0f} | "
                     f"{med('this_wall'):.2f} | {med('this_cpu'):.2f} | {med('this_candidates'):.0f} | "
                     f"{agree}/{PICKS * args.rounds} | {med('first_ms'):.0f} | {med('tree_bytes_per_point'):.1f} |")
    benchenv.publish(lines, RESULTS, write=not args.no_write)
    return 0


if __name__ == "__main__":
    sys.exit(main())
