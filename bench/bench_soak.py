"""Kiosk endurance: the attract-mode tour running on the wall clock for --minutes, as an installation
would, logging every --interval seconds the frame-time percentiles of that interval, the process's
resident memory (RSS) and the live GL objects by kind. A flat RSS and flat GL counts after the
bounded caches fill (decoder results, undo history) mean nothing leaks; the table says so in its last
lines (growth from the second interval to the last).

Frame time is the work of one `App.step_frame` (input, commands, fixed updates, prepare, render, UI,
present), paced to --fps like a 60 Hz display; the tour decodes its walk in the background worker.
`--visit-every S` posts a key press every S seconds, so visitors take over and the idle timeout
(--idle seconds) brings the tour back, exercising the hand-over too.

Rewrites bench/results/soak.md after every interval, so a run cut short still leaves its table.

    python bench/bench_soak.py --minutes 30 [--model mnist] [--size 1280x720] [--visit-every 300]
"""
from __future__ import annotations

import argparse
import os
import platform
import time
from pathlib import Path

import benchenv  # noqa: F401  (sys.path and the headless environment)

RESULTS = Path(__file__).resolve().parent / "results" / "soak.md"


def rss_mib() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def table(args, points: int, rows: list[dict], started: str, finished: bool) -> str:
    kinds = list(rows[0]["gl"]) if rows else []
    lines = [
        "# Kiosk soak: the tour for hours, frame times, memory and GL objects",
        "",
        f"{platform.node()} ({os.cpu_count()} CPUs), Xvfb + Mesa llvmpipe, {args.size[0]}x{args.size[1]}, model "
        f"{args.model} ({points:,} points), paced to {args.fps:g} fps, visitors "
        f"{'every %g s' % args.visit_every if args.visit_every else 'none'}, idle timeout {args.idle:g} s. "
        f"Started {started}; {'finished' if finished else 'still running (partial table)'}, "
        f"{len(rows)} interval(s) of {args.interval:g} s. Frame time = the work of one frame, ms.",
        "",
        "| minute | frames | p50 ms | p95 ms | p99 ms | max ms | RSS MiB | tours | visits | GL " + " / ".join(kinds)
        + " |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for row in rows:
        lines.append(f"| {row['minute']:.1f} | {row['frames']} | {row['p50']:.1f} | {row['p95']:.1f} | "
                     f"{row['p99']:.1f} | {row['max']:.1f} | {row['rss']:.1f} | {row['tours']} | {row['visits']} | "
                     + " / ".join(str(row["gl"][kind]) for kind in kinds) + " |")
    if len(rows) >= 3:
        first, middle, last = rows[0], rows[len(rows) // 2], rows[-1]
        settled = next(i for i in range(len(rows)) if all(row["gl"] == rows[i]["gl"] for row in rows[i:]))
        gl_text = (f"the same in every row from minute {rows[settled]['minute']:.1f} on (objects made once: the "
                   "cached 3-d layer appears when the camera first stands still)" if settled <= len(rows) // 2
                   else f"STILL CHANGING at minute {rows[settled]['minute']:.1f}")
        lines += ["", f"RSS {last['rss'] - first['rss']:+.1f} MiB from minute {first['minute']:.1f} to "
                  f"{last['minute']:.1f} (the bounded caches fill first: decoded images, undo history), "
                  f"{last['rss'] - middle['rss']:+.1f} MiB over the second half (minute {middle['minute']:.1f} on); "
                  f"GL objects {gl_text}; errors logged: "
                  f"{last['errors']}."]
        if args.visit_every:
            lines[-1] += (" Visitor minutes (a still camera: the cached 3-d layer is reused) draw far faster than "
                          "tour minutes (the camera always moving: every frame redraws every point).")
    lines += ["", "The machine was shared with other work while this ran: frame times are noisy, read the trend.",
              "", "Reproduce: `python bench/bench_soak.py --minutes 30`."]
    return "\n".join(lines) + "\n"


def main() -> int:
    from latentwalk.subcommands.run import parse_size

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=30.0)
    parser.add_argument("--model", default="mnist", help="bundled model name or bundle folder (default mnist)")
    parser.add_argument("--size", type=parse_size, default=(1280, 720), metavar="WxH")
    parser.add_argument("--fps", type=float, default=60.0, help="frame pacing, like a display's refresh")
    parser.add_argument("--interval", type=float, default=60.0, help="seconds between log rows")
    parser.add_argument("--visit-every", type=float, default=0.0, help="seconds between simulated visitors (0: none)")
    parser.add_argument("--idle", type=float, default=60.0, help="the kiosk's idle timeout, seconds")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()

    from latentwalk.engine.headless import ensure_display
    xvfb = ensure_display()  # noqa: F841 (kept alive until exit)
    import pygame

    from latentwalk.engine.gl.census import gl_object_counts
    from latentwalk.scenes.explorer.scene import ExplorerScene
    from latentwalk.scenes.kiosk.config import KioskConfig
    from latentwalk.scenes.kiosk.scene import KioskApp, KioskScene

    config = KioskConfig(model=args.model, idle_timeout=args.idle)
    scene = KioskScene(config, ExplorerScene(args.model, device="cpu"))
    started = time.strftime("%Y-%m-%d %H:%M:%S")
    rows: list[dict] = []
    period = 1.0 / args.fps
    with KioskApp(scene, size=args.size, vsync=False, frame_cap=args.fps) as app:
        points = len(scene.explorer.bundle.latents)
        begin = time.perf_counter()
        end = begin + args.minutes * 60.0
        next_row, next_visit = begin + args.interval, begin + (args.visit_every or float("inf"))
        frame_ms: list[float] = []
        while time.perf_counter() < end:
            frame_start = time.perf_counter()
            if frame_start >= next_visit:
                for kind in (pygame.KEYDOWN, pygame.KEYUP):
                    pygame.event.post(pygame.event.Event(kind, key=pygame.K_k, mod=0, unicode="", scancode=0))
                next_visit += args.visit_every
            app.step_frame()
            frame_ms.append((time.perf_counter() - frame_start) * 1000.0)
            now = time.perf_counter()
            if now >= next_row:
                rows.append({"minute": (now - begin) / 60.0, "frames": len(frame_ms), "p50": percentile(frame_ms, 50),
                             "p95": percentile(frame_ms, 95), "p99": percentile(frame_ms, 99), "max": max(frame_ms),
                             "rss": rss_mib(), "gl": gl_object_counts(), "tours": scene.tour.tours_started,
                             "visits": scene.handovers, "errors": scene.errors_logged})
                row = rows[-1]
                print(f"minute {row['minute']:.1f}: {row['frames']} frames, p50 {row['p50']:.1f} ms, "
                      f"p99 {row['p99']:.1f} ms, RSS {row['rss']:.1f} MiB, GL {row['gl']}", flush=True)
                args.out.parent.mkdir(parents=True, exist_ok=True)
                args.out.write_text(table(args, points, rows, started, False), encoding="utf-8")
                frame_ms = []
                next_row += args.interval
            left = period - (time.perf_counter() - frame_start)
            if left > 0:
                time.sleep(left)
    text = table(args, points, rows, started, True)
    print(text)
    args.out.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
