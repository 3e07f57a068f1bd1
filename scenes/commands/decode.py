"""`latentwalk decode`: latents (.npy) -> images (.npy float32 (N, H, W) in [0, 1], or a PNG grid)."""
from __future__ import annotations

import argparse

from latentwalk.commands._args import positive_int


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "decode", help="decode an (N, d) .npy of latents to images",
        description="Decode latents with a model bundle's decoder to a .npy of images or a PNG grid.")
    parser.add_argument("--model", default="mnist", help="bundled model name or bundle folder (default: mnist)")
    parser.add_argument("--latents", required=True, help=".npy file of shape (N, d)")
    parser.add_argument("--out", required=True, help="OUT.npy (float32 (N, H, W) in [0, 1]) or OUT.png (grid)")
    parser.add_argument("--batch-size", type=positive_int, default=256)
    parser.add_argument("--device", choices=("auto", "cpu", "cuda"), default="cpu")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from latentwalk.vae.bundle import load_bundle
    from latentwalk.vae.decode import check_latents, check_output_path, decode_latents, load_latents, write_images
    from latentwalk.vae.train import pick_device

    check_output_path(args.out)
    bundle = load_bundle(args.model)
    latents = check_latents(load_latents(args.latents), bundle.latent_dim, args.latents, allow_empty=False)
    decoder = bundle.load_decoder(pick_device(args.device))
    images = decode_latents(decoder, latents, batch_size=args.batch_size)
    path = write_images(images, args.out)
    print(f"decoded {len(images)} latents with {bundle.path.name} -> {path}")
    return 0
