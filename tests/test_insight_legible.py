"""The Weights and Activations panels as a person sees them at 1280x720, placed by the real layout (not
pinned), tiny bundle under Xvfb: every value is a cell of at least MIN_CELL_PX pixels, the rows and
columns are labelled, the panels leave the "? Help" button whole and uncovered, and the default
normalisation (each kernel, each channel in its own range) spans a visible contrast instead of a mostly
white or mostly dim picture."""
from __future__ import annotations

import numpy as np
import pygame
import pytest
import torch
from imgui_bundle import imgui

from latentwalk.scenes.explorer.core import commands as c
from latentwalk.scenes.explorer.panels.cells import MIN_CELL_PX
from latentwalk.scenes.explorer.panels.layout import HELP_BUTTON, rects_overlap
from latentwalk.vae.model import ConvDecoder
from tests.bundles import make_bundle
from tests.explorer_helpers import click_item, frames, frames_until, open_explorer, post_motion

SIZE = (1280, 720)


def kernel_scaled_decoder(dim: int = 3, seed: int = 0) -> ConvDecoder:
    """An untrained decoder whose kernels differ in strength by orders of magnitude, as a trained one's do:
    in one range for the layer, the few strong kernels leave the rest near white."""
    torch.manual_seed(seed)
    decoder = ConvDecoder(dim, (28, 28))
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        fc = decoder.fc.weight  # (32 * 49, dim): one 7x7 map per channel and latent dimension
        fc.copy_((fc.view(32, 49, dim) * torch.exp(1.5 * torch.randn(32, 1, dim, generator=generator))).view_as(fc))
        for module in (decoder.deconv1, decoder.deconv2, decoder.deconv3):
            shape = module.weight.shape
            module.weight.mul_(torch.exp(1.5 * torch.randn(shape[0], shape[1], 1, 1, generator=generator)))
    return decoder


@pytest.fixture(scope="module")
def bundle_path(tmp_path_factory):
    return make_bundle(tmp_path_factory.mktemp("legible") / "kernels", count=300, classes=4,
                       decoder=kernel_scaled_decoder())


@pytest.fixture
def explorer(gl_app, bundle_path):
    return open_explorer(gl_app, bundle_path, SIZE, panels=True, data_dir=None)  # gl_app folds them back after


def open_panel(app, title: str) -> None:
    imgui.set_window_collapsed(title, False, imgui.Cond_.always)
    frames(app, 8)


def help_button_whole(app, scene) -> None:
    """The ? button: its window is not covered by any panel, and the button lies wholly inside it."""
    rects = scene.panel_layout.shown_rects()
    button = rects[HELP_BUTTON]
    for title, rect in rects.items():
        if title != HELP_BUTTON:
            assert not rects_overlap(button, rect), (title, rect, button)
    (x0, y0), (x1, y1) = scene.help_panel.item_rects["help"]
    assert button[0] <= x0 and x1 <= button[0] + button[2] and button[1] <= y0 and y1 <= button[1] + button[3]


def visible_cells(image, panel, picture, shape):
    (vx0, vy0), (vx1, vy1) = panel.item_rects["view"]
    rows, cols = np.meshgrid(np.arange(shape[0]), np.arange(shape[1]), indexing="ij")
    ys, xs = picture.y + (rows + 0.5) * picture.cell, picture.x + (cols + 0.5) * picture.cell
    inside = (ys > vy0 + 2) & (ys < vy1 - 16) & (xs > vx0 + 2) & (xs < vx1 - 16)
    return rows[inside], cols[inside], image[ys[inside].astype(int), xs[inside].astype(int)].astype(int)


def labels_drawn(image, picture, panel) -> bool:
    """Text in the strip above the picture (column labels) and left of it (row labels)."""
    (vx0, vy0), _ = panel.item_rects["view"]
    above = image[int(picture.y) - 14:int(picture.y) - 2, int(picture.x):int(picture.x) + 200]
    left = image[int(picture.y):int(picture.y) + 100, int(vx0) + 4:int(picture.x) - 2]
    return (above.max(axis=2) > 150).sum() > 20 and (left.max(axis=2) > 150).sum() > 20


def test_weights_at_1280x720_are_cells_you_can_see_in_contrast_and_labelled(explorer, bundle_path):
    app, scene = explorer
    panel, service = scene.insight.weights_panel, scene.insight.service
    open_panel(app, "Weights")
    service.compare_with(str(bundle_path))
    assert frames_until(app, lambda: service.weights is not None, max_frames=1500)
    frames(app, 8)
    image = app.capture(include_ui=True)
    help_button_whole(app, scene)
    weights = service.weights.images_a[panel.layer]
    picture = panel.picture
    assert picture is not None and picture.cell >= MIN_CELL_PX
    (x0, y0), (x1, y1) = panel.item_rects["picture"]
    assert (x1 - x0) == pytest.approx(weights.rgb.shape[1] * picture.cell)  # drawn at that size on screen
    (vx0, vy0), (vx1, vy1) = panel.item_rects["view"]
    assert vy1 - vy0 >= 150 and vy1 <= SIZE[1] and vx1 <= SIZE[0]  # a view to scroll in, inside the window
    assert "input channels" in panel.axes_text and "output channels" in panel.axes_text
    assert labels_drawn(image, picture, panel)

    def white_share(image):
        rows, cols, shown = visible_cells(image, panel, panel.picture, weights.rgb.shape)
        kernel = weights.index[rows, cols] >= 0
        assert kernel.sum() > 500
        shown = shown[kernel]
        white = (shown.min(axis=1) > 215).mean()
        red = ((shown[:, 0] - shown[:, 2]) > 100).mean()
        blue = ((shown[:, 2] - shown[:, 0]) > 100).mean()
        return white, red, blue

    rows, cols, _ = visible_cells(image, panel, picture, weights.rgb.shape)
    pick = np.flatnonzero(weights.index[rows, cols] >= 0)[len(rows) // 3]
    row, col = rows[pick], cols[pick]
    post_motion((picture.x + (col + 0.5) * picture.cell, picture.y + (row + 0.5) * picture.cell))
    frames(app, 2)
    source, target, y, x = np.unravel_index(weights.index[row, col], weights.weights.shape)
    value = float(weights.weights[source, target, y, x])
    assert panel.hover_text.startswith(f"input {source} -> output {target}, kernel ({y}, {x}): w = {value:+.4g}")
    post_motion((SIZE[0] // 2, SIZE[1] // 2))
    frames(app, 2)

    white, red, blue = white_share(image)
    assert white < 0.35 and red > 0.15 and blue > 0.15  # each kernel in its own range: contrast, not paper
    click_item(app, panel, "whole layer")
    frames(app, 2)
    assert not panel.per_kernel
    whole_layer_white, _, _ = white_share(app.capture(include_ui=True))
    assert whole_layer_white > white + 0.2  # what per-kernel normalisation fixes


def test_activations_at_1280x720_are_cells_you_can_see_with_each_channel_in_range(explorer):
    app, scene = explorer
    panel, service = scene.insight.activations_panel, scene.insight.service
    open_panel(app, "Activations")
    scene.submit(c.Select(index=7, source="keyboard"))
    assert frames_until(app, lambda: service.activations is not None and panel.drawn)
    frames(app, 8)
    help_button_whole(app, scene)
    assert [name for name, _ in panel.shown_layers] == ["dense", "reshape", "deconv1", "deconv2", "deconv3"]
    assert all(picture.cell >= MIN_CELL_PX for picture in panel.drawn.values())
    assert "channels it is reshaped into" in panel.axes_text["dense"]
    assert "channel = row + column label" in panel.axes_text["reshape"]
    assert labels_drawn(app.capture(include_ui=True), panel.drawn["dense"], panel)
    (vx0, vy0), (vx1, vy1) = panel.item_rects["view"]
    inside = (int((vx0 + vx1) / 2), int((vy0 + vy1) / 2))
    post_motion(inside)
    frames(app)
    for _ in range(40):  # the wheel scrolls the view down to the reshape layer
        if panel.drawn["reshape"].y < vy0 + 40:
            break
        pygame.event.post(pygame.event.Event(pygame.MOUSEWHEEL, x=0, y=-1, flipped=False, precise_x=0.0,
                                             precise_y=-1.0, touch=False))
        frames(app)
    post_motion((SIZE[0] // 2, SIZE[1] // 2))  # off the panel: no read-out over the cells
    frames(app, 3)
    picture = panel.drawn["reshape"]
    assert vy0 <= picture.y < vy0 + 60
    image = app.capture(include_ui=True)
    assert labels_drawn(image, picture, panel)
    tiles, rgb, index, columns = panel.pictures["reshape"]
    rows, cols, shown = visible_cells(image, panel, picture, rgb.shape)
    assert len(rows) > 500
    flat = index[rows, cols]
    grey = shown[:, 0]
    values = service.activations[1].values
    for channel in range(values.shape[0]):  # every live channel reaches white on screen: its own range
        here = (flat >= 0) & (flat // 49 == channel)
        if here.any() and values[channel].max() > 0 and here.sum() == 49:
            assert grey[here].max() >= 245, channel
