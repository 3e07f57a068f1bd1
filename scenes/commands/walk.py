"""`latentwalk walk`: write the latent path through control points as an (N, d) float32 .npy.

The rows are equally spaced along the curve (arc length, see scenes.explorer.curve): the first row is
the first control point, the last row the last one (the first, when --closed). The other control
points lie on the curve that the rows sample, generally between two rows; the command prints the
fractional row at which each one sits.
"""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from latentwalk.errors import SceneError
from latentwalk.explorer.curve import KINDS, Curve

MIN_STEPS = 2
MAX_LISTED_ROWS = 12


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "walk", help="write the latent path through control points as an (N, d) .npy",
        description="Write the latent path through control points as an (N, d) float32 .npy.")
    parser.add_argument("--model", metavar="M",
                        help="bundled model name or bundle folder; needed by --through, and with "
                             "--points it checks their width")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--through", metavar="I,J,K", help="data-set indices of the control points")
    source.add_argument("--points", metavar="FILE.npy", help="control point coordinates, a (K, d) array")
    parser.add_argument("--steps", metavar="N", required=True, help="number of rows, at least 2")
    parser.add_argument("--interp", metavar="KIND", default="catmull-rom",
                        help=f"{' | '.join(KINDS)} (default: catmull-rom)")
    parser.add_argument("--closed", action="store_true", help="close the loop back to the first point")
    parser.add_argument("--out", metavar="PATH.npy", required=True, help="where to write the path")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    steps = _parse_steps(args.steps)
    if args.interp not in KINDS:
        raise SceneError(f"--interp: unknown kind {args.interp!r} (expected one of {', '.join(KINDS)})")
    if Path(args.out).suffix.lower() != ".npy":  # the rows are written as .npy, whatever the name says
        raise SceneError(f"{args.out}: --out must end in .npy (the path is written as a .npy array)")
    if args.through is not None:
        if not args.model:
            raise SceneError("--through takes data-set indices, so it needs --model")
        points = _points_by_index(args.model, _parse_indices(args.through))
    else:
        points = _points_from_file(Path(args.points), args.model)

    curve = Curve(points.astype(np.float64), kind=args.interp, closed=args.closed)
    path = curve.sample(steps).astype(np.float32)
    path[0] = points[0]  # exact in the input's own precision, not through float64 and back
    path[-1] = points[0] if args.closed else points[-1]

    from latentwalk.explorer.session import write_atomically

    write_atomically(args.out, lambda f: np.save(f, path, allow_pickle=False), "path file")
    rows = curve.control_point_params() * (steps - 1)
    listed = ", ".join(f"{r:.2f}" for r in rows[:MAX_LISTED_ROWS])
    if len(rows) > MAX_LISTED_ROWS:
        listed += f", ... ({len(rows)} in all)"
    shape = "closed " if args.closed else ""
    print(f"wrote {args.out}: ({steps}, {path.shape[1]}) float32, {shape}{args.interp} path of length "
          f"{curve.length:.4g}; control points at rows {listed}")
    return 0


def _parse_steps(text: str) -> int:
    try:
        steps = int(text)
    except (TypeError, ValueError):
        raise SceneError(f"--steps: {text!r} is not a whole number") from None
    if steps < MIN_STEPS:
        raise SceneError(f"--steps: {steps} is too few (a path needs at least {MIN_STEPS} rows)")
    return steps


def _parse_indices(text: str) -> list[int]:
    indices = []
    for token in text.split(","):
        token = token.strip()
        if not (token.isascii() and token.isdigit()):
            raise SceneError(f"--through: {token!r} is not a data-set index (expected I,J,K,... "
                             "with whole numbers >= 0)")
        indices.append(int(token))
    return indices


def _points_by_index(model: str, indices: list[int]) -> np.ndarray:
    from latentwalk.vae.bundle import load_bundle

    bundle = load_bundle(model)
    count = len(bundle.latents)
    for index in indices:
        if index >= count:
            raise SceneError(f"--through: index {index} is out of range: {bundle.path} has {count} points "
                             f"(0..{count - 1})")
    return bundle.latents[indices]


def _points_from_file(path: Path, model: str | None) -> np.ndarray:
    from latentwalk.vae.bundle import read_npy

    points = read_npy(path, SceneError)
    if points.ndim != 2 or points.shape[0] < 1 or points.shape[1] < 1:
        raise SceneError(f"{path}: shape {points.shape}, expected (K, d) with K >= 1 control points")
    if points.dtype.kind not in "fiu":
        raise SceneError(f"{path}: dtype {points.dtype}, expected numbers")
    finite = np.isfinite(points).all(axis=1)
    if not finite.all():
        raise SceneError(f"{path}: row {int(np.argmin(finite))} contains NaN or Inf")
    if model:
        from latentwalk.vae.bundle import load_bundle

        bundle = load_bundle(model)
        if points.shape[1] != bundle.latent_dim:
            raise SceneError(f"{path}: points have width {points.shape[1]}, but {bundle.path} has a "
                             f"{bundle.latent_dim}-d latent space")
    return points if points.dtype.kind == "f" else points.astype(np.float64)
