"""Hostile training checkpoints: `train --resume` from a damaged or foreign checkpoint is one
VaeError line naming the file, never a traceback or a hang."""
import os
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.torch import load_file, save_file

from latentwalk.vae.datasets import Dataset
from latentwalk.vae.errors import VaeError
from latentwalk.vae.train import CHECKPOINT_FILE, TrainConfig, Trainer


@pytest.fixture
def trainer():
    rng = np.random.default_rng(0)
    images = rng.integers(0, 255, (8, 8, 8), dtype=np.uint8)
    labels = np.arange(8, dtype=np.uint8) % 2
    dataset = Dataset("tiny", Path("."), images, labels, images, labels, ["a", "b"])
    return Trainer(dataset, TrainConfig(limit=8, epochs=1, batch_size=8, threads=1, device="cpu"))


def resave(path: Path, tensors=None, metadata=None) -> None:
    save_file(load_file(str(path)) if tensors is None else tensors, str(path), metadata=metadata)


CASES = {
    "FIFO": (lambda p: (p.unlink(), os.mkfifo(p)), "is a FIFO, not a safetensors file"),
    "truncated": (lambda p: p.write_bytes(p.read_bytes()[:300]), "corrupt or truncated safetensors"),
    "no metadata": (lambda p: resave(p), r"unreadable checkpoint \(TypeError"),
    "deep JSON state": (lambda p: resave(p, metadata={"state": "[" * 100_000}), "bad JSON: nested too deeply"),
    "huge integer state": (lambda p: resave(p, metadata={"state": "9" * 5000}), "a number with 5000 digits"),
    "state not an object": (lambda p: resave(p, metadata={"state": "[1, 2]"}), "unreadable checkpoint"),
    "rng of floats": (lambda p: swap_rng_for_floats(p), "unreadable checkpoint"),
}


def swap_rng_for_floats(path: Path) -> None:
    """The real metadata, with a shuffle-generator state torch cannot take."""
    from safetensors import safe_open

    with safe_open(str(path), framework="pt") as handle:
        metadata = handle.metadata()
    save_file({**load_file(str(path)), "rng.shuffle": torch.zeros(3)}, str(path), metadata=metadata)


@pytest.mark.timeout(60)
@pytest.mark.parametrize("case", sorted(CASES))
def test_a_hostile_checkpoint_is_one_line(trainer, tmp_path, case):
    trainer.save_checkpoint(tmp_path)
    path = tmp_path / CHECKPOINT_FILE
    damage, message = CASES[case]
    damage(path)
    with pytest.raises(VaeError, match=message) as caught:
        trainer.load_checkpoint(tmp_path)
    assert str(caught.value).startswith(f"{path}: ") and "\n" not in str(caught.value)


def test_an_intact_checkpoint_still_restores(trainer, tmp_path):
    trainer.epoch, trainer.history = 3, [{"epoch": 3}]
    trainer.save_checkpoint(tmp_path)
    trainer.epoch, trainer.history = 0, []
    trainer.load_checkpoint(tmp_path)
    assert trainer.epoch == 3 and trainer.history == [{"epoch": 3}]
