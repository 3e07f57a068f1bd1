"""`latentwalk neighbors`: the k nearest training points of a data-set point or of any latent.

Bad input (an index out of range, a latent of the wrong width or with NaN, k < 1) is a usage error
(UsageError: one line, status 2); a bad model bundle is a failure (one line, status 1).
"""
from __future__ import annotations

import argparse
import json
import math
import re

from latentwalk.scenes.errors import UsageError


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "neighbors", help="print the k nearest training points of a point or a latent",
        description="Print the k nearest training points (index, class, distance; nearest first) of a data-set "
                    "point or of a latent, in the model's full latent space. A data-set point comes first itself. "
                    "Negative values: --latent -1.5,0.2,3.")
    # argparse takes "-1.5,0.2,3" for an option (its negative-number pattern wants one plain number);
    # this command has no options that start with a digit, so any "-digit" word is a value here.
    parser._negative_number_matcher = re.compile(r"^-\.?\d")
    parser.add_argument("--model", default="mnist", help="a bundled model's name or a bundle folder")
    query = parser.add_mutually_exclusive_group(required=True)
    query.add_argument("--index", metavar="I", help="a training point's index (0-based, data-set order)")
    query.add_argument("--latent", metavar="x,y,z,...", help="a latent, one value per latent dimension")
    parser.add_argument("--k", default="10", help="how many neighbours")
    parser.add_argument("--json", action="store_true", help='print [{"index":..,"label":..,"distance":..}, ...]')
    parser.set_defaults(func=run)


def _whole_number(text: str, what: str) -> int:
    try:
        return int(text.strip())
    except ValueError:
        raise UsageError(f"{what} must be a whole number, got {text!r}") from None


def _latent(text: str) -> list[float]:
    parts = [part.strip() for part in text.split(",")]
    try:
        return [float(part) for part in parts]
    except ValueError:
        raise UsageError(f"--latent {text!r}: expected comma-separated numbers such as 0.5,-1.2,2") from None


def run(args: argparse.Namespace) -> int:
    from latentwalk.vae.bundle import load_bundle
    from latentwalk.vae.neighbors import NeighborIndex, NeighborsError

    k = _whole_number(args.k, "--k")
    if k < 1:
        raise UsageError(f"--k must be at least 1, got {k}")
    index = _whole_number(args.index, "--index") if args.index is not None else None
    latent = _latent(args.latent) if args.latent is not None else None
    bundle = load_bundle(args.model)  # a bad bundle: BundleError, a failure
    if index is not None and not 0 <= index < len(bundle.latents):
        raise UsageError(f"--index {index} is out of range: {bundle.path.name} has "
                         f"{len(bundle.latents)} training points (0..{len(bundle.latents) - 1})")
    neighbours = NeighborIndex(bundle.latents)
    try:
        found = (neighbours.query_index(index, k) if index is not None
                 else neighbours.query(_checked_latent(latent, bundle.latent_dim, bundle.path.name), k))
    except NeighborsError as exc:
        raise UsageError(str(exc)) from None
    rows = [{"index": int(i), "label": int(bundle.labels[i]), "distance": float(d)}
            for i, d in zip(found.indices, found.distances)]
    if args.json:
        print(json.dumps(rows, allow_nan=False))  # Infinity and NaN are not JSON
        return 0
    names = bundle.class_names
    width = max(5, len(str(len(bundle.latents) - 1)))
    name_width = max([5, *map(len, names)])
    print(f"{'index':>{width}}  {'class':<{name_width}}  distance")
    for row in rows:
        print(f"{row['index']:>{width}}  {names[row['label']]:<{name_width}}  {row['distance']:.6g}")
    return 0


def _checked_latent(values: list[float], dim: int, model: str) -> list[float]:
    if len(values) != dim:
        raise UsageError(f"--latent has {len(values)} value{'s' * (len(values) != 1)}, "
                             f"but {model}'s latent space has {dim}")
    if not all(math.isfinite(value) for value in values):
        raise UsageError(f"--latent contains NaN or Inf: {','.join(map(str, values))}")
    from latentwalk.scenes.explorer.session.session_fields import MAX_COORDINATE

    # squared distances of larger values overflow to inf: every neighbour would be "at infinity"
    if not all(abs(value) <= MAX_COORDINATE for value in values):
        raise UsageError(f"--latent values must lie within +-{MAX_COORDINATE:g} (a session's range), got "
                         f"{','.join(f'{value:g}' for value in values)}")
    return values

