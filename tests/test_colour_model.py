"""The colour network's bundles: described in model.json and rebuilt from it, decoded in colour by the
same paths as the grey decoder, refused in one line when model.json and the weights disagree."""
import json

import numpy as np
import pytest
import torch
from PIL import Image

from latentwalk.cli import main
from latentwalk.vae.activations import decoder_activations
from latentwalk.vae.bundle import load_bundle
from latentwalk.vae.colour_model import default_widths
from latentwalk.vae.decode import decode_latents
from latentwalk.vae.errors import BundleError
from tests.bundles import make_colour_bundle


def test_a_colour_bundle_rebuilds_its_network_and_decodes_rgb(tmp_path):
    path = make_colour_bundle(tmp_path / "colour", side=64, factors=True)
    bundle = load_bundle(path)
    assert bundle.channels == 3 and bundle.image_shape == (64, 64) and bundle.kind == "conv"
    assert bundle.meta["network"]["widths"] == list(default_widths(64)) and bundle.factors.shape == (60, 2)
    images = decode_latents(bundle.load_decoder(), bundle.latents[:5])
    assert images.shape == (5, 64, 64, 3) and 0 <= images.min() and images.max() <= 1
    with torch.no_grad():
        pictures = torch.from_numpy(images).permute(0, 3, 1, 2).contiguous()
        means = bundle.load_encoder()(pictures)[0]
    assert means.shape == (5, 8)
    layers = decoder_activations(bundle.load_decoder(), bundle.latents[0])
    assert layers[0].name == "dense" and layers[-1].shape == (3, 64, 64)
    np.testing.assert_allclose(1 / (1 + np.exp(-layers[-1].values)).transpose(1, 2, 0), images[0], atol=1e-5)


def test_decode_writes_colour_as_n_c_h_w_and_png_grids_in_colour(tmp_path, capsys):
    bundle = load_bundle(make_colour_bundle(tmp_path / "colour"))
    np.save(tmp_path / "z.npy", bundle.latents[:4])
    assert main(["decode", "--model", str(bundle.path), "--latents", str(tmp_path / "z.npy"),
                 "--out", str(tmp_path / "x.npy"), "--no-progress"]) == 0
    assert main(["decode", "--model", str(bundle.path), "--latents", str(tmp_path / "z.npy"),
                 "--out", str(tmp_path / "x.png"), "--no-progress"]) == 0
    written = np.load(tmp_path / "x.npy")
    expected = decode_latents(bundle.load_decoder(), bundle.latents[:4])
    assert written.shape == (4, 3, 32, 32)
    np.testing.assert_allclose(written, expected.transpose(0, 3, 1, 2), atol=1e-6)
    grid = Image.open(tmp_path / "x.png")
    assert grid.mode == "RGB"
    first = np.asarray(grid)[2:34, 2:34]
    np.testing.assert_allclose(first, np.rint(expected[0] * 255), atol=1)


def test_grey_colour_network_bundles_decode_to_one_channel(tmp_path):
    bundle = load_bundle(make_colour_bundle(tmp_path / "grey", channels=1))
    assert decode_latents(bundle.load_decoder(), bundle.latents[:2]).shape == (2, 32, 32)


def edit_network(path, change):
    meta = json.loads((path / "model.json").read_text())
    change(meta)
    (path / "model.json").write_text(json.dumps(meta))


@pytest.mark.parametrize("change, message", [
    (lambda m: m["network"].update(widths=[32, 64]), "do not fit ColourDecoder"),
    (lambda m: m["network"].update(widths=[32, 64, 128, 128, 128, 128]), "cannot be halved"),
    (lambda m: m["network"].update(widths="many"), "network.widths"),
    (lambda m: m["network"].update(likelihood="laplace"), "network.likelihood"),
    (lambda m: m["network"].update(channels=1), "must match"),
    (lambda m: m.pop("network"), "network must be an object"),
    (lambda m: m.update(factor_names=["one"]), "factors.npy"),
])
def test_a_network_description_that_does_not_fit_is_one_line(tmp_path, change, message):
    path = make_colour_bundle(tmp_path / "colour", factors=True)
    edit_network(path, change)
    with pytest.raises(BundleError, match=message) as raised:
        load_bundle(path)
    assert "\n" not in str(raised.value)
