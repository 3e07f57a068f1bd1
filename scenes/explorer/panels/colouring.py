"""The Classes panel's "colour by" section and the legend of a continuous value: what colours the
points (class, a latent dimension, the reconstruction error, the local density, a stored factor, a
`--colour-by` column), the colour map, a computed value's progress, the colour bar with its range and
ticks, and a range of values to highlight (HighlightPoints, like a class). Every change is a command."""
from __future__ import annotations

import numpy as np
from imgui_bundle import imgui

from latentwalk.scenes.explorer.core.commands import HighlightPoints, SetColouring
from latentwalk.scenes.explorer.panels import error_line, note_line, remember_item
from latentwalk.scenes.explorer.tools.colouring import CLASS, tick_values
from latentwalk.scenes.explorer.view.colour_maps import MAP_NAMES, table

BAR_SEGMENTS = 32
LATENT = "latent"  # the combo's one entry for every latent dimension (a slider picks which)


def _kind(key: str) -> str:
    return LATENT if key.startswith("latent:") else key


def _u32(rgb) -> int:
    return imgui.color_convert_float4_to_u32(imgui.ImVec4(float(rgb[0]), float(rgb[1]), float(rgb[2]), 1.0))


def range_label(name: str, lo: float, hi: float) -> str:
    return f"{name} in [{lo:.4g}, {hi:.4g}]"


class ColouringSection:
    def __init__(self, scene, item_rects: dict) -> None:
        self.scene = scene
        self.item_rects = item_rects
        self.range: tuple[float, float] | None = None  # the range sliders' values
        self.range_of: tuple | None = None  # the source and model they belong to

    def build(self) -> None:
        scene, style = self.scene, self.scene.state.style
        colouring = scene.colouring
        sources = colouring.sources()
        current = style.colour_by
        entries = []  # (kind, name, why) with every latent dimension as one entry
        for key, name, why in sources:
            if key.startswith("latent:"):
                if not any(kind == LATENT for kind, _, _ in entries):
                    entries.append((LATENT, "latent dimension", None))
            else:
                entries.append((key, name, why))
        shown = next((name for kind, name, _ in entries if kind == _kind(current)), current)
        imgui.push_item_width(imgui.get_font_size() * 11)
        if imgui.begin_combo("colour by", shown):
            for kind, name, why in entries:
                flags = imgui.SelectableFlags_.disabled if why is not None else 0
                clicked, _ = imgui.selectable(f"{name}##{kind}", kind == _kind(current), flags)
                remember_item(self.item_rects, f"source:{kind}")
                if why is not None and imgui.is_item_hovered(imgui.HoveredFlags_.allow_when_disabled):
                    imgui.set_tooltip(why)
                if clicked and kind != _kind(current):
                    scene.submit(SetColouring(source="latent:0" if kind == LATENT else kind))
            imgui.end_combo()
        remember_item(self.item_rects, "colour_by")
        if current.startswith("latent:"):
            dimension = int(current.split(":", 1)[1])
            changed, picked = imgui.slider_int("dimension", dimension, 0, scene.bundle.latent_dim - 1)
            remember_item(self.item_rects, "dimension")
            if changed and picked != dimension:
                scene.submit(SetColouring(source=f"latent:{picked}"))
        imgui.pop_item_width()
        if current == CLASS:  # the swatches below are the legend; why a value is greyed out is its tooltip
            return
        imgui.push_item_width(imgui.get_font_size() * 11)
        if imgui.begin_combo("map", style.colour_map):
            for name in MAP_NAMES:
                if imgui.selectable(name, name == style.colour_map)[0] and name != style.colour_map:
                    scene.submit(SetColouring(colour_map=name))
                remember_item(self.item_rects, f"map:{name}")
            imgui.end_combo()
        remember_item(self.item_rects, "map")
        imgui.pop_item_width()
        status = colouring.status(current)
        if status is not None:
            (error_line if "failed" in status else note_line)(status)
            return
        self._legend(colouring.name_of(current), colouring.values(current), colouring.value_range(current),
                     colouring.value_extent(current), style.colour_map)

    def _legend(self, name: str, values: np.ndarray, colour_range, extent, colour_map: str) -> None:
        """The value's name, its colour bar over the colour range with ticks, the values' extent, and the
        range to highlight (anywhere in the extent)."""
        lo, hi = colour_range
        imgui.text(name)
        width, height = imgui.get_font_size() * 14, imgui.get_frame_height() * 0.8
        origin = imgui.get_cursor_screen_pos()
        draw = imgui.get_window_draw_list()
        colours = table(colour_map)
        for segment in range(BAR_SEGMENTS):
            x0 = origin.x + width * segment / BAR_SEGMENTS
            x1 = origin.x + width * (segment + 1) / BAR_SEGMENTS
            left = _u32(colours[round(255 * segment / BAR_SEGMENTS)])
            right = _u32(colours[round(255 * (segment + 1) / BAR_SEGMENTS)])
            draw.add_rect_filled_multi_color(imgui.ImVec2(x0, origin.y), imgui.ImVec2(x1, origin.y + height),
                                             left, right, right, left)
        key = (self.scene.state.style.colour_by, self.scene.state.model.version)
        if self.range_of != key:
            self.range, self.range_of = extent, key
        low, high = self.range
        span = hi - lo if hi > lo else 1.0
        white = _u32((1.0, 1.0, 1.0))
        on_bar = [min(max((v - lo) / span, 0.0), 1.0) for v in (low, high)]  # beyond the bar: at its ends
        draw.add_rect(imgui.ImVec2(origin.x + width * on_bar[0] - 1, origin.y - 1),
                      imgui.ImVec2(origin.x + width * on_bar[1] + 1, origin.y + height + 1), white)
        text_y = origin.y + height + 2
        grey = imgui.get_color_u32(imgui.Col_.text)
        for tick in tick_values(lo, hi):
            x = origin.x + width * (tick - lo) / span
            draw.add_line(imgui.ImVec2(x, origin.y + height - 4), imgui.ImVec2(x, origin.y + height), white)
            label = f"{tick:.3g}"
            label_width = imgui.calc_text_size(label).x
            draw.add_text(imgui.ImVec2(min(max(origin.x, x - label_width / 2), origin.x + width - label_width), text_y),
                          grey, label)
        imgui.dummy(imgui.ImVec2(width, height + imgui.get_text_line_height() + 4))
        remember_item(self.item_rects, "colour_bar")
        imgui.text_disabled(f"min {extent[0]:.4g}   max {extent[1]:.4g}")
        if imgui.is_item_hovered():
            imgui.set_tooltip("the colours span the 1st to the 99th percentile; values beyond take the ends")
        imgui.push_item_width(width)
        changed_low, low = imgui.slider_float("from", low, extent[0], extent[1], "%.4g")
        done = imgui.is_item_deactivated_after_edit()
        remember_item(self.item_rects, "range_from")
        changed_high, high = imgui.slider_float("to", high, extent[0], extent[1], "%.4g")
        done = done or imgui.is_item_deactivated_after_edit()
        remember_item(self.item_rects, "range_to")
        imgui.pop_item_width()
        if changed_low or changed_high:
            self.range = (min(low, high), max(low, high))
        if done:
            low, high = self.range
            if low <= extent[0] and high >= extent[1]:  # the whole range: no range highlighted (another highlight stays)
                points = self.scene.state.highlight.points
                if points is not None and points.label.startswith(f"{name} in ["):
                    self.scene.submit(HighlightPoints(None))
            else:
                self.scene.submit(HighlightPoints((values >= low) & (values <= high), range_label(name, low, high)))
