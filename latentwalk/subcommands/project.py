"""`latentwalk project`: a 3-d layout (PCA, UMAP or t-SNE) of a bundle's training latents, stored in
the bundle with its maps to and from the latent space, and its quality printed."""
from __future__ import annotations

import argparse

from latentwalk.subcommands._args import positive_float, positive_int


def add_parser(subparsers) -> None:
    from latentwalk.vae.layouts import DEFAULT_MIN_DIST, DEFAULT_NEIGHBORS, DEFAULT_PERPLEXITY, DEFAULT_SEED

    parser = subparsers.add_parser(
        "project", help="compute a 3-d layout (pca, umap, tsne) of a model's latents and store it in the bundle",
        description="Lay a bundle's training latents out in 3-d with PCA, UMAP or t-SNE and store the layout "
                    "in the bundle (layouts/NAME.npy, its maps to and from the latent space, and an entry in "
                    "model.json; a model shipped with latentwalk, or a bundle in a read-only folder, keeps them beside it in "
                    "the user data folder instead); `latentwalk run` lists it in the Model panel. Prints the layout's quality: "
                    "the share of each point's 10 nearest latent neighbours that stay among its 10 nearest in "
                    "3-d, the trustworthiness, and how well the map back from 3-d finds the latent. UMAP and "
                    "t-SNE need the optional packages: pip install 'latentwalk[layouts]'.")
    parser.add_argument("--model", metavar="M", default="mnist", help="a bundled model's name or a bundle folder")
    parser.add_argument("--method", choices=("pca", "umap", "tsne"), required=True, help="how to lay the points out")
    parser.add_argument("--name", metavar="NAME", help="the layout's name in the bundle (default: the method)")
    parser.add_argument("--seed", metavar="S", type=int, default=DEFAULT_SEED,
                        help="random seed: the same seed, the same layout; UMAP then runs on one core (without a "
                             "seed it uses every core, and each run differs slightly)")
    parser.add_argument("--neighbors", metavar="K", type=positive_int, default=DEFAULT_NEIGHBORS, help="umap: neighbours per point")
    parser.add_argument("--min-dist", metavar="D", type=float, default=DEFAULT_MIN_DIST, help="umap: how tightly points pack")
    parser.add_argument("--perplexity", metavar="P", type=positive_float, default=DEFAULT_PERPLEXITY, help="tsne: perplexity")
    parser.add_argument("--replace", action="store_true", help="replace a layout of the same name")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.add_argument("--progress-lines", action="store_true",
                        help="instead of the bar, one line 'progress FRACTION STAGE' on stdout at each step "
                             "(for a program that reads them; the explorer's Model panel does)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from latentwalk.scenes.errors import UsageError
    from latentwalk.vae.bundle import load_bundle
    from latentwalk.vae.layouts import (LayoutError, check_name, compute_layout, list_layouts, missing_extra,
                                        option_problem, store_layout)

    name = args.name or args.method
    try:
        check_name(name)
    except LayoutError as exc:
        raise UsageError(f"--name: {exc}") from None
    if args.method == "umap" and not 0.0 <= args.min_dist <= 1.0:
        raise UsageError(f"--min-dist must be between 0 and 1, got {args.min_dist}")
    why = missing_extra(args.method)
    if why:
        raise UsageError(why)
    bundle = load_bundle(args.model)
    if name in list_layouts(bundle) and not args.replace:
        raise UsageError(f"--name {name}: {bundle.path.name} already has a layout of that name "
                         "(choose another name, or --replace it)")
    why = option_problem(args.method, len(bundle.latents), neighbors=args.neighbors, min_dist=args.min_dist,
                         perplexity=args.perplexity)
    if why:
        raise UsageError(why)
    decoder = bundle.load_decoder()

    def decode(latents):
        from latentwalk.vae.decode import decode_latents

        return decode_latents(decoder, latents)

    bar = None
    if not args.no_progress and not args.progress_lines:
        from tqdm import tqdm

        bar = tqdm(total=100, desc=args.method, unit="%", bar_format="{desc}: {percentage:3.0f}%|{bar}| {elapsed}")

    def progress(stage: str, fraction: float) -> None:
        if args.progress_lines:
            print(f"progress {fraction:.4f} {stage}", flush=True)
        if bar is not None:
            bar.set_description(stage)
            bar.update(max(0, round(100 * fraction) - bar.n))

    try:
        positions, maps, entry = compute_layout(
            bundle.latents, args.method, seed=args.seed, neighbors=args.neighbors, min_dist=args.min_dist,
            perplexity=args.perplexity, decode=decode, progress=progress)
    finally:
        if bar is not None:
            bar.close()
    path = store_layout(bundle, name, positions, maps, entry, replace=args.replace)
    print(describe(name, entry))
    print(f"stored: {path}")
    return 0


def describe(name: str, entry: dict) -> str:
    """The layout's figures, a few lines a person reads."""
    quality, inverse, forward = entry["quality"], entry["inverse"], entry["forward"]
    k = quality["k"]
    lines = [f"layout {name!r}: {entry['method']} of {entry['rows']} points in {entry['seconds']:.1f} s",
             f"  neighbours kept: {100 * quality['neighbours_kept']:.1f}% of each point's {k} nearest in the latent "
             f"space are among its {k} nearest in 3-d (over {quality['queries']} points)",
             f"  trustworthiness: {quality['trustworthiness']:.4f}",
             f"  back from 3-d ({inverse['held_out']} held-out points): distance to the true latent "
             f"{100 * inverse['latent_error']:.1f}% of the latents' spread (90th percentile "
             f"{100 * inverse['latent_error_p90']:.1f}%)"]
    if "image_nearer_than_most" in inverse:
        lines.append(f"  decoded images nearer their own point's image than to most others': "
                     f"{100 * inverse['image_nearer_than_most']:.1f}%")
    lines.append(f"  placing new points: {100 * forward['place_error']:.1f}% of the layout's spread off")
    return "\n".join(lines)
