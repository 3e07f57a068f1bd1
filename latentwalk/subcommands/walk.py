"""`latentwalk walk`: write the latent path through control points as an (N, d) float32 .npy.

The rows are equally spaced along the curve (arc length, see scenes.explorer.curve): the first row is
the first control point, the last row the last one (the first, when --closed). The other control
points lie on the curve that the rows sample, generally between two rows; the command prints the
fractional row at which each one sits.
"""
from __future__ import annotations

import argparse
import os
from pathlib import Path

import numpy as np

from latentwalk.subcommands._args import npy_path
from latentwalk.subcommands._through import THROUGH_HELP, parse_through, resolve_through
from latentwalk.engine.files import refuse_existing
from latentwalk.scenes.errors import SceneError, UsageError
from latentwalk.scenes.explorer.walk.curve import KINDS, Curve

DEFAULT_MODEL = "mnist"
MIN_STEPS = 2
MAX_STEPS = 10_000_000  # 38 h of frames at 72 fps; also bounds the file (rows x d x 4 bytes)
MAX_OUTPUT_BYTES = 2 << 30
CHUNK_ROWS = 65_536  # rows computed and written at a time: memory stays small for any --steps
MAX_LISTED_ROWS = 12
MAX_CONTROL_BYTES = 256 << 20
FLOAT32_MAX = float(np.finfo(np.float32).max)


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "walk", help="write the latent path through control points as an (N, d) .npy",
        description="Write the latent path through control points as an (N, d) float32 .npy, rows "
                    "equally spaced along the curve.")
    parser.add_argument("--model", metavar="M",
                        help=f"bundled model name or bundle folder (default: {DEFAULT_MODEL} for --through; "
                             "with --points it is optional and checks their width)")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--through", metavar="I,J,K", help=THROUGH_HELP)
    source.add_argument("--points", metavar="FILE.npy", help="control point coordinates, a (K, d) array")
    parser.add_argument("--steps", metavar="N", required=True,
                        help=f"number of rows, {MIN_STEPS} to {MAX_STEPS}")
    parser.add_argument("--interp", metavar="KIND", default=None,
                        help="the curve: " + " | ".join(KINDS) + " (default: the model's own, slerp for a sampled "
                             "generator, else catmull-rom)")
    parser.add_argument("--closed", action="store_true", help="close the loop back to the first point")
    parser.add_argument("--out", metavar="PATH.npy", type=npy_path, required=True, help="where to write the path")
    parser.set_defaults(func=run)


def _model_interpolation(model: str) -> str | None:
    """The walk a model asks for by default (slerp for a generator's Gaussian latents), if any."""
    from latentwalk.vae.bundle import load_bundle

    return load_bundle(model).walk_interpolation


def run(args: argparse.Namespace) -> int:
    steps = _parse_steps(args.steps)
    if args.interp is not None and args.interp not in KINDS:
        raise UsageError(f"--interp: unknown kind {args.interp!r} (expected one of {', '.join(KINDS)})")
    refuse_existing(args.out, SceneError)
    if args.through is not None:
        points = _points_through(args.model or DEFAULT_MODEL, args.through)
        where = f"--through {args.through}"
    else:
        points = _points_from_file(Path(args.points), args.model)
        where = str(args.points)
    if steps * points.shape[1] * 4 > MAX_OUTPUT_BYTES:
        raise UsageError(f"--steps {steps}: a ({steps}, {points.shape[1]}) float32 path would be "
                         f"{steps * points.shape[1] * 4 / 2**30:.1f} GiB, more than the "
                         f"{MAX_OUTPUT_BYTES >> 30} GiB limit")

    if args.interp is None:
        args.interp = _model_interpolation(args.model or DEFAULT_MODEL) if args.through or args.model else None
        args.interp = args.interp or "catmull-rom"
    curve = Curve(points.astype(np.float64), kind=args.interp, closed=args.closed)
    if curve.length == 0.0:
        what = "there is one control point" if len(points) == 1 else "the control points are all the same point"
        refuse = UsageError if args.through is not None else SceneError  # an argument, or a file's content
        raise refuse(f"{where}: no path: {what}; a path needs at least two different points")
    _write_path(Path(args.out), curve, points, steps, args.closed)
    rows = curve.control_point_params() * (steps - 1)
    listed = ", ".join(f"{r:.2f}" for r in rows[:MAX_LISTED_ROWS])
    if len(rows) > MAX_LISTED_ROWS:
        listed += f", ... ({len(rows)} in all)"
    shape = "closed " if args.closed else ""
    print(f"wrote {args.out}: ({steps}, {points.shape[1]}) float32, {shape}{args.interp} path of length "
          f"{curve.length:.4g}; control points at rows {listed}")
    return 0


def _write_path(out: Path, curve: Curve, points: np.ndarray, steps: int, closed: bool) -> None:
    """The rows, computed and written CHUNK_ROWS at a time into a temporary file renamed onto `out`
    only when every row is finite: the first and last rows are the end points exactly, in the
    input's own precision, not through float64 and back."""
    from latentwalk.vae.atomic import atomic_file

    header = {"descr": np.lib.format.dtype_to_descr(np.dtype(np.float32)), "fortran_order": False,
              "shape": (steps, points.shape[1])}
    try:
        with atomic_file(out) as temp, open(temp, "wb") as handle:
            np.lib.format.write_array_header_1_0(handle, header)
            for start in range(0, steps, CHUNK_ROWS):
                rows = np.arange(start, min(start + CHUNK_ROWS, steps))
                with np.errstate(over="ignore", invalid="ignore"):
                    chunk = curve.at(rows / (steps - 1)).astype(np.float32)
                if start == 0:
                    chunk[0] = points[0]
                if rows[-1] == steps - 1:
                    chunk[-1] = points[0] if closed else points[-1]
                finite = np.isfinite(chunk).all(axis=1)
                if not finite.all():
                    raise SceneError(f"{out}: not written: row {start + int(np.argmin(finite))} of the path is "
                                     "not finite in float32 (control points too large for the curve)")
                handle.write(chunk.tobytes())
            handle.flush()
            os.fsync(handle.fileno())
    except OSError as exc:
        raise SceneError(f"{out}: cannot write path file: {exc.strerror or exc}") from None


def _parse_steps(text: str) -> int:
    text = str(text).strip()
    if not (text.isascii() and text.lstrip("+-").isdigit()):
        raise UsageError(f"--steps: {text[:40]!r} is not a whole number")
    if len(text.lstrip("+-")) > len(str(MAX_STEPS)) + 1 or int(text) > MAX_STEPS:
        raise UsageError(f"--steps: {text[:40]} is too many (at most {MAX_STEPS} rows)")
    steps = int(text)
    if steps < MIN_STEPS:
        raise UsageError(f"--steps: {steps} is too few (a path needs at least {MIN_STEPS} rows)")
    return steps


def _points_through(model: str, text: str) -> np.ndarray:
    from latentwalk.vae.bundle import load_bundle

    tokens = parse_through(text)  # its form, before the model loads
    bundle = load_bundle(model)
    return bundle.latents[resolve_through(tokens, bundle)]


def _points_from_file(path: Path, model: str | None) -> np.ndarray:
    from latentwalk.vae.bundle import read_npy

    def check(shape: tuple, dtype: np.dtype) -> None:
        if len(shape) != 2 or shape[0] < 1 or shape[1] < 1:
            raise SceneError(f"{path}: shape {shape}, expected (K, d) with K >= 1 control points")
        if dtype.kind not in "fiu":
            raise SceneError(f"{path}: dtype {dtype}, expected numbers")

    points = read_npy(path, SceneError, check=check, max_bytes=MAX_CONTROL_BYTES)
    finite = np.isfinite(points).all(axis=1)
    if not finite.all():
        raise SceneError(f"{path}: row {int(np.argmin(finite))} contains NaN or Inf")
    in_range = (np.abs(points) <= FLOAT32_MAX).all(axis=1)
    if not in_range.all():
        raise SceneError(f"{path}: row {int(np.argmin(in_range))} has values beyond float32 range (about 3.4e38)")
    if model:
        from latentwalk.vae.bundle import load_bundle

        bundle = load_bundle(model)
        if points.shape[1] != bundle.latent_dim:
            raise SceneError(f"{path}: points have width {points.shape[1]}, but {bundle.path} has a "
                             f"{bundle.latent_dim}-d latent space")
    return points if points.dtype.kind == "f" else points.astype(np.float64)
