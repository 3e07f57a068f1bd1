"""`latentwalk import-tfjs MODEL_JSON --out DIR --latents Z.npy --labels L.npy [--dataset NAME]`:
turn a TensorFlow.js graph-model decoder of the original tool into a model bundle.

A bundle must carry the latent points it shows, and a TF.js decoder has none, so --latents and
--labels are required (the original tool shipped them as all_z_*.npy / all_train_labels_*.npy).
"""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from latentwalk.vae.errors import TfjsError


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "import-tfjs", help="import a TensorFlow.js decoder of the original tool as a bundle",
        description="Turn a TensorFlow.js graph-model decoder (model.json and its weight shards, as the "
                    "original browser tool shipped them) into a model bundle. A bundle carries the latent "
                    "point and class of every image, so --latents and --labels are required.")
    parser.add_argument("model_json", type=Path, help="the graph model's model.json (shards beside it)")
    parser.add_argument("--out", type=Path, required=True, help="bundle folder to write")
    parser.add_argument("--latents", type=Path, help="float (N, d) .npy: the latent point of each image")
    parser.add_argument("--labels", type=Path, help="integer (N,) .npy: the class of each point")
    parser.add_argument("--dataset", default="mnist",
                        help="data set the decoder was trained on (sets the class names)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.latents is None or args.labels is None:
        from latentwalk.scenes.errors import UsageError
        raise UsageError(f"{args.model_json}: --latents and --labels are required: a bundle needs "
                         "the latent point and class of every image")
    from latentwalk.vae.bundle import check_bundle_target, write_bundle
    from latentwalk.vae.tfjs import load_tfjs_decoder

    check_bundle_target(args.out.expanduser().absolute())
    imported = load_tfjs_decoder(args.model_json)
    latents = read_latents(args.latents, imported.latent_dim)
    class_names = dataset_class_names(args.dataset)
    labels = read_labels(args.labels, len(latents), len(class_names) if class_names else None)
    if class_names is None:
        class_names = [str(i) for i in range(int(labels.max()) + 1)]
    summary = {"imported_from": imported.source, "latents_file": str(args.latents.resolve()),
               "labels_file": str(args.labels.resolve())}
    path = write_bundle(args.out, decoder=imported.decoder, encoder=None, latents=latents,
                        labels=labels, dataset=args.dataset, class_names=class_names, summary=summary)
    print(f"wrote {path}: {len(latents)} points, latent dim {imported.latent_dim}, "
          f"{imported.image_shape[0]}x{imported.image_shape[1]} images")
    return 0


def dataset_class_names(name: str) -> list[str] | None:
    """Class names of a known data set; None for any other name (derived from the labels)."""
    from latentwalk.vae.datasets import DATASETS

    spec = DATASETS.get(name)
    return list(spec.class_names) if spec else None


def _load_array(path: Path) -> np.ndarray:
    from latentwalk.vae.bundle import read_npy

    return read_npy(path, TfjsError)


def read_latents(path: Path, latent_dim: int) -> np.ndarray:
    """A finite float (N, latent_dim) array as float32."""
    latents = _load_array(path)
    if latents.dtype.kind != "f" or latents.ndim != 2 or latents.shape[1] != latent_dim \
            or len(latents) == 0:
        raise TfjsError(f"{path}: latents must be a float (N, {latent_dim}) array with N > 0, "
                        f"found {latents.dtype} {latents.shape}")
    if not np.isfinite(latents).all():
        raise TfjsError(f"{path}: latents contain NaN or Inf")
    return latents.astype(np.float32)


def read_labels(path: Path, count: int, num_classes: int | None) -> np.ndarray:
    """An integer (count,) array of class indices, as int64."""
    labels = _load_array(path)
    if labels.dtype.kind not in "iu" or labels.shape != (count,):
        raise TfjsError(f"{path}: labels must be an integer ({count},) array matching the latents, "
                        f"found {labels.dtype} {labels.shape}")
    top = num_classes - 1 if num_classes is not None else None
    if labels.min() < 0 or (top is not None and labels.max() > top):
        bounds = f"0..{top}" if top is not None else "0 or more"
        raise TfjsError(f"{path}: labels must be {bounds}, found {labels.min()}..{labels.max()}")
    return labels.astype(np.int64)
