"""`latentwalk record`: render a walk offline, frame by frame at a fixed dt, into a video file.

Order of work, so every refusal comes before any rendering: arguments, the output (type, encoder,
folder writable), the model and the walk, then a way to render (a display, a private Xvfb or EGL,
probed in a child process before OpenGL is imported here), then the frames' images, then the frames.
A full disk, Ctrl+C, SIGTERM or SIGHUP closes the file properly, so what was written plays; the exit
status says the recording was cut short (130 Ctrl+C, 143 SIGTERM, 129 SIGHUP, 1 a write error).
"""
from __future__ import annotations

import argparse
import math
import os
import sys
import time

from latentwalk.subcommands._signals import STOP, Stopped
from latentwalk.subcommands._args import (EXIT_FAILURE, EXIT_INTERRUPTED, _number, check_at_most,
                                          check_render_size, positive_float, positive_int)
from latentwalk.subcommands._through import THROUGH_HELP, parse_through, resolve_through
from latentwalk.subcommands.run import DEFAULT_MODEL, parse_size
from latentwalk.scenes.errors import UsageError
from latentwalk.scenes.explorer.walk.curve import KINDS
from latentwalk.scenes.explorer.record.recording import LAYOUTS, RecordPlan

DEFAULT_SECONDS = 5.0
CRF_RANGE = {"libx264": (0, 51), "libvpx-vp9": (0, 63), "libvpx": (4, 63)}
# The render modes tried for recording: never a window on the person's own screen when another works.
RECORD_GL_MODES = ("xvfb", "egl", "display")


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "record", help="render a walk to a video file (MP4, WebM, GIF or PNG frames)",
        description="Render a walk offline at a fixed frame rate into H.264 .mp4, .webm, .gif, or a folder of "
                    "PNG frames. Runs without a display.")
    parser.add_argument("--model", default=None, metavar="M",
                        help="a bundled model's name or a bundle folder "
                             f"(default: the session's, else {DEFAULT_MODEL})")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--through", metavar="I,J,K", help=THROUGH_HELP)
    source.add_argument("--session", metavar="FILE", help="a session file saved by the explorer (its walk and view)")
    parser.add_argument("--out", required=True, metavar="FILE",
                        help="output: .mp4 (H.264), .webm (VP9), .gif, or a folder for PNG frames")
    parser.add_argument("--fps", type=positive_float, default=30.0, help="frames per second")
    length = parser.add_mutually_exclusive_group()
    length.add_argument("--seconds", type=positive_float, metavar="S",
                        help=f"length in seconds: fps x S frames (default: {DEFAULT_SECONDS:g})")
    length.add_argument("--frames", type=positive_int, metavar="N", help="length in frames")
    parser.add_argument("--size", type=parse_size, default=(1280, 720), metavar="WxH",
                        help="frame size")
    parser.add_argument("--layout", choices=LAYOUTS, default="view",
                        help="view: 3-d view with the image inset; image: the decoded image alone; split: both")
    parser.add_argument("--ui", action="store_true",
                        help="keep the explorer's panels in the 3-d view (view and split layouts)")
    parser.add_argument("--orbit", type=float, default=0.0, metavar="DEG",
                        help="turn the camera this many degrees over the recording")
    parser.add_argument("--crf", type=float, default=None, metavar="Q",
                        help="quality: lower is better and larger (default: 23 for H.264, 32 for VP9)")
    parser.add_argument("--interp", choices=KINDS, default=None,
                        help="curve through the points (default: the session's, else the model's: slerp for a sampled "
                             "generator, catmull-rom otherwise)")
    parser.add_argument("--closed", action="store_const", const=True, default=None,
                        help="close the loop back to the first point")
    parser.add_argument("--progress", choices=("bar", "lines"), default="bar", help=argparse.SUPPRESS)
    parser.set_defaults(func=run)


def plan_from_args(args: argparse.Namespace) -> RecordPlan:
    """Arguments -> RecordPlan, reading the session file if any: UsageError for a bad argument,
    SceneError for a bad session file (one line each)."""
    from latentwalk.scenes.limits import MAX_FPS, MAX_FRAMES

    if not math.isfinite(args.orbit):
        raise UsageError(f"--orbit must be a finite number of degrees, got {args.orbit}")
    check_at_most("--fps", args.fps, MAX_FPS)
    check_render_size("--size", args.size)
    if args.frames is not None:
        check_at_most("--frames", args.frames, MAX_FRAMES)
    else:
        seconds = args.seconds or DEFAULT_SECONDS
        if not args.fps * seconds <= MAX_FRAMES:
            raise UsageError(f"--seconds {_number(seconds)} at {_number(args.fps)} fps is over the limit of "
                             f"{_number(MAX_FRAMES)} frames")
    frames = args.frames or max(1, round(args.fps * (args.seconds or DEFAULT_SECONDS)))
    session = None
    if args.session is not None:
        from latentwalk.scenes.explorer.session.session import bundle_sizes, load_session
        session = load_session(args.session)  # its structure first: its model decides the sizes
        model = args.model or session.model
        points, dim, classes = bundle_sizes(model)
        # indices, coordinate widths and classes that this model does not have mean nothing: refused
        session = load_session(args.session, n_points=points, dim=dim, n_classes=classes)
    model = args.model or (session.model if session is not None else DEFAULT_MODEL)
    through: list[int] = []
    if args.through is not None:
        from latentwalk.vae.bundle import load_bundle

        tokens = parse_through(args.through)  # its form, before the model loads
        through = resolve_through(tokens, load_bundle(model))
    return RecordPlan(model=model, through=through, session=session, interp=args.interp, closed=args.closed,
                      frames=frames, fps=args.fps, size=tuple(args.size), layout=args.layout, ui=args.ui,
                      orbit_degrees=args.orbit)


def check_crf(crf: float | None, codec: str, out) -> None:
    if crf is None:
        return
    low, high = CRF_RANGE.get(codec, (None, None))
    if low is None:
        raise UsageError(f"{out}: --crf does not apply to {codec} output")
    if not low <= crf <= high:
        raise UsageError(f"--crf {crf:g} is out of range for {codec} ({low}..{high})")


def run(args: argparse.Namespace) -> int:
    from latentwalk.engine.files import refuse_existing
    from latentwalk.engine.video import VideoWriter, check_video_target, is_folder_target

    if not is_folder_target(args.out):  # a folder of frames: check_video_target refuses one holding frames
        refuse_existing(args.out)
    plan = plan_from_args(args)
    target = check_video_target(args.out, plan.size, plan.fps)
    check_crf(args.crf, target.codec, args.out)

    from latentwalk.scenes.explorer.record.recording import WalkRecorder

    if plan.needs_gl:
        from latentwalk.engine.headless import choose_gl_mode

        screen = (max(1920, plan.size[0]), max(1080, plan.size[1]))
        mode = choose_gl_mode(screen, modes=RECORD_GL_MODES)
        print(f"rendering on {mode.description}", file=sys.stderr)
    # a recording is not a person's session: nothing to offer to restore, nothing to autosave on close
    from latentwalk.scenes.explorer.panels.session_files import AUTOSAVE_ENV
    os.environ[AUTOSAVE_ENV] = "0"
    recorder = WalkRecorder(plan)
    return record(recorder, lambda: VideoWriter(target.path, plan.size, plan.fps, crf=args.crf, target=target),
                  lines=args.progress == "lines")


def record(recorder, open_writer, *, lines: bool = False) -> int:
    """Prepare the recorder, then open the writer (so a failure before the first frame leaves no empty
    file) and render into it with a progress bar; close it whatever happens, with the stopping signals
    held (a second Ctrl+C or a SIGTERM cannot cut the closing); print what the file holds."""
    from latentwalk.engine.video import VideoError

    started = time.perf_counter()
    total = recorder.plan.frames
    writer = bar = summary = None
    status, reason = 0, ""
    try:
        recorder.prepare()
        writer = open_writer()
        bar = _progress(total, lines)
        recorder.record(writer, progress=bar)
    except (KeyboardInterrupt, VideoError) as exc:
        if writer is None:
            raise
        status, reason = (exc.status, exc.reason) if isinstance(exc, Stopped) else \
            (EXIT_INTERRUPTED, "interrupted") if isinstance(exc, KeyboardInterrupt) else (EXIT_FAILURE, str(exc))
    finally:
        with STOP.held():
            if bar is not None:
                bar.close()
            if writer is not None:
                summary = writer.close(raise_error=False)
            recorder.close()
    if not status and STOP.stopped is not None:  # it came while the file was being closed
        status, reason = STOP.stopped.status, STOP.stopped.reason
    elapsed = time.perf_counter() - started
    if writer.error is not None:  # what the disk holds, not what was handed over: one line, exit 1
        print(f"latentwalk record: error: {writer.error}; the recording was cut short after "
              f"{summary.frames} of {total} frames", file=sys.stderr)
        return EXIT_FAILURE
    print(f"wrote {summary.line()}; rendered in {elapsed:.1f} s "
          f"({summary.seconds / max(elapsed, 1e-9):.2f} s of video per second)")
    if status:
        print(f"latentwalk record: {reason}: the recording was cut short after {summary.frames} of {total} "
              f"frames; {summary.path} plays what was written", file=sys.stderr)
    return status


class _Lines:
    """Machine-readable progress for the app's Record dialog: 'frame I N' per frame on stdout."""

    def __init__(self, total: int) -> None:
        self.total = total

    def __call__(self, done: int) -> None:
        print(f"frame {done} {self.total}", flush=True)

    def close(self) -> None:
        pass


class _Bar:
    def __init__(self, total: int) -> None:
        from tqdm import tqdm

        self.bar = tqdm(total=total, unit="frame", desc="recording", file=sys.stderr, dynamic_ncols=True)

    def __call__(self, done: int) -> None:
        self.bar.update(done - self.bar.n)

    def close(self) -> None:
        self.bar.close()


def _progress(total: int, lines: bool):
    return _Lines(total) if lines else _Bar(total)
