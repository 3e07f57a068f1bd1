"""Panel "Classes": the display options, what colours the points (panels/colouring.py: class or a
continuous value with its colour bar), the highlighted points (a search's matches, a range of values)
with a button to clear them, and the legend (colour swatch while colouring by class, name, count per
class) with a checkbox per class to highlight it (the others are dimmed), all / none / invert; a click
on a swatch shows that class alone, a right-click picks its colour. Every change is a command
(Highlight, HighlightPoints, SetPointStyle, SetClassColor, SetColouring)."""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from imgui_bundle import imgui

from latentwalk.scenes.explorer.core.commands import Highlight, HighlightPoints, SetClassColor, SetPointStyle
from latentwalk.scenes.explorer.panels.colouring import ColouringSection
from latentwalk.scenes.explorer.panels import remember_item, window_rect
from latentwalk.scenes.explorer.panels.layout import begin_panel, layout_of

if TYPE_CHECKING:
    from latentwalk.scenes.explorer.scene import ExplorerScene


class ClassesPanel:
    title = "Classes"

    def __init__(self, scene: "ExplorerScene") -> None:
        self.scene = scene
        self.rect = (0.0, 0.0, 0.0, 0.0)
        self.layout = layout_of(scene)
        self.item_rects = {}
        self.colouring = ColouringSection(scene, self.item_rects)

    def build(self) -> None:
        scene, state = self.scene, self.scene.state
        expanded = begin_panel(self)[0]
        self.rect = window_rect()
        if expanded:
            style = state.style
            imgui.push_item_width(imgui.get_font_size() * 8)
            changed, size = imgui.slider_float("point size", style.point_size, 1.0, 16.0, "%.1f px")
            imgui.pop_item_width()
            if changed:
                scene.submit(SetPointStyle(point_size=size))
            changed, axes = imgui.checkbox("axes", style.show_axes)
            if changed:
                scene.submit(SetPointStyle(show_axes=axes))
            imgui.same_line()
            changed, grid = imgui.checkbox("grid", style.show_grid)
            if changed:
                scene.submit(SetPointStyle(show_grid=grid))
            imgui.separator()
            self.colouring.build()
            imgui.separator()
            points = state.highlight.points
            if points is not None:
                imgui.text_wrapped(f"highlighted: {points.label} ({points.count:,} of {len(points.shown):,} points)")
                if imgui.small_button("clear##points"):
                    scene.submit(HighlightPoints(None))
                remember_item(self.item_rects, "clear_points")
            by_class = style.colour_by == "class"
            shown = state.highlight.as_array()
            highlighted = shown.copy()
            if imgui.small_button("all"):
                highlighted[:] = True
            imgui.same_line()
            if imgui.small_button("none"):
                highlighted[:] = False
            imgui.same_line()
            if imgui.small_button("invert"):
                highlighted = ~highlighted
            for index, (name, count) in enumerate(zip(scene.bundle.class_names, scene.installed.class_counts)):
                if by_class:  # otherwise the colours are the value's: a class swatch would say otherwise
                    self._swatch(index, highlighted)
                    imgui.same_line()
                _, highlighted[index] = imgui.checkbox(f"{name}##class{index}", bool(highlighted[index]))
                remember_item(self.item_rects, f"class{index}")
                imgui.same_line()
                imgui.text_disabled(f"{int(count):,}")
            if not np.array_equal(highlighted, shown):
                scene.submit(Highlight(None if highlighted.all() else tuple(int(i) for i in np.flatnonzero(highlighted))))
        imgui.end()

    def _swatch(self, index: int, highlighted: np.ndarray) -> None:
        """The class's colour: a click shows that class alone, a right-click picks its colour."""
        r, g, b = (float(c) for c in self.scene.installed.cloud.colors[index])
        swatch = imgui.get_frame_height()
        if imgui.color_button(f"##swatch{index}", imgui.ImVec4(r, g, b, 1.0),
                              imgui.ColorEditFlags_.no_tooltip, (swatch, swatch)):
            highlighted[:] = False
            highlighted[index] = True
        remember_item(self.item_rects, f"swatch{index}")
        if imgui.is_item_hovered():
            imgui.set_tooltip("click: this class alone; right-click: its colour")
        self._color_popup(index, (r, g, b))

    def _color_popup(self, index: int, rgb: tuple[float, float, float]) -> None:
        """Right-click on a swatch: a colour picker for that class, and back to the palette's colour."""
        if imgui.begin_popup_context_item(f"colour{index}"):
            changed, picked = imgui.color_picker3(f"##picker{index}", list(rgb),
                                                  imgui.ColorEditFlags_.no_side_preview)
            if changed:
                self.scene.submit(SetClassColor(index, tuple(float(v) for v in picked)))
            if imgui.button("Palette colour"):
                self.scene.submit(SetClassColor(index, None))
            remember_item(self.item_rects, f"palette{index}")
            imgui.end_popup()
