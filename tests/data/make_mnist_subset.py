"""Writes tests/data/mnist/: the first TRAIN_COUNT training and TEST_COUNT test images and labels of
MNIST (LeCun, Cortes and Burges; distributed under CC BY-SA 3.0), cut from the official IDX files,
as gzip'd IDX files that the default test run reads instead of the full set beside the repo.

    python tests/data/make_mnist_subset.py /path/to/folder/with/the/official/mnist/gz/files

Output is byte-for-byte reproducible (gzip without a time stamp).
"""
from __future__ import annotations

import gzip
import sys
from pathlib import Path

from latentwalk.vae.idx import encode_idx, read_idx

TRAIN_COUNT = 1000
TEST_COUNT = 200
OUT = Path(__file__).resolve().parent / "mnist"


def main(source: Path) -> None:
    OUT.mkdir(exist_ok=True)
    for split, count in (("train", TRAIN_COUNT), ("t10k", TEST_COUNT)):
        for kind in ("images-idx3", "labels-idx1"):
            name = f"{split}-{kind}-ubyte.gz"
            data = encode_idx(read_idx(source / name)[:count])
            (OUT / name).write_bytes(gzip.compress(data, compresslevel=9, mtime=0))
            print(f"{OUT / name}: {count} items, {(OUT / name).stat().st_size} bytes")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
