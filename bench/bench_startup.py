"""Start-up and memory per point: from process start to the first frame on screen for
`latentwalk run` on the bundled model and on a 1M-point bundle, side by side with the same run where
torch is imported before the window (as every run did before torch was made lazy); and the memory a
point costs beyond its latents, from the resident size of two explorers (60k and 1M synthetic points)
after the same scripted minute-in-a-few-seconds (turning, hovering, resting).

Each run is its own process; rounds interleave the configurations. "First frame" is the moment the
first buffer swap returns, measured from the process's start time in /proc (10 ms resolution).

    python bench/bench_startup.py [--rounds 3]
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import benchenv  # noqa: F401

RESULTS = benchenv.RESULTS_DIR / "startup.md"
MEMORY_SIZES = (60_000, 1_000_000)


def since_process_start() -> float:
    ticks = os.sysconf("SC_CLK_TCK")
    start = int(open("/proc/self/stat").read().rsplit(")", 1)[1].split()[19]) / ticks
    return float(open("/proc/uptime").read().split()[0]) - start


def memory_kb() -> dict[str, int]:
    fields = {}
    for line in open("/proc/self/status"):
        if line.startswith(("VmRSS", "VmHWM")):
            name, value = line.split(":")
            fields[name] = int(value.split()[0])
    return fields


def child_first_frame(model: str, preload_torch: bool) -> dict:
    if preload_torch:
        import torch  # noqa: F401
    from latentwalk.engine import window

    seen = {}
    flip = window.Window.flip

    def timed_flip(self):
        flip(self)
        if "first" not in seen:
            seen["first"] = since_process_start()
            seen["torch"] = "torch" in sys.modules
    window.Window.flip = timed_flip
    from latentwalk.cli import main
    main(["run", "--model", model, "--frames", "3", "--no-vsync"])
    return {"first_frame_s": seen["first"], "torch_at_first_frame": seen["torch"], "exit_s": since_process_start()}


def child_memory(model: str) -> dict:
    import tracemalloc

    from OpenGL import GL as gl

    from latentwalk.engine.app import App
    from latentwalk.scenes.explorer.core.commands import Orbit, PointerMoved, ShowPanels
    from latentwalk.scenes.explorer.scene import ExplorerScene

    tracemalloc.start()  # numpy's arrays and Python's objects; not the GL driver's own memory
    scene = ExplorerScene(model, device="cpu")
    with App(scene, size=(1280, 720), vsync=False, frame_cap=0) as app:
        scene.submit(ShowPanels(False))
        builder = scene.layer_cache.detail.builder
        if builder is not None:
            builder.wait()
        for i in range(30):
            scene.submit(Orbit(0.02, 0.0))
            scene.submit(PointerMoved((300 + 20 * i, 360)))
            app.step_frame()
        for _ in range(40):
            app.step_frame()
        gl.glFinish()
        traced_kb = tracemalloc.get_traced_memory()[0] // 1024
        return {"points": scene.installed.cloud.count, "latent_dim": scene.bundle.latent_dim, "traced": traced_kb,
                "held": held_per_point(scene), **memory_kb()}


def held_per_point(scene) -> dict[str, float]:
    """Bytes a point costs in each array the explorer keeps for it (host and GL buffers)."""
    cloud, count = scene.installed.cloud, scene.installed.cloud.count
    held = {"3-d positions (host)": cloud.host_positions.nbytes,
            "labels (host)": scene.bundle.labels.nbytes,
            "draw order (host)": 0 if cloud.order is None else cloud.order.nbytes,
            "pick tree (host)": 0 if scene.picker.tree is None else scene.picker.tree.nbytes,
            "GL positions": cloud.position_buffer.nbytes, "GL labels": cloud.label_buffer.nbytes,
            "GL ids (draw order)": 0 if cloud.id_buffer is None else cloud.id_buffer.nbytes}
    if cloud.host_positions is scene.bundle.latents:
        held["3-d positions (host)"] = 0  # the latents themselves
    return {name: nbytes / count for name, nbytes in held.items()}


def run_child(args: list[str]) -> dict:
    done = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True, timeout=600)
    if done.returncode != 0:
        raise SystemExit(f"child {args} failed: {done.stderr.strip().splitlines()[-1:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--child", choices=("first-frame", "memory"))
    parser.add_argument("--model", default="mnist")
    parser.add_argument("--preload-torch", action="store_true")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    if args.child == "first-frame":
        print(json.dumps(child_first_frame(args.model, args.preload_torch)))
        return 0
    if args.child == "memory":
        print(json.dumps(child_memory(args.model)))
        return 0

    from latentwalk.subcommands.bench import write_synthetic_bundle
    from latentwalk.engine.headless import ensure_display

    ensure_display()
    with tempfile.TemporaryDirectory() as folder:
        bundles = {size: str(write_synthetic_bundle(Path(folder), size)) for size in MEMORY_SIZES}
        models = {"mnist (bundled, 60k)": "mnist", "1M synthetic": bundles[1_000_000]}
        starts: dict[tuple[str, bool], list[dict]] = {}
        for _ in range(args.rounds):
            for name, model in models.items():
                for preload in (True, False):
                    extra = ["--preload-torch"] if preload else []
                    starts.setdefault((name, preload), []).append(
                        run_child(["--child", "first-frame", "--model", model, *extra]))
        memory = {size: run_child(["--child", "memory", "--model", bundles[size]]) for size in MEMORY_SIZES}
    report = format_report(starts, memory, args)
    print(report)
    if not args.no_write:
        RESULTS.write_text(report, encoding="utf-8")
    return 0


def format_report(starts, memory, args) -> str:
    lines = ["# Start-up and memory per point", "",
             f"`python bench/bench_startup.py --rounds {args.rounds}`; {os.cpu_count()} CPUs, Python "
             f"{platform.python_version()}, Xvfb + llvmpipe, 1280x720; medians of {args.rounds} interleaved runs, "
             f"{time.strftime('%Y-%m-%d')}.", "",
             "| model | torch imported before the window (as before) | now (torch after the first frame) | ratio | "
             "torch loaded at first frame (now) |", "| --- | ---: | ---: | ---: | --- |"]
    for name in dict.fromkeys(key[0] for key in starts):
        before = statistics.median(r["first_frame_s"] for r in starts[(name, True)])
        now = statistics.median(r["first_frame_s"] for r in starts[(name, False)])
        torch_now = any(r["torch_at_first_frame"] for r in starts[(name, False)])
        lines.append(f"| {name} | {before:.2f} s | {now:.2f} s | {before / now:.2f}x | {'yes' if torch_now else 'no'} |")
    small, big = (memory[size] for size in MEMORY_SIZES)
    points = big["points"] - small["points"]
    latent_bytes = 4 * big["latent_dim"]
    lines += ["", "Memory after turning, hovering (the pick prefilter's arrays made) and resting, panels hidden; "
              "what is not in numpy arrays or Python objects is the GL driver's (buffers, shaders, the binned "
              "primitives of the frames it drew) and the allocator's:", "",
              "| points | resident (MB) | peak resident (MB) |", "| ---: | ---: | ---: |"]
    for size in MEMORY_SIZES:
        m = memory[size]
        lines.append(f"| {m['points']:,} | {m['VmRSS'] / 1024:.0f} | {m['VmHWM'] / 1024:.0f} |")
    for label, key in (("resident", "VmRSS"), ("peak", "VmHWM"), ("in numpy arrays and Python objects", "traced")):
        per_point = (big[key] - small[key]) * 1024 / points
        lines.append(f"\n{label}: {per_point:.0f} bytes per point, {per_point - latent_bytes:.0f} beyond the "
                     f"{latent_bytes}-byte latents (from the difference between the two sizes).")
    lines += ["", "What the explorer holds per point at 1M (the Neighbours panel's index, ~28 bytes, is built only "
              "once that panel is shown; the rest of the resident difference is the driver's and the allocator's):",
              "", "| array | bytes per point |", "| --- | ---: |"]
    lines += [f"| {name} | {value:.1f} |" for name, value in big["held"].items()]
    lines.append(f"| total | {sum(big['held'].values()):.1f} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
