"""`latentwalk train`: fit a VAE to a data set and write a model bundle."""
from __future__ import annotations

import argparse

from latentwalk.subcommands._args import positive_float, positive_int, seed


def dataset_name(text: str) -> str:
    """An argparse type: a known data set's name or idx:DIR (whether DIR holds the files is the
    loader's to say)."""
    from latentwalk.vae.datasets import DATASETS

    if text in DATASETS or (text.startswith("idx:") and len(text) > 4):
        return text
    raise argparse.ArgumentTypeError(f"unknown data set {text!r} (choose {', '.join(DATASETS)} or idx:DIR)")


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "train", help="train a VAE on mnist, fashion-mnist or idx:DIR and write a model bundle",
        description="Train a convolutional VAE and write a model bundle (model.json, weights, latents).")
    parser.add_argument("--dataset", required=True, type=dataset_name,
                        help="mnist, fashion-mnist or idx:DIR (a folder of the four MNIST-style IDX files, "
                             "raw or .gz, and optionally class_names.txt)")
    parser.add_argument("--data-dir", help="where the data set's IDX files are (default: the user data dir; "
                                           "downloaded there when absent)")
    parser.add_argument("--data-url", help="base URL to download the four files from "
                                           "(default: $LATENTWALK_DATA_URL, else the official mirrors)")
    parser.add_argument("--out", required=True, help="bundle folder to write (replaced atomically at the end)")
    parser.add_argument("--latent-dim", type=positive_int, default=3,
                        help="dimensions of the latent space (the explorer shows 3 at a time; at most 1024)")
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
    from latentwalk.vae.datasets import load_dataset
    from latentwalk.vae.train import TrainConfig, check_outputs, train

    check_outputs(args.out, args.checkpoint_dir)  # before a download or hours of training
    dataset = load_dataset(args.dataset, args.data_dir, base_url=args.data_url, progress=not args.no_progress)
    config = TrainConfig(latent_dim=args.latent_dim, epochs=args.epochs, batch_size=args.batch_size, lr=args.lr,
                         seed=args.seed, device=args.device, limit=args.limit, threads=args.threads)
    train(dataset, args.out, config, checkpoint_dir=args.checkpoint_dir, resume=args.resume,
          progress=not args.no_progress)
    return 0
