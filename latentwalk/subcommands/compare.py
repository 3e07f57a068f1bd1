"""`latentwalk compare A B`: how alike two models are inside, layer by layer (linear CKA of their
decoders' activations on the same training images; see latentwalk.vae.similarity for why CKA)."""
from __future__ import annotations

import argparse
import json

from latentwalk.subcommands._args import check_at_most, positive_int, seed


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "compare", help="per-layer similarity of two model bundles (linear CKA)",
        description="Per-layer similarity of two model bundles of the same network (two grey 28x28 "
                    "decoders, or two colour networks of one picture size and widths; the latent sizes may "
                    "differ) trained on the same data set: linear CKA of their decoders' activations on the "
                    "same training images, which is meaningful across independent trainings (invariant to "
                    "permuted, rotated or rescaled units).")
    parser.add_argument("a", metavar="A", help="bundled model name or bundle folder")
    parser.add_argument("b", metavar="B", help="bundled model name or bundle folder")
    parser.add_argument("--samples", metavar="N", type=positive_int, default=500,
                        help="training images to compare on")
    parser.add_argument("--seed", type=seed, default=0, help="which images")
    parser.add_argument("--json", action="store_true", help="print the table as JSON")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from latentwalk.scenes.errors import UsageError
    from latentwalk.scenes.limits import MAX_COMPARE_SAMPLES, MIN_COMPARE_SAMPLES
    from latentwalk.vae.bundle import load_bundle

    if args.samples < MIN_COMPARE_SAMPLES:
        raise UsageError(f"--samples {args.samples}: CKA needs at least {MIN_COMPARE_SAMPLES} images")
    check_at_most("--samples", args.samples, MAX_COMPARE_SAMPLES)
    from latentwalk.vae.similarity import compare_bundles, format_table

    first, second = load_bundle(args.a), load_bundle(args.b)
    comparison = compare_bundles(first, second, samples=args.samples, seed=args.seed)
    print(json.dumps(comparison.as_dict(), indent=2) if args.json else format_table(comparison))
    return 0
