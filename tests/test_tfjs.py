"""import-tfjs against the original tool's TF.js decoders, checked by an independent numpy
re-implementation of TF's ops and by reconstructing real MNIST training images."""
from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

from vae.errors import TfjsError
from vae.tfjs import load_tfjs_decoder

REFERENCE = Path(__file__).resolve().parents[1].parent / "shared" / "reference" / "js-plot-vae"
MNIST_TRAIN_IMAGES = REFERENCE.parents[1] / "datasets" / "mnist" / "train-images-idx3-ubyte.gz"
DECODERS = {"mnist": REFERENCE / "vae_decoder_reparam" / "model.json",
            "fashion-mnist": REFERENCE / "vae_fashion_reparam" / "model.json"}


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


def numpy_tf_decoder(model_json: Path, z: np.ndarray) -> np.ndarray:
    """Runs the reference graph's layers in TF's own layouts: z (N, d) -> logits (N, 28, 28, 1)."""
    graph = json.loads(model_json.read_text())["modelTopology"]["node"]
    weights = raw_tfjs_weights(model_json)
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
    with gzip.open(MNIST_TRAIN_IMAGES, "rb") as f:
        header = np.frombuffer(f.read(16), ">i4")
        assert header[0] == 2051 and header[2:].tolist() == [28, 28]
        return np.frombuffer(f.read(count * 784), np.uint8).reshape(count, 28, 28)


def summed_bce(logits: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """Binary cross-entropy of pixel targets in [0, 1] under sigmoid(logits), summed per image."""
    l, t = logits.astype(np.float64), targets.astype(np.float64)
    per_pixel = np.maximum(l, 0) - l * t + np.log1p(np.exp(-np.abs(l)))
    return per_pixel.reshape(len(l), -1).sum(axis=1)


def torch_logits(decoder, z: np.ndarray) -> np.ndarray:
    with torch.no_grad():
        return decoder(torch.from_numpy(np.asarray(z, np.float32))).numpy()[:, 0]


# --- conversion ---------------------------------------------------------------------------------

@pytest.mark.parametrize("dataset", sorted(DECODERS))
def test_imported_decoder_matches_numpy_tensorflow(dataset):
    imported = load_tfjs_decoder(DECODERS[dataset])
    assert imported.latent_dim == 3 and imported.image_shape == (28, 28)
    assert not imported.graph_applies_sigmoid
    z = np.random.default_rng(7).normal(0, 1.5, (16, 3)).astype(np.float32)
    expected = numpy_tf_decoder(DECODERS[dataset], z)[..., 0]
    got = torch_logits(imported.decoder, z)
    assert expected.std() > 1.0  # a non-trivial output, so agreement means something
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)


def test_original_latents_reconstruct_their_mnist_images():
    decoder = load_tfjs_decoder(DECODERS["mnist"]).decoder
    latents = np.load(REFERENCE / "model_data" / "mnist" / "all_z_mnist.npy", allow_pickle=False)
    images = mnist_train_images(2000).astype(np.float32) / 255.0
    logits = torch_logits(decoder, latents[:2000])
    matched = summed_bce(logits[:500], images[:500]).mean()
    shuffled = summed_bce(logits[np.random.default_rng(0).permutation(500)], images[:500]).mean()
    first_2000 = summed_bce(logits, images).mean()
    print(f"mean summed BCE: matched {matched:.2f}, shuffled {shuffled:.2f}, first 2000 {first_2000:.2f}")
    assert matched < 0.6 * shuffled
    # The issue quotes about 132 nats for the original decoder on its own latent means.
    assert 120 < first_2000 < 145
