"""Panel "Weights": the current model's (A) or another bundle's (B) decoder weights, one layer at a time, as
colour (blue negative, white zero, red positive), each layer with its linear CKA on the same training
images: the figure that stays meaningful across independent trainings, whose units come out permuted and
rotated (latentwalk.vae.similarity says why).

Legible at 1280x720: every weight is a cell of at least MIN_CELL_PX pixels (more with the "cell px"
slider), the picture scrolls within the room the layout leaves, its rows and columns are labelled, a
legend gives the colour range, and the pointer reads out one weight. By default each kernel is coloured in
its own range, so a few strong channels do not leave the rest white; "whole layer" shows magnitudes across
kernels instead. The comparison runs in the insight worker; the panel shows "comparing ..." meanwhile.

A colour model's kernels that write or read R, G and B (the decoder's last layer, the encoder's first)
are RGB tiles: a cell is one kernel position's three weights as one colour, each channel 0 at mid-grey,
brighter for positive and darker for negative, so a kernel that adds red where it subtracts blue reads
as red there; scaled by the kernel's largest |w| over its three channels (or the layer's range)."""
from __future__ import annotations

import numpy as np
from imgui_bundle import imgui

from latentwalk.scenes.explorer.core.commands import CompareModels
from latentwalk.scenes.explorer.model.decoding import ImageSlot
from latentwalk.scenes.explorer.panels import ItemRects, error_line, note_line, remember_item, window_rect
from latentwalk.scenes.explorer.panels.cells import (MIN_CELL_PX, Axis, cell_size_slider, content_height, hovered_cell,
                                              legend_bar, picture_with_axes, view_height, view_width, wrapped_note)
from latentwalk.scenes.explorer.panels.layout import begin_panel, layout_of
from latentwalk.vae.bundle import list_bundled_models

WEIGHT_LAYERS = ("dense", "deconv1", "deconv2", "deconv3")  # vae.similarity's, without importing torch
RGB_LAYER = "out"  # a colour network's last decoder layer: shown first, its kernels are colours
# vae.similarity.DIVERGING_ANCHORS, without importing torch (a test holds the two together)
DIVERGING_STOPS = ((33, 102, 172), (103, 169, 207), (247, 247, 247), (239, 138, 98), (178, 24, 43))
FIRST_PLACE = (0.30, 0.45)  # shares of the window's width and height (first run only)


class WeightsPanel:
    title = "Weights"
    submits = (CompareModels,)  # what it is for: a kiosk leaves it out where these are refused

    def __init__(self, scene, service) -> None:
        self.scene = scene
        self.service = service
        self.other_text = ""
        self.layer = WEIGHT_LAYERS[1]
        self.side = "a"
        self.per_kernel = True
        self.cell = MIN_CELL_PX
        self.slot = ImageSlot()
        self.rect = (0.0, 0.0, 0.0, 0.0)
        self.item_rects: ItemRects = {}
        self.image_rects: dict[tuple[str, str], tuple[float, float, int]] = {}  # x, y, cell px on screen
        self.picture = None  # the DrawnPicture of the last build
        self.hover_text: str | None = None  # the read-out of the weight under the pointer
        self.axes_text = ""  # what the rows, columns and tiles are, as written
        self.layout = layout_of(scene)
        self._uploaded = None
        self._content_height = 0.0  # of the scrolling view, as last drawn
        self._fresh = True  # ImGui keeps a view's scroll by name: a new explorer's starts at the top

    def build(self) -> None:
        display = imgui.get_io().display_size
        imgui.set_next_window_pos(imgui.ImVec2(FIRST_PLACE[0] * display.x, FIRST_PLACE[1] * display.y),
                                  imgui.Cond_.first_use_ever)
        imgui.set_next_window_collapsed(True, imgui.Cond_.first_use_ever)
        expanded = begin_panel(self)[0]
        self.rect = window_rect()
        self.service.drawn = self.service.arrived
        self.image_rects.clear()
        self.picture = self.hover_text = None
        if expanded and self.scene.bundle.kind != "conv":
            self._imported()
        elif expanded:
            self._chooser()
            self._comparison()
        imgui.end()

    def _imported(self) -> None:
        """An imported decoder: ONNX lists its initializers; otherwise one line says what is missing."""
        service = self.service
        if service.unavailable:
            wrapped_note(service.unavailable)
            return
        wrapped_note("ONNX initializers (the decoder's weights); comparisons and weight pictures need "
                     "latentwalk's own decoders")
        if service.compare_error:
            error_line(service.compare_error)
        if service.initializers is None:
            service.ask_for_initializers()
            note_line("reading the graph ...")
            return
        total = sum(count for _, _, count in service.initializers)
        imgui.text(f"{len(service.initializers)} tensors, {total} values")
        for name, shape, count in service.initializers:
            imgui.text(f"{name[:48]}  {' x '.join(map(str, shape)) or 'scalar'}  ({count})")

    def _chooser(self) -> None:
        service = self.service
        imgui.text(f"A: {self.scene.bundle.path.name}   compare with B:")
        for name in list_bundled_models():
            imgui.same_line()
            if imgui.small_button(name):
                self.scene.submit(CompareModels(name))
            remember_item(self.item_rects, f"model {name}")
        imgui.push_item_width(imgui.get_font_size() * 16)
        entered, self.other_text = imgui.input_text("##other bundle", self.other_text,
                                                    imgui.InputTextFlags_.enter_returns_true)
        imgui.pop_item_width()
        imgui.same_line()
        if (imgui.button("Compare") or entered) and self.other_text.strip():
            self.scene.submit(CompareModels(self.other_text.strip()))
        remember_item(self.item_rects, "compare")
        if service.comparing is not None:
            note_line(f"comparing with {service.comparing} ...")
        if service.compare_error:
            error_line(service.compare_error)

    def _comparison(self) -> None:
        view = self.service.weights
        if view is None:
            note_line("B: another training of the same data set (a bundle folder), or the same model")
            return
        cka = {row.layer: row.cka for row in view.comparison.layers}
        imgui.text(f"B: {view.path_b.name}; linear CKA on {view.comparison.samples} training images "
                   f"(latent: {cka['latent']:.3f})")
        if self.layer not in view.layers:
            self.layer = first_layer(view.layers)
        for k, layer in enumerate(view.layers):  # the layer shown, with its CKA (none for the encoder's)
            if k:
                imgui.same_line()
            label = f"{layer} {cka[layer]:.2f}" if layer in cka else f"{layer} (encoder)"
            if imgui.radio_button(label, self.layer == layer):
                self.layer = layer
            remember_item(self.item_rects, f"layer {layer}")
        names = {"a": f"A {self.scene.bundle.path.name}", "b": f"B {view.path_b.name}"}
        for side in ("a", "b"):
            if side == "b":
                imgui.same_line()
            if imgui.radio_button(names[side], self.side == side):
                self.side = side
            remember_item(self.item_rects, f"side {side}")
        imgui.same_line()
        imgui.text("  colour:")
        for per_kernel, label in ((True, "each kernel"), (False, "whole layer")):
            imgui.same_line()
            if imgui.radio_button(label, self.per_kernel == per_kernel):
                self.per_kernel = per_kernel
            remember_item(self.item_rects, label)
        image = (view.images_a if self.side == "a" else view.images_b)[self.layer]
        self._legend(image)
        self.axes_text = f"rows: {image.row_axis}, columns: {image.column_axis}; a tile: {image.tile_axis}"
        wrapped_note(self.axes_text)
        key = (id(view), self.layer, self.side, self.per_kernel)
        if self._uploaded != key:
            self.slot.show(image.rgb_per_kernel if self.per_kernel else image.rgb)
            self._uploaded = key
        size = imgui.ImVec2(view_width(), view_height(self.layout, self.title, self._content_height))
        if self._fresh:
            imgui.set_next_window_scroll(imgui.ImVec2(0.0, 0.0))
            self._fresh = False
        imgui.begin_child("##weights view", size, imgui.ChildFlags_.borders, imgui.WindowFlags_.horizontal_scrollbar)
        tile, tile_height = _tile_width(image), _tile_height(image)
        picture = picture_with_axes(self.slot.texture_id, image.rgb.shape, self.cell,
                                    Axis(image.row_labels, tile_height + 1, 1, tile_height),
                                    Axis(image.column_labels, tile + 1, 1, tile))
        remember_item(self.item_rects, "picture")
        cell = hovered_cell(picture)
        if cell is not None:
            self.hover_text = weight_readout(image, cell, self.per_kernel)
            if self.hover_text:
                imgui.set_tooltip(self.hover_text)
        self._content_height = content_height()
        imgui.end_child()
        remember_item(self.item_rects, "view")
        self.picture = picture
        self.image_rects[(self.layer, self.side)] = (picture.x, picture.y, picture.cell)

    def _legend(self, image) -> None:
        limit = image.limit
        if image.rgb_axis is not None:
            self._rgb_legend(image)
            return
        if self.per_kernel:
            legend_bar(DIVERGING_STOPS, "-max", "+max", "0")
        else:
            legend_bar(DIVERGING_STOPS, f"-{limit:.3g}", f"+{limit:.3g}", "0")
        imgui.same_line()
        self.cell = cell_size_slider(self.cell)
        if self.per_kernel:
            wrapped_note(f"each kernel in its own range, max = its largest |w| ({image.tile_limits.min():.3g} "
                         f"to {image.tile_limits.max():.3g}); the layer's: +-{limit:.3g}")
        else:
            wrapped_note("one range for the layer (99th percentile of |w|); beyond it, full colour")

    def _rgb_legend(self, image) -> None:
        for channel, name in enumerate("RGB"):
            if channel:
                imgui.same_line()
            legend_bar(channel_stops(channel), f"{name} -max", "+max", "0", width_em=RGB_LEGEND_EM)
        imgui.same_line()
        self.cell = cell_size_slider(self.cell)
        scale = (f"max: each kernel's largest |w| over R, G, B ({image.tile_limits.min():.3g} to "
                 f"{image.tile_limits.max():.3g})" if self.per_kernel
                 else f"max: the layer's {image.limit:.3g} (99th percentile of |w|)")
        wrapped_note(f"RGB kernels: a cell's R, G, B weights as one colour, mid-grey = 0; {scale}")

    def release(self) -> None:
        self.slot.release()


RGB_LEGEND_EM = 3.0  # three bars and the cell slider on one line


def channel_stops(channel: int) -> tuple[tuple[int, int, int], ...]:
    """The colour of a weight in `channel` alone (the others 0, so mid-grey) at -max, 0 and +max."""
    return tuple(tuple(level if c == channel else 128 for c in range(3)) for level in (0, 128, 255))


def first_layer(layers: tuple[str, ...]) -> str:
    """The layer a comparison opens on: a colour network's RGB kernels, else the first convolution."""
    if RGB_LAYER in layers:
        return RGB_LAYER
    return layers[1] if len(layers) > 1 else layers[0]


def _tile_width(image) -> int:
    """Cells from one tile's left edge to its right (the gap column is -1 in index)."""
    row = image.index[1]
    return int(np.argmax(row[1:] < 0)) if (row[1:] < 0).any() else len(row) - 1


def _tile_height(image) -> int:
    column = image.index[:, 1]
    return int(np.argmax(column[1:] < 0)) if (column[1:] < 0).any() else len(column) - 1


def weight_readout(image, cell: tuple[int, int], per_kernel: bool) -> str | None:
    """The weight drawn at `cell` (row, column of the picture), in words; None on a gap."""
    flat = int(image.index[cell])
    if flat < 0:
        return None
    weights = image.weights
    value = float(weights.reshape(-1)[flat])
    if image.rgb_axis is not None:
        return rgb_readout(image, cell, flat, per_kernel)
    if weights.ndim == 2:  # dense (features, latent dims): feature f is channel f // (h0 w0) of the reshape
        feature, dim = np.unravel_index(flat, weights.shape)
        tile_size = len(image.index[image.tile_of == image.tile_of[cell]])
        channel, position = divmod(int(feature), tile_size)
        width = _tile_width(image)
        where = f"z{dim} -> channel {channel}, map ({position // width}, {position % width})"
    else:
        source, target, y, x = np.unravel_index(flat, weights.shape)
        where = f"input {source} -> output {target}, kernel ({y}, {x})"
    text = f"{where}: w = {value:+.4g}"
    if per_kernel:
        text += f" (this kernel's range +-{float(image.tile_limits[image.tile_of[cell]]):.3g})"
    return text


def rgb_readout(image, cell: tuple[int, int], flat: int, per_kernel: bool) -> str:
    source, target, y, x = np.unravel_index(flat, image.weights.shape)
    red, green, blue = (float(image.weights.reshape(-1)[flat + k * image.rgb_stride]) for k in range(3))
    where = (f"input {source} -> R, G, B" if image.rgb_axis == 1 else f"R, G, B -> output {target}")
    text = f"{where}, kernel ({y}, {x}): R {red:+.4g}  G {green:+.4g}  B {blue:+.4g}"
    if per_kernel:
        text += f" (this kernel's range +-{float(image.tile_limits[image.tile_of[cell]]):.3g})"
    return text
