"""Small VAEs trained here, on CPU, on the committed MNIST subset: bundles whose latents.npy the
training itself wrote, so encoding a training image again must give its row back."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from latentwalk.vae.datasets import load_dataset
from latentwalk.vae.idx import read_idx
from latentwalk.vae.train import TrainConfig, train
from tests.shared_data import MNIST_SUBSET

TRAIN_IMAGES = MNIST_SUBSET / "train-images-idx3-ubyte.gz"


def subset_images(count: int) -> np.ndarray:
    """The first `count` training images of the subset, uint8 (N, 28, 28)."""
    return read_idx(TRAIN_IMAGES)[:count]


def train_subset_bundle(out: Path, *, seed: int = 0, count: int = 256, epochs: int = 2) -> Path:
    """A bundle trained for `epochs` on the first `count` subset images (seconds on one thread)."""
    dataset = load_dataset("mnist", MNIST_SUBSET, download=False)
    config = TrainConfig(latent_dim=3, epochs=epochs, batch_size=64, seed=seed, device="cpu", limit=count,
                         threads=1)
    threads = torch.get_num_threads()
    try:
        return train(dataset, out, config, checkpoint_dir=out.with_name(out.name + ".ckpt"), progress=False,
                     log=lambda line: None)
    finally:
        torch.set_num_threads(threads)
