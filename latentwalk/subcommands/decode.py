"""`latentwalk decode`: latents (.npy) -> images (.npy float32 (N, H, W) in [0, 1], (N, 3, H, W) for any colour
model, latentwalk's or imported, or a PNG grid)."""
from __future__ import annotations

import argparse

from latentwalk.subcommands._args import path_ending_in, positive_int


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "decode", help="decode an (N, d) .npy of latents to images",
        description="Decode latents with a model bundle's decoder to a .npy of images or a PNG grid. "
                    "An .npy is written chunk by chunk (memory stays small for any N); a PNG grid holds "
                    "at most 16384 images.")
    parser.add_argument("--model", default="mnist", help="a bundled model's name or a bundle folder")
    parser.add_argument("--latents", required=True, help=".npy file of shape (N, d)")
    parser.add_argument("--out", required=True, type=path_ending_in(".npy", ".png"),
                        help="OUT.npy (float32 in [0, 1]: (N, H, W) for a grey model, (N, 3, H, W) RGB for any colour "
                             "model, latentwalk's or imported) or OUT.png (a grid, grey or RGB)")
    parser.add_argument("--batch-size", type=positive_int, default=256, help="latents per decoder call")
    parser.add_argument("--device", choices=("auto", "cpu", "cuda"), default="cpu",
                        help="where the decoder runs; auto picks cuda when there is one, else cpu")
    parser.add_argument("--no-progress", action="store_true",
                        help="no progress bar (one is shown on stderr from 20000 latents)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from latentwalk.vae.bundle import load_bundle
    from latentwalk.vae.decode import check_latents, check_output_path, check_output_size, decode_to_file, load_latents
    from latentwalk.vae.train import pick_device

    check_output_path(args.out)
    bundle = load_bundle(args.model)
    latents = check_latents(load_latents(args.latents, bundle.latent_dim), bundle.latent_dim, args.latents,
                            allow_empty=False)
    check_output_size(args.out, len(latents))  # before the decoder is even built
    decoder = bundle.load_decoder(pick_device(args.device))
    path = decode_to_file(decoder, latents, args.out, batch_size=args.batch_size,
                          progress=False if args.no_progress else None)
    print(f"decoded {len(latents)} latents with {bundle.path.name} -> {path}")
    return 0
