"""Per-layer similarity of two bundles (linear CKA), the weights as colour, and `latentwalk compare`."""
from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from latentwalk.cli import main
from latentwalk.vae.bundle import load_bundle, write_bundle
from latentwalk.vae.encode import encode_inputs
from latentwalk.vae.similarity import COMPARED_LAYERS, WEIGHT_LAYERS, linear_cka, weights_image
from tests.bundles import make_bundle
from tests.subset_models import subset_images, train_subset_bundle

COUNT = 1000  # the committed subset's training images


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    return train_subset_bundle(tmp_path_factory.mktemp("similarity") / "subset-vae", count=256)


def shuffled_copy(source, out):
    """The same bundle with every weight tensor's entries shuffled, its latents re-encoded by the
    shuffled encoder (a bundle's latents are its own encoder's means of the training images), for
    the first COUNT training images, which the comparison then uses."""
    bundle = load_bundle(source)
    encoder, decoder = bundle.load_encoder(), bundle.load_decoder()
    generator = torch.Generator().manual_seed(1)
    with torch.no_grad():
        for parameter in [*encoder.parameters(), *decoder.parameters()]:
            order = torch.randperm(parameter.numel(), generator=generator)
            parameter.copy_(parameter.flatten()[order].view_as(parameter))
    latents = encode_inputs(encoder, subset_images(COUNT).astype(np.float32) / 255.0)
    return write_bundle(out, decoder=decoder, encoder=encoder, latents=latents, labels=bundle.labels[:COUNT],
                        dataset=bundle.dataset, class_names=bundle.class_names, summary={"shuffled": True})


def compare_json(a, b, capsys) -> dict[str, float]:
    assert main(["compare", str(a), str(b), "--samples", "200", "--json"]) == 0
    table = json.loads(capsys.readouterr().out)
    assert table["samples"] == 200 and table["measure"] == "linear CKA"
    return {row["layer"]: row["cka"] for row in table["layers"]}


def test_a_bundle_compared_with_itself_is_1_and_with_a_shuffled_copy_much_less(tmp_path, capsys):
    """On the well-trained bundled model: an encoder trained for a moment is still close to random
    features of the pixels, which CKA rightly finds much like any other random features."""
    itself = compare_json("mnist", "mnist", capsys)
    assert list(itself) == list(COMPARED_LAYERS)
    assert all(value == pytest.approx(1.0, abs=1e-6) for value in itself.values())

    shuffled = compare_json("mnist", shuffled_copy("mnist", tmp_path / "shuffled"), capsys)
    assert all(value < 0.3 for value in shuffled.values()), shuffled

    assert main(["compare", "mnist", "mnist", "--samples", "50"]) == 0
    table = capsys.readouterr().out
    assert "linear CKA" in table and all(f"\n{layer} " in table for layer in COMPARED_LAYERS)


def test_cka_ignores_rotation_permutation_and_scale_but_not_other_features():
    rng = np.random.default_rng(0)
    features = rng.normal(size=(300, 40))
    rotation, _ = np.linalg.qr(rng.normal(size=(40, 40)))
    assert linear_cka(features, 3.5 * features @ rotation) == pytest.approx(1.0, abs=1e-9)
    assert linear_cka(features, features[:, rng.permutation(40)] + 7.0) == pytest.approx(1.0, abs=1e-9)
    assert linear_cka(features, rng.normal(size=(300, 40))) < 0.3


def test_bundles_of_different_data_sets_are_refused_in_one_line(trained, tmp_path, capsys):
    other = make_bundle(tmp_path / "synthetic", count=30)
    assert main(["compare", str(trained), str(other)]) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "'mnist'" in err and "'synthetic'" in err


@pytest.mark.parametrize("layer", [name for name, _ in WEIGHT_LAYERS])
def test_weights_image_colours_follow_the_weights_signs(layer):
    decoder = load_bundle("mnist").load_decoder()
    image = weights_image(layer, decoder)
    weight = getattr(decoder, dict(WEIGHT_LAYERS)[layer]).weight.detach().numpy().reshape(-1)
    tiles = image.index >= 0
    assert np.array_equal(np.sort(image.index[tiles]), np.arange(weight.size))  # every weight, once
    values = weight[image.index[tiles]]
    red, blue = image.rgb[tiles][:, 0].astype(int), image.rgb[tiles][:, 2].astype(int)
    clear = np.abs(values) > 0.02 * image.limit
    assert np.all((red > blue)[clear] == (values > 0)[clear])
    assert image.limit == pytest.approx(np.percentile(np.abs(weight), 99))  # symmetric range
    beyond = np.abs(values) >= image.limit  # saturate at the map's two ends, by sign
    ends = {tuple(colour) for colour in image.rgb[tiles][beyond]}
    assert beyond.sum() >= 0.009 * len(values) and ends <= {(178, 24, 43), (33, 102, 172)}
    assert np.all(image.rgb[~tiles] == 24)


def test_decoders_of_different_latent_sizes_compare_on_the_same_inputs():
    """Each decoder sees its own latent of the same image; only the weight correlation needs equal shapes."""
    from latentwalk.vae.model import ConvDecoder
    from latentwalk.vae.similarity import compare_decoders

    torch.manual_seed(0)
    small, wide = ConvDecoder(3), ConvDecoder(5)
    rng = np.random.default_rng(0)
    z3 = rng.normal(size=(60, 3)).astype(np.float32)
    z5 = np.concatenate([z3, rng.normal(size=(60, 2)).astype(np.float32)], axis=1)
    rows = {row.layer: row for row in compare_decoders(small, z3, wide, z5).layers}
    assert rows["latent"].shape_a == (3,) and rows["latent"].shape_b == (5,)
    assert rows["dense"].weight_correlation is None and rows["deconv1"].weight_correlation is not None
    assert all(0.0 <= row.cka <= 1.0 + 1e-9 for row in rows.values())


@pytest.mark.parametrize("layer", [name for name, _ in WEIGHT_LAYERS])
def test_weights_image_per_kernel_saturates_each_kernel_and_labels_its_rows_and_columns(layer):
    decoder = load_bundle("mnist").load_decoder()
    image = weights_image(layer, decoder)
    flat = image.weights.reshape(-1)
    tiles = image.index >= 0
    for tile in np.unique(image.tile_of[tiles]):  # each kernel's largest |w| is an end of the map
        here = image.tile_of == tile
        strongest = np.argmax(np.abs(flat[image.index[here]]))
        assert tuple(image.rgb_per_kernel[here][strongest]) in {(178, 24, 43), (33, 102, 172)}
        assert image.tile_limits[tile] == pytest.approx(np.abs(flat[image.index[here]]).max())
    tile_height, tile_width = (7, 7) if layer == "dense" else (3, 3)
    assert len(image.row_labels) == (image.index.shape[0] - 1) // (tile_height + 1)
    assert len(image.column_labels) == (image.index.shape[1] - 1) // (tile_width + 1)
    assert image.row_axis and image.column_axis and image.tile_axis


def test_colour_bundles_of_one_network_compare_layer_by_layer(tmp_path, capsys):
    """The bundled shapes model against itself, and against a copy whose decoder weights are shuffled
    (the same latents: the same training images)."""
    from latentwalk.vae.colour_model import ColourDecoder
    from latentwalk.vae.similarity import compared_layers

    shapes = load_bundle("shapes")
    decoder = shapes.load_decoder()
    layers = list(compared_layers(decoder))
    assert layers == ["latent", "dense", "up1", "up2", "up3", "out"] and isinstance(decoder, ColourDecoder)
    itself = compare_json("shapes", "shapes", capsys)
    assert list(itself) == layers and all(value == pytest.approx(1.0, abs=1e-6) for value in itself.values())

    generator = torch.Generator().manual_seed(1)
    with torch.no_grad():
        for parameter in decoder.parameters():
            order = torch.randperm(parameter.numel(), generator=generator)
            parameter.copy_(parameter.flatten()[order].view_as(parameter))
    shuffled = write_bundle(tmp_path / "shuffled", decoder=decoder, encoder=shapes.load_encoder(),
                            latents=shapes.latents, labels=shapes.labels, dataset=shapes.dataset,
                            class_names=shapes.class_names, summary={"shuffled": True},
                            preprocessing=shapes.meta.get("preprocessing"))
    against = compare_json("shapes", shuffled, capsys)
    assert list(against) == layers and against["latent"] == pytest.approx(1.0, abs=1e-6)
    # a dense layer of random weights on the same latents stays close (CKA sees random features alike);
    # the shuffled convolutions compute something else
    assert all(against[layer] < 0.999 for layer in layers[1:]) and against["out"] < 0.9, against


def test_bundles_of_different_networks_are_refused_in_one_line_naming_both(tmp_path, capsys):
    from tests.bundles import make_colour_bundle

    wider = make_colour_bundle(tmp_path / "wider", side=64)  # other widths and picture size
    for first, second in (("shapes", wider), ("shapes", "mnist"), ("mnist", "shapes")):
        assert main(["compare", str(first), str(second)]) == 1
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1 and "comparisons need the same architecture" in err
        for name in (first, second):
            assert str(load_bundle(name).path) in err
    assert "widths 32-64-128" in err and "the grey 28x28 decoder" in err


@pytest.mark.parametrize("kind", ["out", "enc1"])
def test_rgb_kernels_are_colour_tiles_scaled_per_kernel_around_mid_grey(kind):
    from tests.bundles import expected_rgb_tile, known_rgb_vae

    model = known_rgb_vae()
    network = model.decoder if kind == "out" else model.encoder
    image = weights_image(kind, network)
    kernels, kh, kw = len(image.tile_limits), *image.weights.shape[2:]
    assert image.rgb_axis == (1 if kind == "out" else 0)
    assert image.rgb_per_kernel.shape[2] == 3 and image.tile_limits.shape == (kernels,)
    for k in range(kernels):
        rows, cols = np.nonzero(image.tile_of == k)
        tile = image.rgb_per_kernel[rows.min():rows.max() + 1, cols.min():cols.max() + 1]
        np.testing.assert_array_equal(tile, expected_rgb_tile(k, kh, kw))
        flat = image.weights.reshape(-1)
        here = image.index[rows.min():rows.max() + 1, cols.min():cols.max() + 1]
        red = flat[here]
        assert np.allclose(np.abs(np.stack([red, flat[here + image.rgb_stride], flat[here + 2 * image.rgb_stride]])).max(),
                           image.tile_limits[k])
    assert np.all(image.rgb_per_kernel[image.index < 0] == 24)  # gaps
    # one range for the layer: the weakest kernel is paler than in its own range
    rows, cols = np.nonzero(image.tile_of == 0)
    assert np.abs(image.rgb[rows, cols].astype(int) - 128).max() < np.abs(image.rgb_per_kernel[rows, cols].astype(int) - 128).max()
    assert "RGB kernels" in image.caption and image.row_labels and image.column_labels
