"""Panel "Neighbours": the k nearest training points of the hovered or selected point (in the model's full
latent space), as pictures with their index, class and distance, nearest first; clicking one selects it
and flies there. What it shows comes from scenes/explorer/tools/neighbor_tools.py (prepare phase)."""
from __future__ import annotations

from imgui_bundle import imgui

from latentwalk.scenes.explorer.core.commands import FlyTo, Select
from latentwalk.scenes.explorer.panels import ItemRects, error_line, note_line, remember_item, window_rect
from latentwalk.scenes.explorer.panels.layout import begin_panel, layout_of

COLUMNS = 5
THUMBNAIL_PX = 56.0  # a 28-pixel image at twice its size: sharp, and ten fit in two short rows


def thumbnail_px(image_width: int) -> float:
    return float(max(1, int(THUMBNAIL_PX // max(1, image_width))) * image_width)


class NeighborsPanel:
    title = "Neighbours"

    def __init__(self, scene, tools) -> None:
        self.scene = scene
        self.tools = tools
        self.rect = (0.0, 0.0, 0.0, 0.0)
        self.expanded = True  # as the last frame built it: collapsed, the tools look nothing up
        self.item_rects: ItemRects = {}
        self.layout = layout_of(scene)

    def build(self) -> None:
        expanded = self.expanded = begin_panel(self)[0]
        self.rect = window_rect()
        if expanded:
            self._body()
        imgui.end()
        self.tools.drawn_version = self.tools.version

    def _body(self) -> None:
        tools = self.tools
        self.item_rects.clear()
        if tools.build_error:
            error_line(tools.build_error)
            return
        if tools.index is None:
            note_line("building the neighbour index...")
            return
        if tools.error:
            error_line(tools.error)
        if not len(tools.indices):
            note_line("hover or select a point: its nearest training points show here")
            return
        imgui.text(f"nearest to {tools.caption}")
        imgui.text_disabled("training images" if tools.real_images else "decoded images")
        hint = tools.missing_images_hint()
        if hint:
            note_line(hint)
            remember_item(self.item_rects, "images hint")
        self._grid()
        decoder_error = self.scene.decoder.last_error
        if tools.waiting and decoder_error:
            error_line(f"decoder: {decoder_error}")

    def _grid(self) -> None:
        scene, tools = self.scene, self.tools
        bundle = scene.bundle
        size = thumbnail_px(bundle.image_shape[1])
        padding = imgui.get_style().frame_padding
        if not imgui.begin_table("neighbours", COLUMNS, imgui.TableFlags_.sizing_fixed_fit):
            return
        for rank, (point, distance) in enumerate(zip(tools.indices, tools.distances)):
            point = int(point)
            imgui.table_next_column()
            texture = tools.slots[rank].texture_id
            if texture is not None:
                clicked = imgui.image_button(f"neighbour{rank}", imgui.ImTextureRef(texture), imgui.ImVec2(size, size))
            else:  # its decoded image is on its way
                clicked = imgui.button(f"...##neighbour{rank}", imgui.ImVec2(size + 2 * padding.x, size + 2 * padding.y))
            remember_item(self.item_rects, f"neighbour {rank}")
            if imgui.is_item_hovered():
                imgui.set_tooltip(f"#{point}: click to select it and fly there")
            if clicked:
                scene.submit(Select(index=point, source="pointer"))
                scene.submit(FlyTo(index=point))
            imgui.text(f"#{point}")
            imgui.text(bundle.class_names[int(bundle.labels[point])])
            imgui.text_disabled(f"{distance:.3g}")
        imgui.end_table()
