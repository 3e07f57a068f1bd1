"""`latentwalk import-model DECODER --out DIR (--latents Z.npy [--labels L.npy] [--images DIR] | --sample N
[--seed S]) [--encoder ENCODER] [--output-range 0,1|-1,1] [--layout chw|hwc]`: a decoder from another
framework (ONNX or TorchScript) as a model bundle.

With --latents the points are given (a VAE's encoder means); with --sample N they are drawn from the
generator's normal prior, decoded once, laid out by PCA of what it makes of them (thumbnails, or the
encoder's output) and coloured by k-means clusters of the same features; walks still run in the
generator's own latent space, by slerp. Everything is checked before anything is written.
"""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from latentwalk.subcommands._args import npy_path, positive_int


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "import-model", help="import an ONNX or TorchScript decoder (a VAE's, a GAN's) as a bundle",
        description="Turn a decoder exported from any framework (ONNX: torch.onnx.export, tf2onnx; "
                    "TorchScript: torch.jit.save) into a model bundle. It must take latents (N, d) and give "
                    "images (N, C, H, W) or (N, H, W, C), C 1 or 3. Pickles (torch.save) are never loaded.")
    parser.add_argument("decoder", type=Path, help="the decoder: an .onnx or a TorchScript .pt file")
    parser.add_argument("--out", type=Path, required=True, help="bundle folder to write")
    points = parser.add_mutually_exclusive_group(required=True)
    points.add_argument("--latents", type=npy_path, help="float (N, d) .npy: the latent point of each image")
    points.add_argument("--sample", type=positive_int, metavar="N",
                        help="draw N latents from the normal prior (a generator without an encoder)")
    parser.add_argument("--labels", type=npy_path, help="integer (N,) .npy: the class of each point "
                        "(without it, points are coloured by k-means clusters)")
    parser.add_argument("--images", type=Path, help="with --latents: a folder (or list file) with the picture "
                        "of each point, shown beside the decoded one")
    parser.add_argument("--seed", type=int, default=0, help="seed of --sample and of the clusters")
    parser.add_argument("--encoder", type=Path, help="with --sample: an ONNX/TorchScript encoder whose output "
                        "lays out and clusters the generated images (default: their downscaled pixels)")
    parser.add_argument("--output-range", choices=("0,1", "-1,1"), default="0,1",
                        help="the value range of the decoder's images (tanh outputs are -1,1)")
    parser.add_argument("--layout", choices=("chw", "hwc"), default="chw",
                        help="the decoder's image layout: (N, C, H, W) or (N, H, W, C)")
    parser.add_argument("--latent-dim", type=positive_int, metavar="D",
                        help="with --sample: the latent width, when the model does not say (TorchScript)")
    parser.add_argument("--clusters", type=positive_int, default=10, help="k-means clusters when no labels")
    parser.add_argument("--dataset", help="a name for the data set (default: the decoder's file name)")
    parser.add_argument("--batch-size", type=positive_int, default=64, help="latents per decoder call")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar while decoding samples")
    parser.set_defaults(func=run)


def _usage_checks(args: argparse.Namespace) -> None:
    from latentwalk.scenes.errors import UsageError

    if args.sample is not None and (args.labels is not None or args.images is not None):
        raise UsageError("--labels and --images go with --latents (with --sample the points are drawn)")
    if args.latents is not None and args.encoder is not None:
        raise UsageError("--encoder goes with --sample (with --latents the points are laid out by their latents)")
    if args.latents is not None and args.latent_dim is not None:
        raise UsageError("--latent-dim goes with --sample (with --latents it is the latents' width)")


def run(args: argparse.Namespace) -> int:
    from latentwalk.subcommands.import_tfjs import dataset_class_names, read_labels, read_latents
    from latentwalk.vae.bundle import check_bundle_target, write_imported_bundle
    from latentwalk.vae.model_import import kmeans, open_decoder
    from latentwalk.vae.runners import ModelImportError
    from latentwalk.vae.safeio import npy_header

    _usage_checks(args)
    out = args.out.expanduser().absolute()
    check_bundle_target(out)
    dataset = args.dataset or args.decoder.stem
    spec = {"layout": args.layout, "output_range": args.output_range}
    if args.latents is not None:
        shape, _, _ = npy_header(args.latents, ModelImportError)
        width = shape[1] if len(shape) == 2 else None
        checked = open_decoder(args.decoder, latent_dim=width, layout=args.layout, output_range=args.output_range)
        latents = read_latents(Path(args.latents), checked.decoder.latent_dim)
        checked.decoder.decode(latents[:2])  # the real latents decode too, before anything is written
        known = dataset_class_names(dataset)
        if args.labels is not None:
            labels = read_labels(Path(args.labels), len(latents), len(known) if known else None)
            class_names = known or [str(i) for i in range(int(labels.max()) + 1)]
        else:
            labels = kmeans(latents, args.clusters, args.seed)
            class_names = [f"cluster {i}" for i in range(int(labels.max()) + 1)]
        pictures = None
        if args.images is not None:
            from latentwalk.vae.pictures import read_pictures

            pictures = read_pictures(args.images, len(latents), side=max(checked.decoder.image_shape))
        path = write_imported_bundle(
            out, model_file=checked.model_file, decoder_spec=spec, latents=latents, labels=labels,
            image_shape=checked.decoder.image_shape, channels=checked.decoder.channels, dataset=dataset,
            class_names=class_names, pictures=_fit_pictures(pictures, checked.decoder),
            summary={"imported_from": str(args.decoder.resolve()), "latents_file": str(Path(args.latents).resolve()),
                     "colours": "labels" if args.labels is not None else f"k-means of the latents ({args.clusters})"})
        print(f"wrote {path}: {checked.model_file.kind} decoder, {len(latents)} points, latent dim "
              f"{checked.decoder.latent_dim}, {_size(checked.decoder)} images")
        return 0

    checked = open_decoder(args.decoder, latent_dim=args.latent_dim, layout=args.layout,
                           output_range=args.output_range)
    latents, positions, labels, described = sample_and_lay_out(checked.decoder, args)
    path = write_imported_bundle(
        out, model_file=checked.model_file, decoder_spec=spec, latents=latents, labels=labels,
        image_shape=checked.decoder.image_shape, channels=checked.decoder.channels, dataset=dataset,
        class_names=[f"cluster {i}" for i in range(int(labels.max()) + 1)], positions=positions,
        walk={"interpolation": "slerp"},
        summary={"imported_from": str(args.decoder.resolve()), "prior": "standard normal", "seed": args.seed,
                 "layout": f"PCA of {described}", "colours": f"k-means of {described} ({args.clusters})"})
    print(f"wrote {path}: {checked.model_file.kind} generator, {len(latents)} samples (seed {args.seed}), latent dim "
          f"{checked.decoder.latent_dim}, {_size(checked.decoder)} images, laid out by {described}")
    return 0


def sample_and_lay_out(decoder, args: argparse.Namespace):
    """(latents, 3-d positions, cluster labels, what the features are) of --sample N."""
    from latentwalk.scenes.explorer.model.projection import fit_projection
    from latentwalk.vae.model_import import encoder_features, generated_features, kmeans, sample_latents

    latents = sample_latents(args.sample, decoder.latent_dim, args.seed)
    encoder = encoder_features(args.encoder, decoder) if args.encoder is not None else None
    features = generated_features(decoder, latents, batch_size=args.batch_size, encoder=encoder,
                                  progress=not args.no_progress)
    positions = fit_projection(features, seed=args.seed).to_3d(features)
    spread = float(positions[:, 0].std()) or 1.0  # framed by the camera as a unit-spread latent cloud is
    positions = (positions / spread).astype(np.float32)
    described = "the encoder's output" if encoder is not None else "the generated images' downscaled pixels"
    return latents, positions, kmeans(features, args.clusters, args.seed), described


def _fit_pictures(pictures: np.ndarray | None, decoder) -> np.ndarray | None:
    """The pictures as the bundle stores them: the decoder's image size, its number of channels."""
    if pictures is None:
        return None
    from PIL import Image

    height, width = decoder.image_shape
    resized = np.stack([np.asarray(Image.fromarray(p).resize((width, height), Image.BILINEAR)) for p in pictures])
    if decoder.channels == 3 and resized.ndim == 3:
        resized = np.repeat(resized[..., None], 3, axis=3)
    if decoder.channels == 1 and resized.ndim == 4:
        resized = np.rint(resized.mean(axis=3)).astype(np.uint8)
    return resized


def _size(decoder) -> str:
    height, width = decoder.image_shape
    return f"{height}x{width}" + (" RGB" if decoder.channels == 3 else " grey")
