"""Training and encoding under torchrun with two CPU processes joined by gloo: the bundle that rank 0
writes, encodings equal to one process's row for row, and a checkpoint of two processes resumed in one."""
import os
import subprocess
import sys

import numpy as np
import pytest

from latentwalk.cli import main
from latentwalk.vae.bundle import load_bundle
from tests.picture_files import write_classes

TORCHRUN = [sys.executable, "-m", "torch.distributed.run", "--nproc-per-node", "2", "--standalone",
            "-m", "latentwalk"]


def torchrun(*args, timeout=120) -> subprocess.CompletedProcess:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONUNBUFFERED": "1"}
    done = subprocess.run([*TORCHRUN, *map(str, args)], capture_output=True, text=True, timeout=timeout, env=env)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    return done


@pytest.fixture(scope="module")
def two_process_run(tmp_path_factory):
    """shapes:64 for 2 epochs under two processes: the bundle and its checkpoints."""
    folder = tmp_path_factory.mktemp("ddp")
    done = torchrun("train", "--dataset", "shapes:64", "--epochs", "2", "--batch-size", "16", "--latent-dim", "8",
                    "--threads", "1", "--out", folder / "model", "--no-progress")
    return folder, done


def test_two_processes_write_one_bundle_that_loads_and_learnt(two_process_run):
    folder, done = two_process_run
    bundle = load_bundle(folder / "model")
    summary = bundle.meta["summary"]
    assert summary["world_size"] == 2 and summary["devices"] == ["cpu", "cpu"]
    first, last = summary["history"][0], summary["history"][-1]
    assert last["test_elbo"] > first["test_elbo"]  # the held-out loss went down
    assert bundle.latents.shape == (64, 8) and np.isfinite(bundle.latents).all()
    # rank 0 alone speaks: one line per epoch, one "wrote"
    assert done.stdout.count("epoch 2/2:") == 1 and done.stdout.count("wrote ") == 1
    # the training set's encoding, sharded over the two processes, is the encoder's, in data-set order
    from latentwalk.vae.datasets import load_dataset
    from latentwalk.vae.encode import encode_inputs

    pictures = load_dataset("shapes:64").train_images.astype(np.float32) / 255
    np.testing.assert_allclose(bundle.latents, encode_inputs(bundle.load_encoder(), pictures), atol=1e-5)


def test_a_checkpoint_of_two_processes_resumes_in_one(two_process_run, tmp_path, capsys):
    folder, _ = two_process_run
    code = main(["train", "--dataset", "shapes:64", "--epochs", "3", "--batch-size", "16", "--latent-dim", "8",
                 "--threads", "1", "--out", str(folder / "model"),
                 "--checkpoint-dir", str(folder / "model.checkpoints"), "--resume", "--no-progress"])
    printed = capsys.readouterr().out
    assert code == 0 and "resuming after epoch 2" in printed and "epoch 3/3" in printed
    summary = load_bundle(folder / "model").meta["summary"]
    assert summary["world_size"] == 1 and summary["epochs"] == 3 and len(summary["history"]) == 3


def test_encode_under_two_processes_equals_one_process_row_for_row(two_process_run, tmp_path):
    folder, _ = two_process_run
    pictures = write_classes(tmp_path / "pictures", per_class=4, size=(36, 30))
    paths = sorted(str(p) for p in pictures.rglob("*.*"))  # 8 pictures: shards of 4 and 4, in order
    paths.append(paths[0])  # 9: shards of 5 and 4
    torchrun("encode", "--model", folder / "model", "--images", *paths, "--out", tmp_path / "two.npy")
    assert main(["encode", "--model", str(folder / "model"), "--images", *paths, "--out", str(tmp_path / "one.npy")]) == 0
    one, two = np.load(tmp_path / "one.npy"), np.load(tmp_path / "two.npy")
    assert one.shape == (9, 8)
    np.testing.assert_allclose(two, one, rtol=0, atol=1e-6)
    np.testing.assert_allclose(one[8], one[0], rtol=0, atol=1e-5)  # the same picture, another batch position
