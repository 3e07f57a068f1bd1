"""`latentwalk encode`: images (PNG/JPEG files, or an IDX images file) -> the encoder's means, an (N, d)
float32 .npy whose row i belongs to input i. Under torchrun each process encodes a contiguous shard and
rank 0 writes the rows back in input order."""
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

    if args.limit is not None and args.idx is None:
        raise UsageError("--limit applies to --idx only (it takes the first N images of the IDX file)")
    from latentwalk.vae import distributed

    world = distributed.join("cpu")  # under torchrun: each process encodes its shard, rank 0 writes
    try:
        return _encode(args, world)
    finally:
        distributed.leave()


def _encode(args: argparse.Namespace, world) -> int:
    from latentwalk.vae import distributed
    from latentwalk.vae.bundle import COLOUR_ARCHITECTURE, load_bundle
    from latentwalk.scenes.limits import ENCODE_CHUNK
    from latentwalk.vae.encode import (check_npy_output, encode_in_chunks, idx_to_inputs, load_colour_pictures,
                                       load_pictures, require_encoder, write_latents)

    check_npy_output(args.out)
    bundle = load_bundle(args.model)
    encoder = require_encoder(bundle)
    progress = not args.no_progress and world.is_main
    if args.idx is not None:
        from latentwalk.vae.idx import read_idx

        images = read_idx(args.idx)  # uint8, at most MAX_IDX_BYTES; converted to floats a chunk at a time
        if args.limit is not None:
            images = images[:args.limit]
        idx_to_inputs(images[:1], bundle.image_shape, args.idx)  # the layout's refusals, before any work
        count = len(images)

        def load(start, stop):
            return idx_to_inputs(images[start:stop], bundle.image_shape, args.idx)
    else:
        count = len(args.images)
        colour_model = bundle.meta["architecture"] == COLOUR_ARCHITECTURE

        def load(start, stop):  # pictures made as the model's training pictures were
            if colour_model:
                return load_colour_pictures(args.images[start:stop], bundle)
            return load_pictures(args.images[start:stop], bundle.image_shape, bundle.channels)
    first, end = distributed.shard(count, world)  # each process reads and encodes only its shard
    latents = encode_in_chunks(encoder, end - first, lambda start, stop: load(first + start, first + stop),
                               ENCODE_CHUNK, args.batch_size, progress and count > PROGRESS_FROM)
    latents = distributed.gather_rows(latents, count, world)
    if not world.is_main:
        return 0
    path = write_latents(latents, args.out)
    print(f"encoded {len(latents)} images with {bundle.path.name} -> {path} ({latents.shape[0]}, {latents.shape[1]}) float32")
    return 0
