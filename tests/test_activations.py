"""Each decoder layer's output for a latent, and a layer's channels as one grid image."""
from __future__ import annotations

import numpy as np
import torch

from latentwalk.vae.activations import LAYER_NAMES, channel_grid, decoder_activations
from latentwalk.vae.bundle import load_bundle


def test_layer_shapes_follow_the_model_and_the_last_is_its_output():
    bundle = load_bundle("mnist")
    decoder = bundle.load_decoder()
    latent = bundle.latents[7]
    layers = decoder_activations(decoder, latent)
    assert [layer.name for layer in layers] == list(LAYER_NAMES)
    h0, w0 = decoder.base
    expected = {
        "dense": (decoder.fc.out_features,),
        "reshape": (decoder.deconv1.in_channels, h0, w0),
        "deconv1": (decoder.deconv1.out_channels, 2 * h0, 2 * w0),
        "deconv2": (decoder.deconv2.out_channels, 4 * h0, 4 * w0),
        "deconv3": (decoder.deconv3.out_channels, *decoder.image_shape),
    }
    assert {layer.name: layer.shape for layer in layers} == expected == {
        "dense": (1568,), "reshape": (32, 7, 7), "deconv1": (64, 14, 14), "deconv2": (32, 28, 28),
        "deconv3": (1, 28, 28)}
    with torch.no_grad():
        logits = decoder(torch.from_numpy(latent[None]))[0].numpy()
    np.testing.assert_allclose(layers[-1].values, logits, atol=1e-5)
    np.testing.assert_array_equal(layers[1].values.reshape(-1), layers[0].values)
    assert all(layer.values.min() >= 0 for layer in layers[:4])  # ReLU outputs


def test_channel_grid_puts_each_channel_in_its_tile():
    values = np.zeros((5, 3, 4), np.float32)
    values[3, 1, 2] = 2.0  # channel 3 of 5: row 1, column 1 of a 3-column grid
    values[0, 0, 0] = 1.0
    grid = channel_grid(values, padding=1)
    assert grid.shape == (2 * (3 + 1) + 1, 3 * (4 + 1) + 1)
    top, left = 1 + 1 * 4, 1 + 0 * 5
    assert grid[top + 1, left + 2] == 1.0 and grid[1, 1] == 0.5
    assert np.count_nonzero(grid) == 2

    dense = channel_grid(np.arange(10, dtype=np.float32))  # 1-d: one near-square tile
    assert dense.shape == (1 + 3 + 1, 1 + 4 + 1) and dense.max() == 1.0
    signed = channel_grid(np.array([[[-1.0, 0.0, 1.0]]], np.float32), padding=0)
    np.testing.assert_allclose(signed, [[0.0, 0.5, 1.0]])  # logits: 0 is mid-grey


def test_layer_picture_scales_each_channel_to_its_own_range_and_lays_dense_out_by_channel():
    from latentwalk.vae.activations import GAP_RGB, columns_to_fit, layer_picture, picture_rgb

    values = np.zeros((3, 2, 2), np.float32)
    values[0] = [[4.0, 2.0], [0.0, 1.0]]
    values[1] = [[0.01, 0.0], [0.005, 0.0]]  # weak, but a pattern: per channel it reaches white too
    per_channel, whole = layer_picture(values, per_channel=True), layer_picture(values, per_channel=False)
    np.testing.assert_allclose(per_channel.tiles[:, 0, 0], [1.0, 1.0, 0.0])  # channel 2 is dead: black
    np.testing.assert_allclose(per_channel.scales, [4.0, 0.01, 1.0])
    assert whole.tiles[1].max() < 0.01 and np.all(whole.scales == 4.0)

    dense = layer_picture(np.arange(12, dtype=np.float32), per_channel=True, channels=3)
    assert dense.rows_are_channels and dense.tiles.shape == (1, 3, 4)  # row c: channel c's four values
    np.testing.assert_allclose(dense.tiles[0, 2], np.arange(8, 12) / 11)
    logits = layer_picture(np.array([[[-2.0, 0.0, 1.0]]], np.float32))
    assert logits.signed and np.allclose(logits.tiles[0, 0], [0.0, 0.5, 0.75])

    assert columns_to_fit(tile_width=7, count=32, width_cells=65) == 8  # 1 + 8 * (7 + 1) = 65
    assert columns_to_fit(tile_width=28, count=32, width_cells=10) == 1
    rgb, index = picture_rgb(per_channel, columns=2)
    assert rgb.shape == (1 + 2 * 3, 1 + 2 * 3, 3) and tuple(rgb[0, 0]) == GAP_RGB
    assert tuple(rgb[1, 1]) == (255, 255, 255) and index[1, 1] == 0 and index[0, 0] == -1
