"""The Activations and Weights panels under Xvfb: layers computed by the insight worker for the image in
Output, and two bundles' weights side by side whose drawn pixels follow the weights' signs."""
from __future__ import annotations

import time

import numpy as np
import pytest

from latentwalk.engine.app import UI_SETTLE_MAX_FRAMES
from latentwalk.scenes.explorer.core import commands as c
from latentwalk.scenes.explorer.panels.cells import MIN_CELL_PX
from latentwalk.vae.activations import decoder_activations, layer_picture, picture_rgb
from latentwalk.vae.bundle import load_bundle
from latentwalk.vae.similarity import COMPARED_LAYERS
from tests.bundles import make_bundle
from tests.explorer_helpers import click_item, frames, frames_until, open_explorer, post_motion

SIZE = (800, 600)


@pytest.fixture
def explorer(gl_app, tmp_path):
    path = make_bundle(tmp_path / "tiny", count=200)
    app, scene = open_explorer(gl_app, path, SIZE, panels=True)
    return app, scene, load_bundle(path)


def pinned(app, scene, panel):
    """`panel` alone, open, at the top-left corner; and the insight service."""
    scene.panels[:] = [panel]
    panel.place = (5, 5)
    frames(app, 2)
    return panel, scene.insight.service


def visible_cells(image, panel, picture, shape):
    """(rows, columns, pixels) of the picture's cells whose centres lie inside the panel's scrolling view."""
    (vx0, vy0), (vx1, vy1) = panel.item_rects["view"]
    rows, cols = np.meshgrid(np.arange(shape[0]), np.arange(shape[1]), indexing="ij")
    ys = picture.y + (rows + 0.5) * picture.cell
    xs = picture.x + (cols + 0.5) * picture.cell
    inside = (ys > vy0 + 2) & (ys < vy1 - 16) & (xs > vx0 + 2) & (xs < vx1 - 16)  # the scrollbars' room
    rows, cols = rows[inside], cols[inside]
    return rows, cols, image[ys[inside].astype(int), xs[inside].astype(int)].astype(int)


def test_activations_follow_the_output_image_with_the_models_shapes(explorer):
    app, scene, bundle = explorer
    panel, service = pinned(app, scene, scene.insight.activations_panel)
    decoder = bundle.load_decoder()
    expected_shapes = [("dense", (1568,)), ("reshape", (32, 7, 7)), ("deconv1", (64, 14, 14)),
                       ("deconv2", (32, 28, 28)), ("deconv3", (1, 28, 28))]
    for index in (5, 9):
        scene.submit(c.Select(index=index, source="keyboard"))
        assert frames_until(app, lambda: service.activations_latent is not None
                            and np.array_equal(service.activations_latent, bundle.latents[index])
                            and panel.shown_layers)
        frames(app, 1)
        assert panel.shown_layers == expected_shapes
        for view, layer in zip(service.activations, decoder_activations(decoder, bundle.latents[index])):
            np.testing.assert_allclose(view.values, layer.values, atol=1e-5)

    # the walk's position owns Output once nothing is selected: the layers follow it
    for command in (c.Select(None), c.AddControlPoint(index=3), c.AddControlPoint(index=11), c.SetWalkT(0.4)):
        scene.submit(command)
    assert frames_until(app, lambda: scene.output_images.shown_owner == "walk" and service.activations_latent is not None
                        and np.allclose(service.activations_latent, scene.state.walk.path.current_latent(), atol=1e-6))
    assert not np.allclose(service.activations_latent, bundle.latents[9])
    frames(app, 2)

    # the dense layer as drawn: a table of one row per channel, each cell its value's grey (each row scaled)
    dense = service.activations[0]
    expected, _ = picture_rgb(layer_picture(dense.values, True, channels=32), 1)
    assert expected.shape[:2] == (1 + 32 + 1, 1 + 49 + 1)
    picture = panel.drawn["dense"]
    assert picture.cell >= MIN_CELL_PX
    rows, cols, shown = visible_cells(app.capture(include_ui=True), panel, picture, expected.shape)
    assert len(rows) > 1000 and np.abs(shown - expected[rows, cols]).max() <= 3


def test_weights_layer_by_layer_with_cka_and_colours_following_signs(explorer, tmp_path):
    app, scene, bundle = explorer
    panel, service = pinned(app, scene, scene.insight.weights_panel)
    copy = make_bundle(tmp_path / "copy", count=200)  # the same seed: the same weights and latents
    service.compare_with(str(copy))
    assert frames_until(app, lambda: service.weights is not None, max_frames=1500)
    frames(app, 2)
    from latentwalk.scenes.explorer.panels import weights as weights_panel
    from latentwalk.vae.similarity import DIVERGING_ANCHORS, WEIGHT_LAYERS

    assert weights_panel.WEIGHT_LAYERS == tuple(layer for layer, _ in WEIGHT_LAYERS)
    assert np.array_equal(np.array(weights_panel.DIVERGING_STOPS), DIVERGING_ANCHORS)
    cka = {row.layer: row.cka for row in service.weights.comparison.layers}
    assert list(cka) == list(COMPARED_LAYERS) and all(v == pytest.approx(1.0, abs=1e-6) for v in cka.values())

    decoder = bundle.load_decoder()
    weight = decoder.fc.weight.detach().numpy().reshape(-1)
    click_item(app, panel, "layer dense")
    for side in ("a", "b"):
        click_item(app, panel, f"side {side}")
        frames(app, 2)
        assert (panel.layer, panel.side) == ("dense", side)
        tiles = service.weights.images_a["dense"] if side == "a" else service.weights.images_b["dense"]
        rows, cols, shown = visible_cells(app.capture(include_ui=True), panel, panel.picture, tiles.rgb.shape)
        flat = tiles.index[rows, cols]
        weights = weight[np.maximum(flat, 0)]
        clear = (flat >= 0) & (np.abs(weights) > 0.1 * tiles.tile_limits[np.maximum(tiles.tile_of[rows, cols], 0)])
        assert clear.sum() > 100 and np.array_equal(shown[clear, 0] > shown[clear, 2], weights[clear] > 0)


def test_a_bundle_of_another_data_set_is_refused_in_the_panel(explorer, tmp_path):
    app, scene, _ = explorer
    service = scene.insight.service
    other = make_bundle(tmp_path / "other", count=50, dataset="elsewhere")
    service.compare_with(str(other))
    assert frames_until(app, lambda: service.compare_error is not None, max_frames=600)
    assert "'synthetic'" in service.compare_error and "'elsewhere'" in service.compare_error
    service.compare_with(str(tmp_path / "missing"))
    assert frames_until(app, lambda: service.compare_error is not None and "missing" in service.compare_error)


def test_an_idle_window_draws_a_comparison_that_arrives(explorer, tmp_path):
    """A result taken in by prepare changes no state version: it asks the App for the frame."""
    app, scene, _ = explorer
    panel, service = pinned(app, scene, scene.insight.weights_panel)
    for _ in range(10):  # settle into idle
        app.step_frame(1 / 60, skip_if_idle=True)
    service.compare_with(str(make_bundle(tmp_path / "copy", count=200)))
    drawn_after = 0
    for _ in range(2000):
        drew = app.step_frame(1 / 60, skip_if_idle=True)
        if service.weights is not None:
            drawn_after += drew
            if drawn_after:
                break
        time.sleep(0.003)
    assert service.weights is not None and drawn_after and (panel.layer, "a") in panel.image_rects
    # the auto-sized panel takes a frame or two to fit what arrived (the App asks for them), then it rests
    after = [app.step_frame(1 / 60, skip_if_idle=True) for _ in range(UI_SETTLE_MAX_FRAMES + 10)]
    assert not any(after[UI_SETTLE_MAX_FRAMES:])


def test_a_colour_models_rgb_kernels_are_drawn_as_colour_tiles(gl_app, tmp_path):
    """known_rgb_bundle's kernels make known colours: drawn on screen, per kernel and for the whole layer,
    for the decoder's last layer and the encoder's first; the read-out names a cell's R, G and B."""
    from tests.bundles import expected_rgb_tile, known_rgb_bundle

    path = known_rgb_bundle(tmp_path / "known")
    app, scene = open_explorer(gl_app, path, SIZE, panels=True)
    panel, service = pinned(app, scene, scene.insight.weights_panel)
    service.compare_with(str(path))
    assert frames_until(app, lambda: service.weights is not None, max_frames=1500)
    frames(app, 3)
    assert panel.layer == "out" and service.weights.layers == ("dense", "up1", "up2", "out", "enc1")
    for layer in ("out", "enc1"):
        click_item(app, panel, f"layer {layer}")
        click_item(app, panel, "each kernel")
        frames(app, 2)
        image = service.weights.images_a[layer]
        assert panel.layer == layer and panel.picture.cell >= MIN_CELL_PX and "RGB kernel" in panel.axes_text
        screen = app.capture(include_ui=True)
        rows, cols, shown = visible_cells(screen, panel, panel.picture, image.rgb.shape)
        kernel = image.index[rows, cols] >= 0
        assert kernel.sum() >= 8 * 9
        kh, kw = image.weights.shape[2:]
        for k in range(len(image.tile_limits)):  # each kernel's known colours, cell by cell, on screen
            tile_rows, tile_cols = np.nonzero(image.tile_of == k)
            expected = expected_rgb_tile(k, kh, kw).reshape(-1, 3)
            order = np.lexsort((tile_cols, tile_rows))
            x = panel.picture.x + (tile_cols[order] + 0.5) * panel.picture.cell
            y = panel.picture.y + (tile_rows[order] + 0.5) * panel.picture.cell
            drawn = screen[y.astype(int), x.astype(int)].astype(int)
            assert np.abs(drawn - expected).max() <= 3, (layer, k)
        # strongest cell of kernel 0: red up (channel 0), green down, blue at mid-grey
        row, col = np.unravel_index(np.argmax(image.tile_of == 0), image.tile_of.shape)  # its top-left cell
        row, col = row + kh - 1, col + kw - 1  # its bottom-right, the strongest
        post_motion((panel.picture.x + (col + 0.5) * panel.picture.cell, panel.picture.y + (row + 0.5) * panel.picture.cell))
        frames(app, 2)
        strength = kh * kw / 10
        where = "input 0 -> R, G, B" if layer == "out" else "R, G, B -> output 0"
        assert panel.hover_text.startswith(f"{where}, kernel ({kh - 1}, {kw - 1}): R {strength:+.4g}  "
                                           f"G {-strength / 2:+.4g}  B {0.0:+.4g}"), panel.hover_text
        post_motion((SIZE[0] - 5, SIZE[1] - 5))
        click_item(app, panel, "whole layer")
        frames(app, 2)
        rows, cols, shown = visible_cells(app.capture(include_ui=True), panel, panel.picture, image.rgb.shape)
        assert np.abs(shown - image.rgb[rows, cols]).max() <= 3
        assert not np.array_equal(image.rgb, image.rgb_per_kernel)


def test_a_colour_models_activations_show_its_picture_in_colour(gl_app):
    """The bundled shapes model: the picture its R, G and B logits make, drawn in colour and equal to the
    picture Output shows for the same point, then each layer."""
    app, scene = open_explorer(gl_app, "shapes", SIZE, panels=True)
    panel, service = pinned(app, scene, scene.insight.activations_panel)
    scene.submit(c.Select(index=7, source="keyboard"))
    assert frames_until(app, lambda: service.activations_latent is not None
                        and np.array_equal(service.activations_latent, scene.bundle.latents[7])
                        and "picture" in panel.drawn and scene.output_images.decoded_slot.image is not None,
                        max_frames=1500)
    frames(app, UI_SETTLE_MAX_FRAMES)  # the panel grows to what arrived
    assert [name for name, _ in panel.shown_layers] == ["picture", "dense", "reshape", "up1", "up2", "up3", "out"]
    assert panel.shown_layers[0] == ("picture", (3, 32, 32))  # first, before the layers' long scroll
    picture = panel.drawn["picture"]
    expected = np.rint(scene.output_images.decoded_slot.image * 255).astype(int)  # (32, 32, 3)
    assert expected.shape == (32, 32, 3) and np.ptp(expected.reshape(-1, 3).mean(axis=0)) > 20  # coloured
    rows, cols, shown = visible_cells(app.capture(include_ui=True), panel, picture, (34, 34))
    inside = (rows >= 1) & (rows <= 32) & (cols >= 1) & (cols <= 32)
    assert inside.sum() == 32 * 32
    assert np.abs(shown[inside] - expected[rows[inside] - 1, cols[inside] - 1]).max() <= 3
    post_motion((picture.x + 16.5 * picture.cell, picture.y + 11.5 * picture.cell))  # pixel (10, 15)
    frames(app, 2)
    red, green, blue = scene.output_images.decoded_slot.image[10, 15]
    assert panel.hover_text == f"pixel (10, 15): R {red:.3f}  G {green:.3f}  B {blue:.3f}"
