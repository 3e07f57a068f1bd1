"""Per-frame cost of the engine loop with the demo scene: bare vs with an ImGui overlay, side by side.

Both configurations run in one process on one window, interleaved in rounds so drift in a noisy VM
hits both alike. Phases are separated with glFinish (App.sync_timings) so GPU work is charged to
the phase that issued it; "frame" is the whole step_frame. Prints a markdown table and writes
bench/results/loop.md.

    python bench/bench_loop.py [--size 1280x720] [--frames 300] [--rounds 5]
"""
from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
from pathlib import Path

import benchenv  # noqa: E402,F401  (sys.path and the headless environment)

RESULTS = Path(__file__).resolve().parent / "results" / "loop.md"
PHASES = ("update", "render", "ui", "ui_build", "ui_draw", "present", "frame")


def overlay_windows(state: dict) -> None:
    """Three windows of typical widgets: what an explorer's panels cost to build and draw."""
    from imgui_bundle import imgui

    imgui.set_next_window_pos((20, 200), imgui.Cond_.first_use_ever)
    if imgui.begin("Controls")[0]:
        for i in range(8):
            _, state["sliders"][i] = imgui.slider_float(f"slider {i}", state["sliders"][i], 0.0, 1.0)
        _, state["check"] = imgui.checkbox("enabled", state["check"])
        imgui.button("action")
        _, state["combo"] = imgui.combo("mode", state["combo"], ["a", "b", "c"])
    imgui.end()
    imgui.set_next_window_pos((320, 200), imgui.Cond_.first_use_ever)
    if imgui.begin("Table")[0]:
        if imgui.begin_table("values", 3):
            for row in range(20):
                for column in range(3):
                    imgui.table_next_column()
                    imgui.text(f"{row}.{column}: {row * column * 0.37:.3f}")
            imgui.end_table()
    imgui.end()
    imgui.set_next_window_pos((620, 200), imgui.Cond_.first_use_ever)
    if imgui.begin("Plot")[0]:
        imgui.plot_lines("signal", state["signal"], graph_size=(300, 80))
        imgui.progress_bar(0.6)
        imgui.text_wrapped("Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor. " * 2)
    imgui.end()


def make_scenes():
    import numpy as np

    from latentwalk.scenes.demo.scene import DemoScene

    class BareDemo(DemoScene):
        def build_ui(self) -> None:  # no windows: the loop's own cost (an empty ImGui frame remains)
            pass

    class OverlayDemo(DemoScene):
        state = {"sliders": [0.5] * 8, "check": True, "combo": 0,
                 "signal": np.sin(np.linspace(0, 12, 200)).astype(np.float32)}

        def build_ui(self) -> None:
            super().build_ui()
            overlay_windows(self.state)

    return BareDemo, OverlayDemo


def measure(app, frames: int) -> dict[str, list[float]]:
    samples: dict[str, list[float]] = {phase: [] for phase in PHASES}
    for _ in range(frames):
        app.step_frame(1.0 / 60.0)  # fixed dt: two 120 Hz updates every frame in both configurations
        for phase in PHASES:
            samples[phase].append(app.timings.last[phase])
    return samples


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="1280x720")
    parser.add_argument("--frames", type=int, default=300, help="measured frames per configuration per round")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--screenshot", default=None, help="save the overlay configuration's last frame (PNG)")
    args = parser.parse_args(argv)
    width, height = (int(v) for v in args.size.lower().split("x"))

    from latentwalk.engine.headless import ensure_display
    xvfb = ensure_display()  # noqa: F841 (kept alive until exit)

    from tqdm import tqdm

    from latentwalk.engine.app import App
    from latentwalk.engine.clock import ManualTimeSource

    load_before = os.getloadavg()[0]
    bare_cls, overlay_cls = make_scenes()
    app = App(bare_cls(spin=True), size=(width, height), vsync=False, time_source=ManualTimeSource())
    app.sync_timings = True
    results = {"bare": {p: [] for p in PHASES}, "overlay": {p: [] for p in PHASES}}
    scenes = {"bare": bare_cls, "overlay": overlay_cls}
    with tqdm(total=args.rounds * 2, desc="bench_loop", unit="run") as progress:
        for _ in range(args.rounds):
            for name, scene_cls in scenes.items():
                app.set_scene(scene_cls(spin=True))
                measure(app, 30)  # warm-up: first frames build fonts and window layouts
                for phase, values in measure(app, args.frames).items():
                    results[name][phase].extend(values)
                progress.update(1)
    if args.screenshot:
        from latentwalk.engine.capture import save_png
        save_png(app.capture(include_ui=True), args.screenshot)
    renderer = app.window.gl_renderer
    app.close()

    median = {name: {p: statistics.median(v) for p, v in phases.items()} for name, phases in results.items()}
    lines = [
        f"# Loop cost per frame: demo scene, bare vs ImGui overlay ({width}x{height})",
        "",
        f"Median ms per frame over {args.rounds} interleaved rounds x {args.frames} frames per configuration, "
        f"glFinish between phases; {renderer}; Python {platform.python_version()}, "
        f"{os.cpu_count()} CPUs; Xvfb; {benchenv.load_note(load_before, os.getloadavg()[0])}. Overlay: the demo panel plus 3 windows "
        "(8 sliders, checkbox, button, combo; a 20x3 table; a 200-point plot, progress bar, wrapped text).",
        "",
        "| phase | bare (ms) | overlay (ms) | overlay / bare |",
        "| --- | ---: | ---: | ---: |",
    ]
    for phase in PHASES:
        bare, overlay = median["bare"][phase], median["overlay"][phase]
        ratio = f"{overlay / bare:.2f}x" if bare > 0 else "-"
        label = f"&nbsp;&nbsp;{phase}" if phase.startswith("ui_") else phase
        lines.append(f"| {label} | {bare:.3f} | {overlay:.3f} | {ratio} |")
    lines += ["", "Whole frame, the same frames (ms):", "", "| configuration | p50 | p95 | p99 |", "| --- | ---: | ---: | ---: |"]
    for name in results:
        p50, p95, p99 = benchenv.spread(results[name]["frame"])
        lines.append(f"| {name} | {p50:.3f} | {p95:.3f} | {p99:.3f} |")
    overlay_cost = median["overlay"]["frame"] - median["bare"]["frame"]
    lines += ["", "ui = ui_build (scene.build_ui: Python widget calls) + ui_draw (imgui.render and the "
              "pygame backend's GL draw). Medians per phase need not sum to the frame's median.",
              "", f"The overlay adds {overlay_cost:.2f} ms per frame "
              f"({overlay_cost / median['bare']['frame'] * 100:.0f}% of the bare frame); "
              f"bare loop: {1000 / median['bare']['frame']:.0f} fps, with overlay: "
              f"{1000 / median['overlay']['frame']:.0f} fps (no vsync)."]
    table = "\n".join(lines) + "\n"
    print(table)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(table, encoding="utf-8")
    print(f"written {RESULTS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
