"""import-tfjs against TF.js decoders of the original tool's topology that the tests write (random
weights), checked by an independent numpy re-implementation of TF's ops. Tests marked `compat` run
the same checks on the original's real decoders and reconstruct real MNIST training images."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

from latentwalk.cli import main as cli_main
from latentwalk.vae.bundle import load_bundle
from latentwalk.vae.decode import decode_latents
from latentwalk.vae.errors import TfjsError
from latentwalk.vae.idx import read_idx
from latentwalk.vae.tfjs import load_tfjs_decoder
from tests.shared_data import reference_path, shared_path
from tests.tfjs_files import write_tfjs_decoder

ORIGINAL_DECODERS = {"mnist": "vae_decoder_reparam", "fashion-mnist": "vae_fashion_reparam"}


@pytest.fixture(scope="module")
def decoder_json(tmp_path_factory) -> Path:
    """A TF.js decoder of the original's topology with seeded random weights (read-only: copy to edit)."""
    return write_tfjs_decoder(tmp_path_factory.mktemp("tfjs") / "vae_decoder_reparam", seed=1)


def original_decoder(dataset: str) -> Path:
    return reference_path(ORIGINAL_DECODERS[dataset], "model.json")


# --- an independent plain-numpy TensorFlow -----------------------------------------------------

def raw_tfjs_weights(model_json: Path) -> dict[str, np.ndarray]:
    """The float32/int32 weights of a single-group, unquantized manifest, read byte by byte."""
    manifest = json.loads(model_json.read_text())["weightsManifest"]
    assert len(manifest) == 1
    buffer = b"".join((model_json.parent / p).read_bytes() for p in manifest[0]["paths"])
    weights, offset = {}, 0
    for spec in manifest[0]["weights"]:
        assert "quantization" not in spec
        dtype = np.dtype("<f4" if spec["dtype"] == "float32" else "<i4")
        count = int(np.prod(spec["shape"]))
        weights[spec["name"]] = np.frombuffer(buffer, dtype, count, offset).reshape(spec["shape"])
        offset += count * 4
    assert offset == len(buffer)
    return weights


def tf_conv2d_transpose_same(x: np.ndarray, filt: np.ndarray, out_hw: tuple[int, int],
                             stride: int) -> np.ndarray:
    """TF conv2d_transpose, NHWC, filter [kh, kw, out_c, in_c]: the gradient of a SAME conv2d,
    scattering every input pixel through the filter onto the padded output grid."""
    n, in_h, in_w, _ = x.shape
    kh, kw, out_c, _ = filt.shape
    out_h, out_w = out_hw
    pad_top = max((in_h - 1) * stride + kh - out_h, 0) // 2
    pad_left = max((in_w - 1) * stride + kw - out_w, 0) // 2
    y = np.zeros((n, out_h, out_w, out_c), np.float64)
    for i in range(in_h):
        for j in range(in_w):
            for a in range(kh):
                oh = i * stride + a - pad_top
                if not 0 <= oh < out_h:
                    continue
                for b in range(kw):
                    ow = j * stride + b - pad_left
                    if 0 <= ow < out_w:
                        y[:, oh, ow, :] += x[:, i, j, :] @ filt[a, b].T
    return y


def numpy_tf_decoder(model_json: Path, z: np.ndarray, weights: dict | None = None) -> np.ndarray:
    """Runs the reference graph's layers in TF's own layouts: z (N, d) -> logits (N, 28, 28, 1)."""
    graph = json.loads(model_json.read_text())["modelTopology"]["node"]
    weights = raw_tfjs_weights(model_json) if weights is None else weights
    consumers = {i: n for n in graph for i in n.get("input", [])}
    matmul = next(n for n in graph if n["op"] == "_FusedMatMul")
    x = np.maximum(z.astype(np.float64) @ weights[matmul["input"][1]] + weights[matmul["input"][2]], 0)
    x = x.reshape(len(z), 7, 7, 32)  # TF reshapes channels-last
    deconvs = [n for n in graph if n["op"] == "Conv2DBackpropInput"]
    for index, node in enumerate(deconvs):
        sizes_node = next(n for n in graph if n["name"] == node["input"][0])
        out_h, out_w = (int(weights[s][()]) for s in sizes_node["input"][1:3])
        stride = int(node["attr"]["strides"]["list"]["i"][1])
        x = tf_conv2d_transpose_same(x, weights[node["input"][1]], (out_h, out_w), stride)
        bias_node = consumers[node["name"]]
        assert bias_node["op"] == "BiasAdd"
        x = x + weights[bias_node["input"][1]]
        if index < len(deconvs) - 1:
            x = np.maximum(x, 0)
    return x


def mnist_train_images(count: int) -> np.ndarray:
    images = read_idx(shared_path("datasets", "mnist", "train-images-idx3-ubyte.gz"))
    assert images.shape == (60000, 28, 28)
    return images[:count]


def summed_bce(logits: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """Binary cross-entropy of pixel targets in [0, 1] under sigmoid(logits), summed per image."""
    l, t = logits.astype(np.float64), targets.astype(np.float64)
    per_pixel = np.maximum(l, 0) - l * t + np.log1p(np.exp(-np.abs(l)))
    return per_pixel.reshape(len(l), -1).sum(axis=1)


def torch_logits(decoder, z: np.ndarray) -> np.ndarray:
    with torch.no_grad():
        return decoder(torch.from_numpy(np.asarray(z, np.float32))).numpy()[:, 0]


# --- conversion ---------------------------------------------------------------------------------

def check_import_matches_numpy_tensorflow(model_json: Path) -> None:
    imported = load_tfjs_decoder(model_json)
    assert imported.latent_dim == 3 and imported.image_shape == (28, 28)
    assert not imported.graph_applies_sigmoid
    z = np.random.default_rng(7).normal(0, 1.5, (16, 3)).astype(np.float32)
    expected = numpy_tf_decoder(model_json, z)[..., 0]
    got = torch_logits(imported.decoder, z)
    assert expected.std() > 1.0  # a non-trivial output, so agreement means something
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("seed", [1, 2])
def test_imported_decoder_matches_numpy_tensorflow(tmp_path, seed):
    check_import_matches_numpy_tensorflow(write_tfjs_decoder(tmp_path, seed=seed))


@pytest.mark.compat
@pytest.mark.parametrize("dataset", sorted(ORIGINAL_DECODERS))
def test_imported_original_decoder_matches_numpy_tensorflow(dataset):
    check_import_matches_numpy_tensorflow(original_decoder(dataset))


@pytest.mark.compat
def test_written_decoders_have_the_originals_topology_node_for_node(tmp_path):
    """What the default run imports is the original's graph: only the weights' values differ."""
    original = json.loads(original_decoder("mnist").read_text())
    written = json.loads(write_tfjs_decoder(tmp_path).read_text())
    assert written == original
    assert (tmp_path / "group1-shard1of1.bin").stat().st_size == \
        (original_decoder("mnist").parent / "group1-shard1of1.bin").stat().st_size


@pytest.mark.compat
def test_original_latents_reconstruct_their_mnist_images():
    decoder = load_tfjs_decoder(original_decoder("mnist")).decoder
    latents = np.load(reference_path("model_data", "mnist", "all_z_mnist.npy"), allow_pickle=False)
    images = mnist_train_images(2000).astype(np.float32) / 255.0
    logits = torch_logits(decoder, latents[:2000])
    matched = summed_bce(logits[:500], images[:500]).mean()
    shuffled = summed_bce(logits[np.random.default_rng(0).permutation(500)], images[:500]).mean()
    first_2000 = summed_bce(logits, images).mean()
    print(f"mean summed BCE: matched {matched:.2f}, shuffled {shuffled:.2f}, first 2000 {first_2000:.2f}")
    assert matched < 0.6 * shuffled
    # The original decoder scores about 132 nats on its own latent means.
    assert 120 < first_2000 < 145


# --- weights formats ----------------------------------------------------------------------------

@pytest.fixture
def copy_model(tmp_path, decoder_json):
    """`copy_model()`: a writable copy of the written decoder (model.json + shard) under tmp_path."""
    def copy() -> Path:
        folder = tmp_path / decoder_json.parent.name
        shutil.copytree(decoder_json.parent, folder)
        return folder / "model.json"
    return copy


def test_uint8_quantized_weights_are_dequantized(copy_model, decoder_json):
    """Re-quantizes every float weight to uint8 the way the TF.js converter stores it
    (value = q * scale + min) and checks the import against numpy TF on the dequantized values."""
    model_json = copy_model()
    doc = json.loads(model_json.read_text())
    raw = raw_tfjs_weights(decoder_json)
    dequantized, chunks = {}, []
    for spec in doc["weightsManifest"][0]["weights"]:
        value = raw[spec["name"]]
        if spec["dtype"] == "float32":
            low, scale = float(value.min()), float(np.ptp(value)) / 255 or 1.0
            q = np.clip(np.rint((value - low) / scale), 0, 255).astype(np.uint8)
            spec["quantization"] = {"dtype": "uint8", "min": low, "scale": scale}
            dequantized[spec["name"]] = q.astype(np.float64) * scale + low
            chunks.append(q.tobytes())
        else:
            dequantized[spec["name"]] = value
            chunks.append(value.astype("<i4").tobytes())
    (model_json.parent / "group1-shard1of1.bin").write_bytes(b"".join(chunks))
    model_json.write_text(json.dumps(doc))
    z = np.random.default_rng(3).normal(size=(8, 3)).astype(np.float32)
    got = torch_logits(load_tfjs_decoder(model_json).decoder, z)
    expected = numpy_tf_decoder(model_json, z, dequantized)[..., 0]
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-4)
    assert np.abs(got - torch_logits(load_tfjs_decoder(decoder_json).decoder, z)).max() > 1e-3


def test_truncated_shard_is_named(copy_model):
    model_json = copy_model()
    shard = model_json.parent / "group1-shard1of1.bin"
    shard.write_bytes(shard.read_bytes()[:-100])
    with pytest.raises(TfjsError, match=r"group1-shard1of1\.bin: truncated weight shard: .*BiasAdd"):
        load_tfjs_decoder(model_json)


def test_shard_with_extra_bytes_is_named(copy_model):
    model_json = copy_model()
    shard = model_json.parent / "group1-shard1of1.bin"
    shard.write_bytes(shard.read_bytes() + b"\0" * 8)
    with pytest.raises(TfjsError, match=r"group1-shard1of1\.bin: weight shards hold 174188 bytes"):
        load_tfjs_decoder(model_json)


def test_missing_shard_is_named(copy_model):
    model_json = copy_model()
    (model_json.parent / "group1-shard1of1.bin").unlink()
    with pytest.raises(TfjsError, match=r"group1-shard1of1\.bin: cannot read weight shard"):
        load_tfjs_decoder(model_json)


def test_nan_weight_is_named(copy_model):
    model_json = copy_model()
    shard = model_json.parent / "group1-shard1of1.bin"
    data = bytearray(shard.read_bytes())
    data[-4:] = np.array([np.nan], "<f4").tobytes()  # the last weight: the output bias
    shard.write_bytes(bytes(data))
    with pytest.raises(TfjsError, match=r"weight .*conv2d_transpose_2/BiasAdd/ReadVariableOp contains NaN"):
        load_tfjs_decoder(model_json)


# --- graphs that are not the supported decoder --------------------------------------------------

def edit_graph(model_json: Path, edit) -> None:
    doc = json.loads(model_json.read_text())
    edit({n["name"]: n for n in doc["modelTopology"]["node"]})
    model_json.write_text(json.dumps(doc))


def test_unsupported_op_is_named(copy_model):
    model_json = copy_model()
    relu = "StatefulPartitionedCall/sequential_1/conv2d_transpose_1/Relu"
    edit_graph(model_json, lambda nodes: nodes[relu].update(op="Elu"))
    with pytest.raises(TfjsError) as info:
        load_tfjs_decoder(model_json)
    message = str(info.value)
    assert str(model_json) in message and "unsupported op Elu" in message and relu in message


def test_missing_activation_breaks_the_architecture(copy_model):
    model_json = copy_model()
    dense = "StatefulPartitionedCall/sequential_1/dense_1/Relu"
    edit_graph(model_json, lambda nodes: nodes[dense]["attr"]["fused_ops"]["list"].update(s=["Qmlhc0FkZA=="]))
    with pytest.raises(TfjsError, match=r"not the supported decoder architecture: step 3 should be relu"):
        load_tfjs_decoder(model_json)


def test_valid_padding_is_rejected_naming_the_node(copy_model):
    model_json = copy_model()
    deconv = "StatefulPartitionedCall/sequential_1/conv2d_transpose_2/conv2d_transpose"
    valid = "VkFMSUQ="  # base64 of VALID
    edit_graph(model_json, lambda nodes: nodes[deconv]["attr"]["padding"].update(s=valid))
    with pytest.raises(TfjsError, match=f"node {deconv}.*output size 28 is inconsistent"):
        load_tfjs_decoder(model_json)


def test_wrong_stride_is_rejected(copy_model):
    model_json = copy_model()
    deconv = "StatefulPartitionedCall/sequential_1/conv2d_transpose/conv2d_transpose"
    edit_graph(model_json, lambda nodes: nodes[deconv]["attr"]["strides"]["list"].update(i=["1", "1", "1", "1"]))
    with pytest.raises(TfjsError, match=f"node {deconv}.*inconsistent with input 7"):
        load_tfjs_decoder(model_json)


# --- the command --------------------------------------------------------------------------------

def run_cli(capsys, *argv) -> tuple[int, str]:
    code = cli_main(["import-tfjs", *map(str, argv)])
    return code, capsys.readouterr().err


def check_cli_bundle_decodes_like_tensorflow(tmp_path, capsys, model_json, latents_npy, labels_npy, count):
    out = tmp_path / "fashion"
    code, err = run_cli(capsys, model_json, "--out", out, "--dataset", "fashion-mnist",
                        "--latents", latents_npy, "--labels", labels_npy)
    assert (code, err) == (0, "")
    bundle = load_bundle(out)
    originals = np.load(latents_npy, allow_pickle=False)
    np.testing.assert_array_equal(bundle.latents, originals)
    assert bundle.labels.shape == (count,) and bundle.labels.max() == 9
    assert bundle.dataset == "fashion-mnist" and bundle.class_names[9] == "Ankle boot"
    assert not bundle.has_encoder
    z = originals[:6]
    expected = 1 / (1 + np.exp(-numpy_tf_decoder(model_json, z)[..., 0]))
    np.testing.assert_allclose(decode_latents(bundle.load_decoder("cpu"), z), expected, atol=1e-6)


def test_cli_writes_a_bundle_that_decodes_like_tensorflow(tmp_path, capsys, decoder_json):
    rng = np.random.default_rng(4)
    np.save(tmp_path / "z.npy", rng.normal(0, 1.5, (300, 3)).astype(np.float32))
    np.save(tmp_path / "labels.npy", (np.arange(300) % 10).astype(np.uint8))
    check_cli_bundle_decodes_like_tensorflow(tmp_path, capsys, decoder_json, tmp_path / "z.npy",
                                             tmp_path / "labels.npy", 300)


@pytest.mark.compat
def test_cli_imports_the_original_fashion_decoder_with_its_latents(tmp_path, capsys):
    check_cli_bundle_decodes_like_tensorflow(
        tmp_path, capsys, original_decoder("fashion-mnist"),
        reference_path("model_data", "fashion", "all_z_fashion_mnist.npy"),
        reference_path("model_data", "fashion", "all_train_labels_fashion_mnist.npy"), 60000)


def test_cli_requires_latents_and_labels(tmp_path, capsys, decoder_json):
    code, err = run_cli(capsys, decoder_json, "--out", tmp_path / "b")
    assert code == 2 and err.count("\n") == 1
    assert str(decoder_json) in err and "--latents and --labels are required" in err
    assert not (tmp_path / "b").exists()


@pytest.mark.parametrize("latents, problem", [
    (np.full((4, 3), np.nan, np.float32), "latents contain NaN or Inf"),
    (np.zeros((4, 2), np.float32), r"latents must be a float \(N, 3\) array"),
    (np.zeros((4, 3), np.int32), r"latents must be a float \(N, 3\) array"),
])
def test_cli_rejects_bad_latents_naming_the_file(tmp_path, capsys, latents, problem, decoder_json):
    np.save(tmp_path / "z.npy", latents)
    np.save(tmp_path / "labels.npy", np.zeros(4, np.uint8))
    code, err = run_cli(capsys, decoder_json, "--out", tmp_path / "b",
                        "--latents", tmp_path / "z.npy", "--labels", tmp_path / "labels.npy")
    assert code == 1 and err.count("\n") == 1
    assert f"{tmp_path / 'z.npy'}: " in err and __import__("re").search(problem, err)
    assert not (tmp_path / "b").exists()


def test_cli_rejects_labels_that_do_not_fit(tmp_path, capsys, decoder_json):
    np.save(tmp_path / "z.npy", np.zeros((4, 3), np.float32))
    np.save(tmp_path / "labels.npy", np.array([0, 1, 2, 10]))
    code, err = run_cli(capsys, decoder_json, "--out", tmp_path / "b",
                        "--latents", tmp_path / "z.npy", "--labels", tmp_path / "labels.npy")
    assert code == 1 and f"{tmp_path / 'labels.npy'}: labels must be 0..9, found 0..10" in err
    np.save(tmp_path / "labels.npy", np.zeros(5, np.int64))
    code, err = run_cli(capsys, decoder_json, "--out", tmp_path / "b",
                        "--latents", tmp_path / "z.npy", "--labels", tmp_path / "labels.npy")
    assert code == 1 and "labels must be an integer (4,) array matching the latents" in err


def test_cli_reports_unsupported_graph_in_one_line(tmp_path, capsys, copy_model):
    model_json = copy_model()
    edit_graph(model_json, lambda nodes: nodes["Identity"].update(op="Tanh"))
    np.save(tmp_path / "z.npy", np.zeros((4, 3), np.float32))
    np.save(tmp_path / "labels.npy", np.zeros(4, np.int64))
    code, err = run_cli(capsys, model_json, "--out", tmp_path / "b",
                        "--latents", tmp_path / "z.npy", "--labels", tmp_path / "labels.npy")
    assert code == 1 and err.count("\n") == 1
    assert err.startswith("latentwalk import-tfjs: error: ") and "unsupported op Tanh (node Identity)" in err


def test_cyclic_graph_is_rejected(copy_model):
    model_json = copy_model()
    relu = "StatefulPartitionedCall/sequential_1/conv2d_transpose/Relu"
    edit_graph(model_json, lambda nodes: nodes["StatefulPartitionedCall/sequential_1/conv2d_transpose/BiasAdd"]
               .update(input=[relu, "StatefulPartitionedCall/sequential_1/conv2d_transpose/BiasAdd/ReadVariableOp"]))
    with pytest.raises(TfjsError, match="graph has a cycle through node"):
        load_tfjs_decoder(model_json)


def test_graph_ending_in_sigmoid_keeps_pixels_equal(copy_model, decoder_json):
    """A decoder that outputs probabilities instead of logits: the module keeps the logits and
    decoding applies the sigmoid, so pixels equal what TF outputs."""
    model_json = copy_model()
    edit_graph(model_json, lambda nodes: nodes["Identity"].update(op="Sigmoid"))
    imported = load_tfjs_decoder(model_json)
    assert imported.graph_applies_sigmoid and imported.source["graph_applies_sigmoid"]
    z = np.random.default_rng(5).normal(size=(4, 3)).astype(np.float32)
    tf_pixels = 1 / (1 + np.exp(-numpy_tf_decoder(decoder_json, z)[..., 0]))
    np.testing.assert_allclose(decode_latents(imported.decoder, z), tf_pixels, atol=1e-6)


def test_weights_split_over_two_shards_are_read_in_order(copy_model, decoder_json):
    model_json = copy_model()
    shard = model_json.parent / "group1-shard1of1.bin"
    data = shard.read_bytes()
    shard.unlink()
    (model_json.parent / "group1-shard1of2.bin").write_bytes(data[:100001])  # splits a float
    (model_json.parent / "group1-shard2of2.bin").write_bytes(data[100001:])
    doc = json.loads(model_json.read_text())
    doc["weightsManifest"][0]["paths"] = ["group1-shard1of2.bin", "group1-shard2of2.bin"]
    model_json.write_text(json.dumps(doc))
    z = np.random.default_rng(9).normal(size=(4, 3)).astype(np.float32)
    np.testing.assert_array_equal(torch_logits(load_tfjs_decoder(model_json).decoder, z),
                                  torch_logits(load_tfjs_decoder(decoder_json).decoder, z))


@pytest.mark.parametrize("text, problem", [
    ('{"format": "graph-model", ', "not valid JSON"),
    ('{"format": "layers-model", "modelTopology": {}}', "not a TensorFlow.js graph model"),
    ('{"format": "graph-model", "modelTopology": {"node": 3}}', "modelTopology.node is missing or malformed"),
])
def test_bad_model_json_is_named(text, problem, copy_model):
    model_json = copy_model()
    model_json.write_text(text)
    with pytest.raises(TfjsError, match=f"^{model_json}: {problem}"):
        load_tfjs_decoder(model_json)


def test_cli_reports_a_full_disk_in_one_line_and_keeps_the_old_bundle(tmp_path, capsys, monkeypatch, decoder_json):
    import safetensors.torch
    from safetensors import SafetensorError

    np.save(tmp_path / "z.npy", np.zeros((4, 3), np.float32))
    np.save(tmp_path / "labels.npy", np.arange(4))
    arguments = (decoder_json, "--out", tmp_path / "b", "--latents", tmp_path / "z.npy",
                 "--labels", tmp_path / "labels.npy")
    assert run_cli(capsys, *arguments) == (0, "")
    before = {path.name: path.read_bytes() for path in (tmp_path / "b").iterdir()}

    def disk_full(*args, **kwargs):
        raise SafetensorError("Error while serializing: I/O error: No space left on device (os error 28)")

    monkeypatch.setattr(safetensors.torch, "save_file", disk_full)
    code, err = run_cli(capsys, *arguments)
    assert code == 1 and err.count("\n") == 1 and "Traceback" not in err
    assert f"{tmp_path / 'b' / 'decoder.safetensors'}: cannot write (No space left on device)" in err
    assert {path.name: path.read_bytes() for path in (tmp_path / "b").iterdir()} == before
    assert sorted(path.name for path in tmp_path.iterdir()) == ["b", "labels.npy", "z.npy"]


def test_cli_refuses_an_unwritable_out_before_reading_anything(tmp_path, capsys):
    (tmp_path / "file").write_text("keep")
    code, err = run_cli(capsys, tmp_path / "no-model.json", "--out", tmp_path / "file" / "b",
                        "--latents", tmp_path / "no-z.npy", "--labels", tmp_path / "no-labels.npy")
    assert code == 1 and err.count("\n") == 1
    assert f"{tmp_path / 'file'}: cannot write ({tmp_path / 'file'} is not a folder)" in err


def test_cli_names_a_garbage_latents_file_plainly(tmp_path, capsys, decoder_json):
    (tmp_path / "z.npy").write_bytes(b"hello world")
    np.save(tmp_path / "labels.npy", np.zeros(4, np.uint8))
    code, err = run_cli(capsys, decoder_json, "--out", tmp_path / "b",
                        "--latents", tmp_path / "z.npy", "--labels", tmp_path / "labels.npy")
    assert code == 1 and err.count("\n") == 1 and "pickle" not in err
    assert err.endswith(f"{tmp_path / 'z.npy'}: not a valid .npy array (no .npy header)\n")


def test_weights_reader_lives_in_its_own_module_and_matches_a_byte_by_byte_read(decoder_json):
    import latentwalk.vae.tfjs
    import latentwalk.vae.tfjs_weights

    assert latentwalk.vae.tfjs.read_weights is latentwalk.vae.tfjs_weights.read_weights  # the old public name still works
    manifest = json.loads(decoder_json.read_text())["weightsManifest"]
    weights = latentwalk.vae.tfjs_weights.read_weights(decoder_json, manifest)
    expected = raw_tfjs_weights(decoder_json)
    assert sorted(weights) == sorted(expected)
    for name, array in expected.items():
        np.testing.assert_array_equal(weights[name], array)
    for module in (latentwalk.vae.tfjs, latentwalk.vae.tfjs_weights):  # the brief's module size limit
        assert len(Path(module.__file__).read_text().splitlines()) <= 400, module.__name__
