"""`latentwalk train`: fit a VAE to a data set and write a model bundle."""
from __future__ import annotations

import argparse

from latentwalk.subcommands._args import positive_float, positive_int, seed


def dataset_name(text: str) -> str:
    """An argparse type: a known data set's name, idx:DIR, cifar10[:DIR] or shapes[:N] (whether DIR
    holds the files is the loader's to say)."""
    from latentwalk.vae.datasets import DATASETS
    from latentwalk.vae.sprites import parse_count

    if text in DATASETS or text == "cifar10" or any(text.startswith(p) and len(text) > len(p) for p in ("idx:", "cifar10:")):
        return text
    if text == "shapes" or text.startswith("shapes:"):
        try:
            parse_count(text)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None
        return text
    raise argparse.ArgumentTypeError(f"unknown data set {text!r} (choose {', '.join(DATASETS)}, idx:DIR, "
                                     "cifar10, cifar10:DIR or shapes[:N])")


def image_size(text: str) -> int:
    value = positive_int(text)
    if value % 16 or value > 512:
        raise argparse.ArgumentTypeError(f"{text}: a multiple of 16 up to 512 (32, 64, 128, ...)")
    return value


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "train", help="train a VAE on a data set or a folder of pictures and write a model bundle",
        description="Train a convolutional VAE and write a model bundle (model.json, weights, latents). "
                    "Under torchrun (torchrun --nproc-per-node N -m latentwalk train ...) every process "
                    "trains its share of each epoch; the first writes checkpoints and the bundle.")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--dataset", type=dataset_name,
                        help="mnist, fashion-mnist, idx:DIR (a folder of the four MNIST-style IDX files, "
                             "raw or .gz, and optionally class_names.txt), cifar10 (the binary version; "
                             "cifar10:DIR reads it from DIR) or shapes[:N] (N coloured shapes made from the seed)")
    source.add_argument("--images", metavar="DIR",
                        help="a folder of pictures (PNG, JPEG, WebP, BMP, GIF), one subfolder per class "
                             "(a folder without subfolders is one class); decoded once into the user cache")
    parser.add_argument("--image-size", type=image_size, default=32,
                        help="with --images: the side S of the square pictures trained on (shorter side "
                             "scaled to S, centre cropped)")
    parser.add_argument("--channels", choices=("auto", "1", "3"), default="auto",
                        help="with --images: 3 for colour, 1 for grey; auto: 1 when every picture is grey")
    parser.add_argument("--data-dir", help="where the data set's IDX files are (default: the user data dir; "
                                           "downloaded there when absent)")
    parser.add_argument("--data-url", help="base URL to download the four files from "
                                           "(default: $LATENTWALK_DATA_URL, else the official mirrors)")
    parser.add_argument("--out", required=True, help="bundle folder to write (replaced atomically at the end)")
    parser.add_argument("--latent-dim", type=positive_int,
                        help="dimensions of the latent space (the explorer shows 3 at a time; at most 1024) "
                             "(default: 3 for IDX sets, 32 for pictures, cifar10 and shapes)")
    parser.add_argument("--beta", type=positive_float, default=1.0,
                        help="weight of the KL term (1: the ELBO; more: a smoother, less detailed latent space)")
    parser.add_argument("--likelihood", choices=("gaussian-learned", "gaussian", "bernoulli"), default="gaussian-learned",
                        help="colour models: how pixels are scored: a Gaussian whose sigma (one per channel) is "
                             "learnt, a Gaussian of sigma 0.1, or Bernoulli (which left the latent code unused "
                             "on colour pictures)")
    parser.add_argument("--epochs", type=positive_int, default=30, help="passes over the training images")
    parser.add_argument("--batch-size", type=positive_int, default=128, help="images per optimizer step")
    parser.add_argument("--lr", type=positive_float, default=1e-3, help="Adam learning rate")
    parser.add_argument("--seed", type=seed, default=0,
                        help="seed of the initial weights, the shuffling and the sampling noise")
    parser.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto",
                        help="where training runs (auto: cuda when available)")
    parser.add_argument("--threads", type=positive_int, help="torch CPU threads (default: all usable cores)")
    parser.add_argument("--limit", type=positive_int,
                        help="train on the first N training images (and evaluate on the first N test images)")
    parser.add_argument("--checkpoint-dir", help="where checkpoints go (default: OUT.checkpoints beside the bundle)")
    parser.add_argument("--resume", action="store_true", help="continue from the last checkpoint")
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from latentwalk.scenes.errors import UsageError
    from latentwalk.vae import distributed
    from latentwalk.vae.train import TrainConfig, check_outputs, train

    if args.images is None and (args.image_size != 32 or args.channels != "auto"):
        raise UsageError("--image-size and --channels apply to --images only")
    world = distributed.join(args.device)
    try:
        check_outputs(args.out, args.checkpoint_dir)  # before a download or hours of training
        dataset = _load(args, world)
        latent_dim = args.latent_dim or (32 if dataset.is_colour_set else 3)
        config = TrainConfig(latent_dim=latent_dim, epochs=args.epochs, batch_size=args.batch_size, lr=args.lr,
                             seed=args.seed, device=args.device, limit=args.limit, threads=args.threads,
                             beta=args.beta, likelihood=args.likelihood)
        path = train(dataset, args.out, config, checkpoint_dir=args.checkpoint_dir, resume=args.resume,
                     progress=not args.no_progress, world=world)
        if world.is_main and args.images is not None:
            _report_skipped(dataset, path)
    finally:
        distributed.leave()
    return 0


def _load(args: argparse.Namespace, world):
    """The data set. Under torchrun rank 0 loads first (a download, a folder's decoding into the cache
    happen once) and tells the others whether it could; they then read what it left."""
    from latentwalk.vae import distributed
    from latentwalk.vae.datasets import load_dataset, picture_dataset
    from latentwalk.vae.errors import VaeError

    def load(main: bool):
        progress = main and not args.no_progress
        if args.images is None:
            return load_dataset(args.dataset, args.data_dir, base_url=args.data_url, download=main, progress=progress)
        channels = args.channels if args.channels == "auto" else int(args.channels)
        return picture_dataset(args.images, args.image_size, channels, progress=progress)

    if not world.distributed:
        return load(True)
    failure = dataset = None
    if world.is_main:
        try:
            dataset = load(True)
        except VaeError as exc:
            failure = str(exc)
    failure = distributed.broadcast_object(failure, world)
    if failure is not None:
        raise VaeError(failure if world.is_main else f"rank {world.rank}: rank 0 could not load the data")
    return dataset if world.is_main else load(False)


def _report_skipped(dataset, bundle_path) -> None:
    from pathlib import Path

    from latentwalk.vae.images import write_skipped_log

    bundle_path = Path(bundle_path)
    log = write_skipped_log(bundle_path.with_name(bundle_path.name + ".skipped.txt"), dataset.source,
                            dataset.skipped)
    where = f" (listed in {log})" if log else ""
    print(f"{dataset.preprocessing.get('pictures', 0)} pictures used, {len(dataset.skipped)} skipped{where}")
