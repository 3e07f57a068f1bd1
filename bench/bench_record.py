"""Recording cost: `latentwalk record`'s wall time against rendering the same frames without encoding.

    python bench/bench_record.py [--model mnist] [--frames 60] [--repeats 2] [--layout view] [--orbit 90]
                                 [--out bench/results/record.md]

For each size (1280x720, 1920x1080) and in one process, interleaved, median of the repeats:
- render only: the recorder's frames (3-d view, marker, inset; read back and composed) into a sink that
  drops them;
- record: the same frames into an H.264 MP4 through the writer thread (the defaults: crf 23, superfast);
- encode only: the frames rendered once beforehand, fed to the same writer (what encoding alone costs).
Ratio = record / render only (target: at most 1.2x): how much of the encoding hides behind rendering.
Real-time factor = video seconds / record wall seconds.
"""
from __future__ import annotations

import argparse
import datetime
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

import benchenv  # noqa: E402,F401  (sys.path and the headless environment)

SIZES = ((1280, 720), (1920, 1080))
THROUGH = (1, 6, 2, 4, 0)
DEFAULT_OUT = benchenv.RESULTS_DIR / "record.md"


class DropSink:
    def write(self, frame) -> None:
        pass


class KeepSink:
    def __init__(self) -> None:
        self.frames = []

    def write(self, frame) -> None:
        self.frames.append(frame.copy())


def run_recorder(plan, window, ui, sink) -> float:
    from latentwalk.scenes.explorer.record.recording import WalkRecorder

    recorder = WalkRecorder(plan, window=window, ui=ui)
    try:
        recorder.prepare()  # decoder and scene set-up is not what this measures
        started = time.perf_counter()
        recorder.record(sink)
        if hasattr(sink, "close"):
            sink.close()
        return time.perf_counter() - started
    finally:
        recorder.close()


def encode_only(frames, size, fps, path) -> float:
    from latentwalk.engine.video import VideoWriter

    started = time.perf_counter()
    writer = VideoWriter(path, size, fps)
    for frame in frames:
        writer.write(frame)
    writer.close()
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="mnist")
    parser.add_argument("--frames", type=int, default=60)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--layout", default="view")
    parser.add_argument("--orbit", type=float, default=90.0,
                        help="degrees the camera turns (a turning view is the encoder's hard case)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)

    from latentwalk.engine.headless import choose_gl_mode

    mode = choose_gl_mode((1920, 1080), modes=("xvfb", "egl", "display"))
    from latentwalk.engine.ui import Ui
    from latentwalk.engine.video import X264_PRESET, VideoWriter
    from latentwalk.engine.window import Window
    from latentwalk.scenes.explorer.record.recording import RecordPlan

    load_before = os.getloadavg()[0]
    window = Window(SIZES[0], vsync=False, title="bench_record")
    ui = Ui(scale=1.0)
    rows = []
    scratch = Path(tempfile.mkdtemp(prefix="bench-record-"))
    for size in SIZES:
        plan = RecordPlan(model=args.model, through=THROUGH, frames=args.frames, fps=30.0, size=size,
                          layout=args.layout, orbit_degrees=args.orbit)
        kept = KeepSink()
        run_recorder(plan, window, ui, kept)  # warm-up, and the frames for encode-only
        render, record, encode = [], [], []
        for repeat in range(args.repeats):
            render.append(run_recorder(plan, window, ui, DropSink()))
            out = scratch / f"{size[0]}x{size[1]}-{repeat}.mp4"
            record.append(run_recorder(plan, window, ui, VideoWriter(out, size, plan.fps)))
            encode.append(encode_only(kept.frames, size, plan.fps, scratch / "encode-only.mp4"))
        render_s, record_s, encode_s = (statistics.median(v) for v in (render, record, encode))
        rows.append((size, render_s, record_s, encode_s, args.frames / plan.fps))
        print(f"{size[0]}x{size[1]}: render {render_s:.2f} s, record {record_s:.2f} s, encode {encode_s:.2f} s",
              flush=True)
    ui.shutdown()
    window.close()

    lines = [
        "# Recording: wall time with encoding vs rendering alone",
        "",
        f"{datetime.date.today().isoformat()}, {platform.machine()}, {os.cpu_count()} CPUs, {mode.description}; "
        f"model {args.model}, walk through {','.join(map(str, THROUGH))}, layout {args.layout}, camera turning "
        f"{args.orbit:g} degrees, {args.frames} frames at 30 fps, H.264 crf 23 {X264_PRESET}; "
        f"median of {args.repeats} interleaved repeats in one run. "
        f"1-minute load average {load_before:.1f} at the start, {os.getloadavg()[0]:.1f} at the end (on 2 CPUs "
        "anything above 2 means other processes took CPU from both sides of the ratio).",
        "",
        "| size | render only | record (render + encode) | encode only | record / render | "
        "record / (render + encode) | real-time factor |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for (width, height), render_s, record_s, encode_s, video_s in rows:
        lines.append(f"| {width}x{height} | {render_s:.2f} s ({args.frames / render_s:.1f} fps) | {record_s:.2f} s "
                     f"| {encode_s:.2f} s ({args.frames / encode_s:.1f} fps) | {record_s / render_s:.2f}x "
                     f"| {record_s / (render_s + encode_s):.2f}x | {video_s / record_s:.2f}x |")
    lines += ["", "Real-time factor: seconds of video written per second of wall time (1.0x: as fast as it "
              "plays). Reproduce: `python bench/bench_record.py`."]
    benchenv.publish(lines, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
