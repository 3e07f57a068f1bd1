"""Panel "Activations": for the image in Output, each decoder layer's output (dense -> reshape -> each
transposed convolution), with its shape. It follows hovering, the selection and the walk live; the layers
are computed by the insight worker (latest wins), only while this panel is open.

Legible at 1280x720: every value is a cell of at least MIN_CELL_PX pixels (more with "cell px"), the
layers scroll within the room the layout leaves, and each says what its rows and columns are. The dense
layer is a table, one row per channel it is reshaped into, not a square of noise. By default each channel
(each row of the dense table) is scaled to its own largest value, so a weak channel's pattern shows as
clearly as a strong one's; "whole layer" compares magnitudes across channels instead. The pointer reads
out one value. For a colour model the picture its last layer's R, G and B logits make comes first, in
colour, as Output shows it."""
from __future__ import annotations

import numpy as np
from imgui_bundle import imgui

from latentwalk.scenes.explorer.model.decoding import ImageSlot
from latentwalk.scenes.explorer.panels import ItemRects, error_line, note_line, remember_item, window_rect
from latentwalk.scenes.explorer.panels.cells import (MIN_CELL_PX, Axis, cell_size_slider, content_height, hovered_cell,
                                              legend_bar, picture_width_px, picture_with_axes, view_height,
                                              view_width, wrapped_note)
from latentwalk.scenes.explorer.panels.layout import begin_panel, layout_of
from latentwalk.vae.activations import GAP_RGB, columns_to_fit, layer_picture, picture_rgb, tile_grid

FIRST_PLACE = (0.30, 10.0)  # x as a share of the window's width, y in pixels (first run only)
COLOUR_PICTURE = "picture"  # the colour output's entry, after the logits it is made of


class ActivationsPanel:
    title = "Activations"

    def __init__(self, scene, service) -> None:
        self.scene = scene
        self.service = service
        self.slots: dict[str, ImageSlot] = {}
        self.per_channel = True
        self.cell = MIN_CELL_PX
        self.rect = (0.0, 0.0, 0.0, 0.0)
        self.item_rects: ItemRects = {}
        self.layout = layout_of(scene)
        self.shown_layers: list[tuple[str, tuple[int, ...]]] = []  # what the last build drew
        self.pictures: dict[str, object] = {}  # layer -> (LayerPicture, rgb, index, columns), as uploaded
        self.drawn: dict[str, object] = {}  # layer -> DrawnPicture of the last build
        self.axes_text: dict[str, str] = {}  # layer -> what its rows and columns are, as written
        self.hover_text: str | None = None
        self._uploaded = None
        self._content_height = 0.0  # of the scrolling view, as last drawn
        self._fresh = True  # ImGui keeps a view's scroll by name: a new explorer's starts at the top

    def build(self) -> None:
        display = imgui.get_io().display_size
        imgui.set_next_window_pos(imgui.ImVec2(FIRST_PLACE[0] * display.x, FIRST_PLACE[1]), imgui.Cond_.first_use_ever)
        imgui.set_next_window_collapsed(True, imgui.Cond_.first_use_ever)
        expanded = begin_panel(self)[0]
        self.rect = window_rect()
        self.service.drawn = self.service.arrived
        self.service.activations_wanted = bool(expanded)
        self.shown_layers, self.drawn, self.hover_text = [], {}, None
        if expanded:
            self._body()
        imgui.end()

    def _body(self) -> None:
        if self.service.unavailable:
            wrapped_note(self.service.unavailable)
            return
        if self.service.activations_error:
            error_line(self.service.activations_error)
        layers = self.service.activations
        if layers is None:
            note_line("hover a point, select one or walk: its decoder layers show here")
            return
        latent = self.service.activations_latent
        imgui.text("z = " + ", ".join(f"{v:.3f}" for v in latent[:4]) + (" ..." if len(latent) > 4 else ""))
        for per_channel, label in ((True, "each channel"), (False, "whole layer")):
            imgui.same_line()
            if imgui.radio_button(label, self.per_channel == per_channel):
                self.per_channel = per_channel
            remember_item(self.item_rects, label)
        legend_bar(((0, 0, 0), (255, 255, 255)), "0", "max")
        imgui.same_line()
        self.cell = cell_size_slider(self.cell)
        wrapped_note("max: each channel's own largest value (each layer says its range)" if self.per_channel
                     else "max: the layer's largest value")
        self._upload(layers)
        size = imgui.ImVec2(view_width(), view_height(self.layout, self.title, self._content_height))
        if self._fresh:
            imgui.set_next_window_scroll(imgui.ImVec2(0.0, 0.0))
            self._fresh = False
        imgui.begin_child("##layers", size, imgui.ChildFlags_.borders, imgui.WindowFlags_.horizontal_scrollbar)
        if COLOUR_PICTURE in self.pictures:  # first: the result, before the long scroll through the layers
            self._colour_output(layers)
        for layer in layers:
            self._layer(layer)
        self._content_height = content_height()
        imgui.end_child()
        remember_item(self.item_rects, "view")

    def _upload(self, layers) -> None:
        key = (id(layers), self.per_channel, self.cell)
        if key == self._uploaded:
            return
        width_cells = picture_width_px("9999") / self.cell
        self.pictures = {}
        for layer in layers:
            picture = layer_picture(layer.values, self.per_channel, layer.channels)
            count, _, tile_width = picture.tiles.shape
            columns = columns_to_fit(tile_width, count, width_cells)
            rgb, index = picture_rgb(picture, columns)
            self.slots.setdefault(layer.name, ImageSlot()).show(rgb)
            self.pictures[layer.name] = (picture, rgb, index, columns)
        logits = self._colour_logits(layers)
        if logits is not None:
            rgb, index = colour_picture(logits)
            self.slots.setdefault(COLOUR_PICTURE, ImageSlot()).show(rgb)
            self.pictures[COLOUR_PICTURE] = (None, rgb, index, 1)
        self._uploaded = key

    def _colour_logits(self, layers):
        """A colour network's last layer, (3, H, W) logits, or None."""
        bundle = self.scene.bundle
        last = layers[-1].values if layers else None
        if bundle.kind != "conv" or bundle.channels != 3 or last is None or last.ndim != 3 or len(last) != 3:
            return None
        return last

    def _colour_output(self, layers) -> None:
        """The picture the last layer's logits make (their sigmoid), in colour, one cell a pixel."""
        _, rgb, index, _ = self.pictures[COLOUR_PICTURE]
        height, width = rgb.shape[0] - 2, rgb.shape[1] - 2
        imgui.text(f"{COLOUR_PICTURE}  (3 x {height} x {width})")
        note_line("the sigmoid of the last layer's R, G, B logits: the picture in Output, in colour")
        self.axes_text[COLOUR_PICTURE] = f"rows and columns: the picture's {height}x{width} pixels"
        wrapped_note(self.axes_text[COLOUR_PICTURE])
        rows = Axis([str(r) for r in range(height)], 1, 1, 1)
        cols = Axis([str(c) for c in range(width)], 1, 1, 1)
        drawn = picture_with_axes(self.slots[COLOUR_PICTURE].texture_id, rgb.shape, self.cell, rows, cols)
        remember_item(self.item_rects, COLOUR_PICTURE)
        cell = hovered_cell(drawn)
        if cell is not None and index[cell] >= 0:
            y, x = divmod(int(index[cell]), width)
            red, green, blue = (float(v) for v in 1.0 / (1.0 + np.exp(-layers[-1].values[:, y, x])))
            self.hover_text = f"pixel ({y}, {x}): R {red:.3f}  G {green:.3f}  B {blue:.3f}"
            imgui.set_tooltip(self.hover_text)
        self.drawn[COLOUR_PICTURE] = drawn
        self.shown_layers.append((COLOUR_PICTURE, (3, height, width)))

    def _layer(self, layer) -> None:
        picture, rgb, index, columns = self.pictures[layer.name]
        shape = " x ".join(str(size) for size in layer.shape)
        imgui.text(f"{layer.name}  ({shape})")
        note_line(layer.description)
        count, tile_height, tile_width = picture.tiles.shape
        if picture.rows_are_channels:
            axes = (f"rows: the {tile_height} channels it is reshaped into; columns: each one's "
                    f"{tile_width} values, row by row")
            rows = Axis([str(r) for r in range(tile_height)], 1, 1, 1)
            cols = Axis([str(c) for c in range(tile_width)], 1, 1, 1)
        else:
            axes = (f"{count} channel{'s' if count > 1 else ''} of {tile_height}x{tile_width}"
                    + (f", {columns} a row: channel = row + column label" if count > 1 else ""))
            rows = Axis([str(r * columns) for r in range(-(-count // columns))], tile_height + 1, 1, tile_height)
            cols = Axis([f"+{c}" for c in range(columns)] if count > 1 else [], tile_width + 1, 1, tile_width)
        scales = picture.scales
        if picture.signed:
            axes += f"; mid-grey 0, white +{scales.max():.3g}, black -{scales.max():.3g}"
        elif self.per_channel and len(scales) > 1:
            axes += f"; white: from {scales.min():.3g} to {scales.max():.3g} by channel"
        else:
            axes += f"; white {scales.max():.3g}"
        self.axes_text[layer.name] = axes
        wrapped_note(axes)
        drawn = picture_with_axes(self.slots[layer.name].texture_id, rgb.shape, self.cell, rows, cols)
        remember_item(self.item_rects, layer.name)
        cell = hovered_cell(drawn)
        if cell is not None:
            self.hover_text = activation_readout(layer, picture, index, cell)
            if self.hover_text:
                imgui.set_tooltip(self.hover_text)
        self.drawn[layer.name] = drawn
        self.shown_layers.append((layer.name, layer.shape))

    def release(self) -> None:
        for slot in self.slots.values():
            slot.release()


def colour_picture(logits: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(rgb uint8 (H + 2, W + 2, 3) of sigmoid(logits (3, H, W)) framed by a gap, index of each pixel)."""
    _, height, width = logits.shape
    pixels = np.rint(255.0 / (1.0 + np.exp(-logits.astype(np.float64)))).astype(np.uint8)
    index = tile_grid(np.arange(height * width).reshape(1, height, width), 1, 1, fill=-1)
    rgb = pixels.reshape(3, -1).T[np.maximum(index, 0)]
    rgb[index < 0] = GAP_RGB
    return rgb, index


def activation_readout(layer, picture, index, cell: tuple[int, int]) -> str | None:
    """The value drawn at `cell` of a layer's picture, in words; None on a gap."""
    flat = int(index[cell])
    if flat < 0:
        return None
    _, height, width = picture.tiles.shape
    tile, rest = divmod(flat, height * width)
    y, x = divmod(rest, width)
    if picture.rows_are_channels:
        feature = y * width + x
        if feature >= layer.values.size:
            return None
        return f"feature {feature} (channel {y}, value {x}): {float(layer.values[feature]):.4g}"
    return f"channel {tile}, ({y}, {x}): {float(layer.values[tile, y, x]):.4g}"
