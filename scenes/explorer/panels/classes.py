"""Panel "Classes": the legend (colour swatch, name, count per class), a checkbox per class to
highlight it (the others are dimmed), all / none / invert, and the display options."""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from imgui_bundle import imgui

from latentwalk.explorer.panels import remember_item, window_rect
from latentwalk.explorer.panels.layout import begin_panel, layout_of

if TYPE_CHECKING:
    from latentwalk.explorer.scene import ExplorerScene


class ClassesPanel:
    title = "Classes"

    def __init__(self, scene: "ExplorerScene") -> None:
        self.scene = scene
        self.rect = (0.0, 0.0, 0.0, 0.0)
        self.layout = layout_of(scene)
        self.item_rects = {}

    def build(self) -> None:
        scene = self.scene
        expanded = begin_panel(self)[0]
        self.rect = window_rect()
        if expanded:
            imgui.push_item_width(imgui.get_font_size() * 8)
            _, scene.point_size = imgui.slider_float("point size", scene.point_size, 1.0, 16.0, "%.1f px")
            imgui.pop_item_width()
            _, scene.guides.show_axes = imgui.checkbox("axes", scene.guides.show_axes)
            imgui.same_line()
            _, scene.guides.show_grid = imgui.checkbox("grid", scene.guides.show_grid)
            imgui.separator()
            highlighted = scene.highlighted.copy()
            if imgui.small_button("all"):
                highlighted[:] = True
            imgui.same_line()
            if imgui.small_button("none"):
                highlighted[:] = False
            imgui.same_line()
            if imgui.small_button("invert"):
                highlighted = ~highlighted
            swatch = imgui.get_frame_height()
            for index, (name, count) in enumerate(zip(scene.bundle.class_names, scene.class_counts)):
                r, g, b = (float(c) for c in scene.class_colors[index])
                if imgui.color_button(f"##swatch{index}", imgui.ImVec4(r, g, b, 1.0),
                                      imgui.ColorEditFlags_.no_tooltip, (swatch, swatch)):
                    highlighted[:] = False  # a swatch click shows that class alone
                    highlighted[index] = True
                imgui.same_line()
                _, highlighted[index] = imgui.checkbox(f"{name}##class{index}", bool(highlighted[index]))
                remember_item(self.item_rects, f"class{index}")
                imgui.same_line()
                imgui.text_disabled(f"{int(count):,}")
            if not np.array_equal(highlighted, scene.highlighted):
                scene.set_highlighted(highlighted)
        imgui.end()
