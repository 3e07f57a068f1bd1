"""Model bundles: round trip, atomic replacement, name resolution, and every bad-bundle case."""
import json
import os
import stat
from functools import partial
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.torch import load_file, save_file

from latentwalk import assets
from tests.bundles import make_bundle
from latentwalk.vae.bundle import list_bundled_models, load_bundle, resolve_model
from latentwalk.vae.errors import BundleError
from latentwalk.vae.model import ConvDecoder, ConvEncoder

CLASSES = [str(d) for d in range(10)]
# What these tests check a bundle keeps: a digits-like set of 20 points with an encoder.
digits_bundle = partial(make_bundle, count=20, classes=10, encoder=True, dataset="mnist", class_names=CLASSES,
                        summary={"epochs": 1, "note": "test"})


@pytest.fixture
def bundle_dir(tmp_path):
    return digits_bundle(tmp_path / "model")


def test_round_trip(bundle_dir):
    bundle = load_bundle(bundle_dir)
    assert bundle.path == bundle_dir and bundle.latent_dim == 3 and bundle.image_shape == (28, 28)
    assert bundle.latents.shape == (20, 3) and bundle.latents.dtype == np.float32
    assert bundle.labels.tolist() == [i % 10 for i in range(20)]
    assert bundle.labels.dtype == np.int8  # ten classes: a byte a label, not int64's eight
    assert bundle.dataset == "mnist" and bundle.class_names == CLASSES
    assert bundle.meta["format"] == "latentwalk-bundle" and bundle.meta["version"] == 1
    assert bundle.meta["summary"] == {"epochs": 1, "note": "test"}
    decoder = bundle.load_decoder()
    assert not decoder.training
    torch.manual_seed(0)
    reference = ConvDecoder(3)
    z = torch.randn(4, 3)
    with torch.no_grad():
        torch.testing.assert_close(decoder(z), reference(z))
    assert isinstance(bundle.load_encoder(), ConvEncoder)


@pytest.mark.parametrize("classes, dtype", [(1, np.int8), (128, np.int8), (129, np.int16), (32768, np.int16),
                                            (32769, np.int32)])
def test_labels_load_as_the_smallest_type_holding_every_class(classes, dtype):
    from latentwalk.vae.bundle import compact_label_dtype

    assert compact_label_dtype(classes) == dtype
    assert np.iinfo(dtype).max >= classes - 1


def test_imported_bundles_have_no_encoder(tmp_path):
    bundle = load_bundle(digits_bundle(tmp_path / "imported", encoder=None))
    assert bundle.load_encoder() is None and not (bundle.path / "encoder.safetensors").exists()


def test_replacing_an_existing_bundle_leaves_no_temporaries(tmp_path, bundle_dir):
    digits_bundle(bundle_dir, count=7)
    assert len(load_bundle(bundle_dir).latents) == 7
    assert [p.name for p in tmp_path.iterdir()] == ["model"]


def test_bundles_get_ordinary_permissions_not_private_temp_ones(bundle_dir):
    umask = os.umask(0o022)
    os.umask(umask)
    assert stat.S_IMODE(bundle_dir.stat().st_mode) == 0o777 & ~umask
    assert {stat.S_IMODE(p.stat().st_mode) for p in bundle_dir.iterdir()} == {0o666 & ~umask}


def test_refuses_to_replace_a_folder_that_is_not_a_bundle(tmp_path):
    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "thesis.txt").write_text("keep me")
    with pytest.raises(BundleError, match="precious: exists and is not a model bundle"):
        digits_bundle(precious)
    assert (precious / "thesis.txt").read_text() == "keep me"


@pytest.mark.parametrize("overrides, message", [
    ({"latents": np.zeros((5, 2), np.float32)}, "do not fit a 3-d decoder"),
    ({"latents": np.full((20, 3), np.nan, np.float32)}, "latents contain NaN"),
    ({"labels": np.zeros(19, np.int64)}, "do not match 20 latents"),
    ({"labels": np.full(20, 12)}, "label 12 has no class name"),
    ({"summary": {"loss": float("nan")}}, "training summary is not plain JSON"),
])
def test_write_refuses_inconsistent_input(tmp_path, overrides, message):
    with pytest.raises(BundleError, match=message):
        digits_bundle(tmp_path / "bad", **overrides)
    assert list(tmp_path.iterdir()) == []


def test_write_refuses_nan_weights_and_keeps_the_old_bundle(bundle_dir):
    decoder = ConvDecoder(3)
    with torch.no_grad():
        decoder.deconv2.weight[0, 0, 0, 0] = float("nan")
    with pytest.raises(BundleError, match="decoder.safetensors weights deconv2.weight contain NaN"):
        digits_bundle(bundle_dir, decoder=decoder, count=3)
    assert len(load_bundle(bundle_dir).latents) == 20


# ------------------------------------------------------------------ bad bundles on disk

def edit_json(path: Path, change):
    meta = json.loads((path / "model.json").read_text())
    change(meta)
    (path / "model.json").write_text(json.dumps(meta))


def corrupt_tensor(path: Path, name: str, value):
    tensors = load_file(str(path / "decoder.safetensors"))
    tensors[name] = value(tensors[name])
    save_file(tensors, str(path / "decoder.safetensors"))


def write_npz(bundle: Path) -> None:
    with open(bundle / "latents.npy", "wb") as handle:
        np.savez(handle, a=np.zeros(2))


BAD_CASES = {
    "missing model.json": ("model.json", lambda p: (p / "model.json").unlink(), "missing"),
    "bad JSON": ("model.json", lambda p: (p / "model.json").write_text("{\"format\": "), "bad JSON at line 1"),
    "JSON list": ("model.json", lambda p: (p / "model.json").write_text("[]"), "expected a JSON object"),
    "wrong format": ("model.json", lambda p: edit_json(p, lambda m: m.update(format="other")), "format is 'other'"),
    "wrong version": ("model.json", lambda p: edit_json(p, lambda m: m.update(version=2)), "unsupported version 2"),
    "wrong architecture": ("model.json", lambda p: edit_json(p, lambda m: m.update(architecture="mlp")),
                           "unknown architecture 'mlp'"),
    "bad latent_dim": ("model.json", lambda p: edit_json(p, lambda m: m.update(latent_dim="3")), "latent_dim must be"),
    "bad image_shape": ("model.json", lambda p: edit_json(p, lambda m: m.update(image_shape=[28, 30])),
                        "image_shape must be"),
    "bad class_names": ("model.json", lambda p: edit_json(p, lambda m: m.update(class_names=[1, 2])),
                        "class_names must be"),
    "missing decoder": ("decoder.safetensors", lambda p: (p / "decoder.safetensors").unlink(), "missing"),
    "truncated decoder": ("decoder.safetensors", lambda p: (p / "decoder.safetensors").write_bytes(
        (p / "decoder.safetensors").read_bytes()[:5000]), "corrupt or truncated safetensors"),
    "garbage decoder": ("decoder.safetensors", lambda p: (p / "decoder.safetensors").write_bytes(b"\xff" * 64),
                        "corrupt or truncated safetensors"),
    "wrong tensor shape": ("decoder.safetensors", lambda p: corrupt_tensor(p, "fc.bias", lambda t: t[:-1].clone()),
                           r"tensor fc.bias has shape \(1567,\), expected \(1568,\)"),
    "missing tensor": ("decoder.safetensors", lambda p: save_file(
        {k: v for k, v in load_file(str(p / "decoder.safetensors")).items() if k != "deconv3.bias"},
        str(p / "decoder.safetensors")), r"missing \['deconv3.bias'\]"),
    "NaN weights": ("decoder.safetensors", lambda p: corrupt_tensor(
        p, "deconv1.weight", lambda t: t.index_fill(0, torch.tensor([3]), float("nan"))), "deconv1.weight contains NaN"),
    "corrupt encoder": ("encoder.safetensors", lambda p: (p / "encoder.safetensors").write_bytes(b"\x08" + b"\x00" * 20),
                        "corrupt or truncated safetensors"),
    "missing latents": ("latents.npy", lambda p: (p / "latents.npy").unlink(), "no such file"),
    "truncated latents": ("latents.npy", lambda p: (p / "latents.npy").write_bytes(
        (p / "latents.npy").read_bytes()[:150]),
        r"not a valid \.npy array \(truncated: shape \(20, 3\) of float32 needs 240 data bytes"),
    "pickled latents": ("latents.npy", lambda p: np.save(p / "latents.npy", np.array([{"a": 1}], dtype=object),
                                                         allow_pickle=True), "never unpickled"),
    "garbage latents": ("latents.npy", lambda p: (p / "latents.npy").write_bytes(b"hello world"),
                        r"not a valid \.npy array \(no \.npy header\)$"),
    "empty latents file": ("latents.npy", lambda p: (p / "latents.npy").write_bytes(b""),
                           r"not a valid \.npy array \(empty file\)$"),
    "npz latents": ("latents.npy", write_npz,
                    r"not a single \.npy array \(an \.npz archive\?\)$"),
    "no latents": ("latents.npy", lambda p: (np.save(p / "latents.npy", np.zeros((0, 3), np.float32)),
                                              np.save(p / "labels.npy", np.zeros(0, np.int64))),
                   r"shape \(0, 3\): no latent points to show$"),
    "latents wrong width": ("latents.npy", lambda p: np.save(p / "latents.npy", np.zeros((20, 2), np.float32)),
                            r"shape \(20, 2\), expected \(N, 3\)"),
    "integer latents": ("latents.npy", lambda p: np.save(p / "latents.npy", np.zeros((20, 3), np.int32)),
                        "expected float32"),
    "NaN latents": ("latents.npy", lambda p: np.save(p / "latents.npy", np.full((20, 3), np.nan, np.float32)),
                    "contains NaN or Inf"),
    "missing labels": ("labels.npy", lambda p: (p / "labels.npy").unlink(), "no such file"),
    "label count mismatch": ("labels.npy", lambda p: np.save(p / "labels.npy", np.zeros(19, np.int64)),
                             "19 labels but latents.npy has 20 rows"),
    "float labels": ("labels.npy", lambda p: np.save(p / "labels.npy", np.zeros(20, np.float32)),
                     "expected integer labels"),
    "label out of range": ("labels.npy", lambda p: np.save(p / "labels.npy", np.full(20, 10)),
                           "labels span 10..10 but model.json names 10 classes"),
}


@pytest.mark.parametrize("case", sorted(BAD_CASES))
def test_every_bad_bundle_is_a_one_line_error_naming_the_file(bundle_dir, case):
    file_name, damage, message = BAD_CASES[case]
    damage(bundle_dir)
    with pytest.raises(BundleError, match=message) as caught:
        load_bundle(bundle_dir)
    text = str(caught.value)
    assert text.startswith(str(bundle_dir / file_name)) and "\n" not in text


def test_load_decoder_rechecks_the_file(bundle_dir):
    bundle = load_bundle(bundle_dir)
    corrupt_tensor(bundle_dir, "fc.weight", lambda t: t * float("inf"))
    with pytest.raises(BundleError, match="fc.weight contains NaN or Inf"):
        bundle.load_decoder()


def test_resolve_model_names_and_paths(tmp_path, monkeypatch, bundle_dir):
    monkeypatch.setattr(assets, "MODELS_DIR", tmp_path)
    assert list_bundled_models() == ["model"]
    assert resolve_model("model") == bundle_dir
    assert resolve_model(str(bundle_dir)) == bundle_dir
    assert load_bundle("model").path == bundle_dir
    with pytest.raises(BundleError, match=r"fashion: no such model bundle .*bundled models: model"):
        resolve_model("fashion")
    with pytest.raises(BundleError, match="model.json: missing"):
        load_bundle(tmp_path)


def disk_full(*args, **kwargs):
    from safetensors import SafetensorError
    raise SafetensorError("Error while serializing: I/O error: No space left on device (os error 28)")


def test_a_failed_weights_write_is_one_line_and_keeps_the_old_bundle(tmp_path, monkeypatch):
    import safetensors.torch

    out = digits_bundle(tmp_path / "model")
    before = {path.name: path.read_bytes() for path in out.iterdir()}
    monkeypatch.setattr(safetensors.torch, "save_file", disk_full)
    with pytest.raises(BundleError) as caught:
        digits_bundle(out, count=30)
    assert str(caught.value) == f"{out / 'decoder.safetensors'}: cannot write (No space left on device)"
    assert {path.name: path.read_bytes() for path in out.iterdir()} == before
    assert sorted(path.name for path in tmp_path.iterdir()) == ["model"]  # no staging left behind


def test_a_failed_latents_write_is_one_line_naming_the_file(tmp_path, monkeypatch):
    def no_space(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(np, "save", no_space)
    with pytest.raises(BundleError, match=r"model/latents\.npy: cannot write \(No space left on device\)$"):
        digits_bundle(tmp_path / "model")
    assert list(tmp_path.iterdir()) == []


def test_a_bundle_without_latent_points_is_not_written(tmp_path):
    with pytest.raises(BundleError, match=r"empty: no latent points to write \(latents \(0, 3\)\)$"):
        make_bundle(tmp_path / "empty", count=0)
    assert list(tmp_path.iterdir()) == []
