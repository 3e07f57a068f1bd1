"""Training on small real MNIST subsets: CLI end to end, determinism, Ctrl-C and exact resume."""
import json

import numpy as np
import pytest
import torch
from safetensors.torch import load_file

from latentwalk.cli import main
from latentwalk.vae.bundle import load_bundle
from latentwalk.vae.errors import BundleError
from latentwalk.vae.datasets import load_dataset
from latentwalk.vae.decode import decode_latents
from latentwalk.vae.train import TrainConfig, train
from tests.shared_data import MNIST_SUBSET

MNIST_DIR = MNIST_SUBSET  # the first 1000 training / 200 test images, committed under tests/data


@pytest.fixture(scope="module")
def mnist():
    return load_dataset("mnist", MNIST_DIR, download=False)


def test_cli_trains_a_subset_then_the_bundle_loads_and_decodes(tmp_path, capsys):
    out = tmp_path / "tiny"
    code = main(["train", "--dataset", "mnist", "--data-dir", str(MNIST_DIR), "--limit", "512", "--epochs", "1",
                 "--threads", "1", "--batch-size", "32", "--out", str(out), "--no-progress"])
    printed = capsys.readouterr().out
    assert code == 0
    assert "epoch 1/1: train loss" in printed and "test ELBO -" in printed
    bundle = load_bundle(out)
    assert bundle.latents.shape == (512, 3) and bundle.dataset == "mnist" and bundle.class_names[7] == "7"
    mnist = load_dataset("mnist", MNIST_DIR, download=False)
    np.testing.assert_array_equal(bundle.labels, mnist.train_labels[:512])
    with torch.no_grad():
        means = bundle.load_encoder()(torch.from_numpy(mnist.train_images[:512]).unsqueeze(1).float() / 255)[0]
    np.testing.assert_allclose(bundle.latents, means.numpy(), atol=1e-5)
    images = decode_latents(bundle.load_decoder(), bundle.latents[:16])
    assert images.shape == (16, 28, 28) and 0 <= images.min() and images.max() <= 1
    summary = bundle.meta["summary"]
    assert summary["epochs"] == 1 and summary["train_count"] == 512 and summary["test_elbo"] < 0
    # even one short epoch learns the mean digit: reconstructions beat a flat grey guess
    assert summary["recon_bce_first_512"] < 784 * np.log(2)
    state = json.loads((tmp_path / "tiny.checkpoints" / "last.json").read_text())
    assert state["epoch"] == 1 and len(state["history"]) == 1


def test_same_seed_same_weights_other_seed_other_weights(tmp_path, mnist):
    config = dict(limit=256, epochs=1, batch_size=64, threads=1)
    threads_before = torch.get_num_threads()
    paths = [train(mnist, tmp_path / name, TrainConfig(seed=seed, **config), progress=False, log=lambda m: None)
             for name, seed in (("a", 5), ("b", 5), ("c", 6))]
    assert torch.get_num_threads() == threads_before  # the process's setting is left as it was
    weights = [load_file(str(path / "decoder.safetensors")) for path in paths]
    for name in weights[0]:
        torch.testing.assert_close(weights[0][name], weights[1][name], rtol=0, atol=0)
    assert any(not torch.equal(weights[0][name], weights[2][name]) for name in weights[0])
    np.testing.assert_array_equal(np.load(paths[0] / "latents.npy"), np.load(paths[1] / "latents.npy"))


def test_ctrl_c_keeps_the_last_checkpoint_and_resume_continues_exactly(tmp_path, mnist):
    config = dict(limit=256, epochs=2, batch_size=64, threads=1, seed=3)
    straight = train(mnist, tmp_path / "straight", TrainConfig(**config), progress=False, log=lambda m: None)

    calls = []

    def interrupt_in_second_epoch(step):
        calls.append(step)
        if len(calls) == 6:  # 4 batches per epoch: this is the second batch of epoch 2
            raise KeyboardInterrupt

    messages = []
    out = tmp_path / "interrupted"
    with pytest.raises(KeyboardInterrupt):
        train(mnist, out, TrainConfig(**config), progress=False, log=messages.append,
              on_batch=interrupt_in_second_epoch)
    assert not out.exists()
    assert "last complete checkpoint (epoch 1)" in messages[-1] and "--resume" in messages[-1]
    checkpoint = tmp_path / "interrupted.checkpoints"
    assert json.loads((checkpoint / "last.json").read_text())["epoch"] == 1
    assert sorted(p.name for p in checkpoint.iterdir()) == ["last.json", "last.safetensors"]

    resumed = train(mnist, out, TrainConfig(**config), resume=True, progress=False, log=messages.append)
    assert any("resuming after epoch 1" in message for message in messages)
    expected = load_file(str(straight / "decoder.safetensors"))
    got = load_file(str(resumed / "decoder.safetensors"))
    for name in expected:
        torch.testing.assert_close(got[name], expected[name], rtol=0, atol=0)
    assert load_bundle(resumed).meta["summary"]["epochs"] == 2


def test_resume_refuses_a_checkpoint_of_another_run(tmp_path, mnist):
    train(mnist, tmp_path / "m", TrainConfig(limit=64, epochs=1, batch_size=64, threads=1), progress=False,
          log=lambda m: None)
    from latentwalk.vae.errors import VaeError
    with pytest.raises(VaeError, match="checkpoint has latent_dim=3, this run 2"):
        train(mnist, tmp_path / "m", TrainConfig(limit=64, epochs=2, batch_size=64, threads=1, latent_dim=2),
              resume=True, progress=False, log=lambda m: None)
    with pytest.raises(VaeError, match="no checkpoint to resume from"):
        train(mnist, tmp_path / "other", TrainConfig(limit=64, epochs=1, threads=1), resume=True, progress=False,
              log=lambda m: None)


def test_refuses_an_output_that_is_not_a_bundle_before_training(tmp_path, mnist):
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "todo.txt").write_text("keep")
    calls = []
    with pytest.raises(BundleError, match="notes: exists and is not a model bundle"):
        train(mnist, tmp_path / "notes", TrainConfig(limit=64, epochs=1, threads=1), progress=False,
              log=calls.append, on_batch=calls.append)
    assert calls == [] and (tmp_path / "notes" / "todo.txt").read_text() == "keep"


def test_cli_reports_a_full_disk_at_a_checkpoint_in_one_line_keeping_the_last_one(tmp_path, capsys, monkeypatch):
    import safetensors.torch
    from safetensors import SafetensorError

    out = tmp_path / "m"
    argv = ["train", "--dataset", "mnist", "--data-dir", str(MNIST_DIR), "--limit", "64", "--epochs", "1",
            "--threads", "1", "--batch-size", "64", "--out", str(out), "--no-progress"]
    assert main(argv) == 0
    checkpoints = tmp_path / "m.checkpoints"
    before = {path: path.read_bytes() for folder in (out, checkpoints) for path in folder.iterdir()}
    capsys.readouterr()

    def disk_full(*args, **kwargs):
        raise SafetensorError("Error while serializing: I/O error: No space left on device (os error 28)")

    monkeypatch.setattr(safetensors.torch, "save_file", disk_full)
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert err == f"latentwalk train: error: {checkpoints / 'last.safetensors'}: cannot write (No space left on device)\n"
    assert {path: path.read_bytes() for folder in (out, checkpoints) for path in folder.iterdir()} == before
    assert sorted(path.name for path in tmp_path.iterdir()) == ["m", "m.checkpoints"]


@pytest.mark.parametrize("option, value", [
    ("--threads", "-1"), ("--threads", "0"), ("--epochs", "0"), ("--batch-size", "-3"), ("--latent-dim", "0"),
    ("--limit", "0"), ("--lr", "0"), ("--lr", "nan"), ("--epochs", "two"),
])
def test_cli_refuses_non_positive_numbers_before_loading_data(tmp_path, capsys, option, value):
    argv = ["train", "--dataset", "idx:" + str(tmp_path / "nowhere"), "--out", str(tmp_path / "m"), option, value]
    with pytest.raises(SystemExit) as exited:
        main(argv)
    err = capsys.readouterr().err
    assert exited.value.code == 2 and "Traceback" not in err
    assert f"argument {option}: expected a" in err
    assert err.strip().splitlines()[-1].startswith("latentwalk train: error: argument")


@pytest.mark.parametrize("field, value, message", [
    ("threads", -1, "threads must be a whole number >= 1, got -1"),
    ("threads", 0, "threads must be a whole number >= 1, got 0"),
    ("epochs", 0, "epochs must be a whole number >= 1"),
    ("batch_size", 0, "batch size must be a whole number >= 1"),
    ("latent_dim", -2, "latent dim must be a whole number >= 1"),
    ("limit", 0, "limit must be a whole number >= 1"),
    ("lr", 0.0, "learning rate must be a positive finite number"),
    ("lr", float("inf"), "learning rate must be a positive finite number"),
])
def test_config_refuses_values_that_could_only_fail_later(field, value, message):
    from latentwalk.vae.errors import VaeError
    with pytest.raises(VaeError, match=message):
        TrainConfig(**{field: value})


@pytest.mark.parametrize("where", ["out", "checkpoint-dir"])
def test_cli_refuses_an_unwritable_output_before_loading_data(tmp_path, capsys, where):
    (tmp_path / "notes.txt").write_text("keep")
    unwritable = tmp_path / "notes.txt" / "m"
    out = unwritable if where == "out" else tmp_path / "m"
    argv = ["train", "--dataset", f"idx:{tmp_path / 'no-data-here'}", "--out", str(out), "--no-progress"]
    if where == "checkpoint-dir":
        argv += ["--checkpoint-dir", str(unwritable)]
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"cannot write ({tmp_path / 'notes.txt'} is not a folder)" in err
    assert (tmp_path / "notes.txt").read_text() == "keep" and not (tmp_path / "m").exists()


def test_refuses_an_unwritable_folder_before_training(tmp_path, mnist):
    calls = []
    with pytest.raises(BundleError, match="/proc: cannot write"):  # refuses new files even to root
        train(mnist, "/proc/latentwalk-test-model", TrainConfig(limit=64, epochs=1, threads=1), progress=False,
              log=calls.append, on_batch=calls.append)
    assert calls == []


def test_a_run_whose_latent_code_collapsed_ends_with_a_warning_and_a_hint(tmp_path, capsys):
    # one short epoch on 512 images (seeded, one thread): the encoder has not learnt to use the latent
    # space yet (test KL about 1.5 nats/image, where a trained 3-d model has about 8)
    code = main(["train", "--dataset", "mnist", "--data-dir", str(MNIST_DIR), "--limit", "512", "--epochs", "1",
                 "--threads", "1", "--batch-size", "32", "--out", str(tmp_path / "tiny"), "--no-progress"])
    captured = capsys.readouterr()
    kl = load_bundle(tmp_path / "tiny").meta["summary"]["test_kl"]
    assert code == 0 and kl < np.log(10)
    warning = captured.err.strip()
    assert warning.startswith("warning: the latent space is barely used") and f"KL {kl:.2f} nats/image" in warning
    assert "--epochs" in warning and "--limit" in warning and warning.count("\n") == 0


def test_the_collapse_check_speaks_only_below_what_telling_the_classes_apart_takes():
    from latentwalk.vae.train import collapse_warning

    assert collapse_warning(0.10, 10) is not None and "0.10" in collapse_warning(0.10, 10)
    assert collapse_warning(np.log(10) - 0.01, 10) is not None
    assert collapse_warning(np.log(10) + 0.01, 10) is None and collapse_warning(8.5, 10) is None
    assert collapse_warning(1.0, 2) is None and collapse_warning(0.5, 2) is not None  # ln 2 = 0.69
    assert collapse_warning(None, 10) is None and collapse_warning(float("nan"), 10) is None
