"""`latentwalk encode`: images (PNG/JPEG files, or an IDX images file) -> the encoder's means, an (N, d)
float32 .npy whose row i belongs to input i."""
from __future__ import annotations

import argparse

from latentwalk.subcommands._args import npy_path, positive_int

PROGRESS_FROM = 5000  # images: fewer take well under a second


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "encode", help="encode images to latents (the encoder's means) as an (N, d) .npy",
        description="Encode images with a model bundle's encoder. Pictures in the model's input format "
                    "(28x28 grey, light on dark, for MNIST) are taken as they are; others are converted "
                    "as MNIST digits were made (grey, inverted if the background is light, cropped, "
                    "scaled to 20x20, centred by centre of mass). A colour model takes RGB pictures, "
                    "the shorter side scaled to its size and the longer one centre-cropped.")
    parser.add_argument("--model", metavar="M", default="mnist",
                        help="a bundled model's name or a bundle folder")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--images", metavar="IMAGE", nargs="+", help="PNG or JPEG files")
    source.add_argument("--idx", metavar="FILE", help="an IDX images file (raw or .gz), e.g. train-images-idx3-ubyte")
    parser.add_argument("--limit", metavar="N", type=positive_int, help="with --idx: only the first N images")
    parser.add_argument("--out", metavar="Z.npy", type=npy_path, required=True, help="where to write the (N, d) float32 latents")
    parser.add_argument("--batch-size", type=positive_int, default=256, help="images per encoder call")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from latentwalk.scenes.errors import UsageError
    from latentwalk.vae.bundle import load_bundle
    from latentwalk.scenes.limits import ENCODE_CHUNK
    from latentwalk.vae.encode import (check_npy_output, encode_in_chunks, idx_to_inputs, load_pictures,
                                       require_encoder, write_latents)

    if args.limit is not None and args.idx is None:
        raise UsageError("--limit applies to --idx only (it takes the first N images of the IDX file)")
    check_npy_output(args.out)
    bundle = load_bundle(args.model)
    encoder = require_encoder(bundle)
    progress = not args.no_progress
    if args.idx is not None:
        from latentwalk.vae.idx import read_idx

        images = read_idx(args.idx)  # uint8, at most MAX_IDX_BYTES; converted to floats a chunk at a time
        if args.limit is not None:
            images = images[:args.limit]
        idx_to_inputs(images[:1], bundle.image_shape, args.idx)  # the layout's refusals, before any work
        latents = encode_in_chunks(encoder, len(images),
                                   lambda start, stop: idx_to_inputs(images[start:stop], bundle.image_shape,
                                                                     args.idx),
                                   ENCODE_CHUNK, args.batch_size, progress and len(images) > PROGRESS_FROM)
    else:
        latents = encode_in_chunks(encoder, len(args.images),
                                   lambda start, stop: load_pictures(args.images[start:stop], bundle.image_shape,
                                                                     bundle.channels),
                                   ENCODE_CHUNK, args.batch_size, progress and len(args.images) > PROGRESS_FROM)
    path = write_latents(latents, args.out)
    print(f"encoded {len(latents)} images with {bundle.path.name} -> {path} ({latents.shape[0]}, {latents.shape[1]}) float32")
    return 0
