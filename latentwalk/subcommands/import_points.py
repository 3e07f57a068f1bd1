"""`latentwalk import-points EMB.npy --images DIR|LIST.txt [--labels L.npy | --metadata M.tsv] --out DIR`:
any embedding (CLIP, a classifier's penultimate layer, the TF Embedding Projector's tensor and metadata)
with the picture of each row, as a bundle without a decoder.

With a multi-column metadata TSV (a header line naming the columns), the bundle keeps every column
(metadata.tsv) for the explorer's search; the first column still gives the classes.

Hover shows a point's real picture, Neighbours the nearest real pictures, and a walk shows at each step
the real picture nearest to the walk's point (its caption says so). Points are laid out as any bundle's:
as they are for d <= 3, by PCA above.
"""
from __future__ import annotations

import argparse
from pathlib import Path

from latentwalk.subcommands._args import npy_path, positive_int


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "import-points", help="import embeddings with a picture per row (no decoder) as a bundle",
        description="Turn an (N, d) embedding and the picture of each row into a bundle: the explorer shows "
                    "the real pictures (a walk: the real picture nearest each step).")
    parser.add_argument("embeddings", type=npy_path, help="float (N, d) .npy: one row per picture")
    parser.add_argument("--images", type=Path, required=True,
                        help="a folder of pictures (in name order) or a text file listing one path a line")
    classes = parser.add_mutually_exclusive_group()
    classes.add_argument("--labels", type=npy_path, help="integer (N,) .npy: the class of each row")
    classes.add_argument("--metadata", type=Path, help="Embedding Projector metadata .tsv: the first column "
                         "names each row's class; with several columns under a header line, the bundle keeps "
                         "every column, which the explorer's Search finds points by")
    parser.add_argument("--out", type=Path, required=True, help="bundle folder to write")
    parser.add_argument("--picture-size", type=positive_int, default=64, metavar="S",
                        help="pictures are stored fitted into S x S pixels")
    parser.add_argument("--dataset", help="a name for the collection (default: the embedding's file name)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import numpy as np

    from latentwalk.scenes.errors import UsageError
    from latentwalk.subcommands.import_tfjs import read_labels
    from latentwalk.vae.bundle import MAX_IMAGE_SIDE, check_bundle_target, read_npy, write_imported_bundle
    from latentwalk.vae.metadata import read_metadata
    from latentwalk.vae.pictures import PicturesError, read_pictures

    if args.picture_size > MAX_IMAGE_SIDE:
        raise UsageError(f"--picture-size {args.picture_size}: at most {MAX_IMAGE_SIDE}")
    out = args.out.expanduser().absolute()
    check_bundle_target(out)
    embeddings = read_npy(args.embeddings, PicturesError)
    if embeddings.dtype.kind != "f" or embeddings.ndim != 2 or len(embeddings) == 0:
        raise PicturesError(f"{args.embeddings}: expected a float (N, d) array with N > 0, found "
                            f"{embeddings.dtype} {embeddings.shape}")
    if not np.isfinite(embeddings).all():
        raise PicturesError(f"{args.embeddings}: contains NaN or Inf")
    embeddings = embeddings.astype(np.float32)
    count = len(embeddings)
    columns = None
    if args.metadata is not None:
        labels, class_names, columns = read_metadata(args.metadata, count, PicturesError)
    elif args.labels is not None:
        labels = read_labels(Path(args.labels), count, None)
        class_names = [str(i) for i in range(int(labels.max()) + 1)]
    else:
        labels, class_names = np.zeros(count, np.int64), ["all"]
    pictures = read_pictures(args.images, count, side=args.picture_size)
    path = write_imported_bundle(
        out, latents=embeddings, labels=labels, image_shape=pictures.shape[1:3],
        channels=3 if pictures.ndim == 4 else 1, dataset=args.dataset or Path(args.embeddings).stem,
        class_names=class_names, pictures=pictures, metadata=columns,
        summary={"embeddings_file": str(Path(args.embeddings).resolve()), "pictures": str(args.images.resolve())})
    kept = f", metadata columns {', '.join(columns)}" if columns else ""
    print(f"wrote {path}: {count} pictures, {embeddings.shape[1]}-d embedding, {len(class_names)} classes{kept}")
    return 0
