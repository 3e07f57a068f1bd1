"""Panel "Activations": for the image in Output, each decoder layer's output as a grid of small grey
images, one per channel (dense -> reshape -> each transposed convolution), with its shape. It follows
hovering, the selection and the walk live; the layers are computed by the insight worker (latest
wins), only while this panel is open."""
from __future__ import annotations

from imgui_bundle import imgui

from latentwalk.scenes.explorer.model.decoding import ImageSlot
from latentwalk.scenes.explorer.panels import ItemRects, error_line, note_line, remember_item, window_rect
from latentwalk.scenes.explorer.panels.layout import begin_panel, layout_of

MAX_GRID_PX = 250.0  # widest a layer's grid is drawn
LIST_SHARE_OF_HEIGHT = 0.7  # the layers scroll within this much of the window
FIRST_PLACE = (0.30, 10.0)  # x as a share of the window's width, y in pixels (first run only)


def grid_scale(width: int, height: int) -> int:
    """A whole zoom (sharp pixels) that keeps the grid within MAX_GRID_PX."""
    return max(1, int(MAX_GRID_PX // max(width, height, 1)))


class ActivationsPanel:
    title = "Activations"

    def __init__(self, scene, service) -> None:
        self.scene = scene
        self.service = service
        self.slots: dict[str, ImageSlot] = {}
        self.rect = (0.0, 0.0, 0.0, 0.0)
        self.item_rects: ItemRects = {}
        self.layout = layout_of(scene)
        self.shown_layers: list[tuple[str, tuple[int, ...]]] = []  # what the last build drew
        self._uploaded = None

    def build(self) -> None:
        display = imgui.get_io().display_size
        imgui.set_next_window_pos(imgui.ImVec2(FIRST_PLACE[0] * display.x, FIRST_PLACE[1]), imgui.Cond_.first_use_ever)
        imgui.set_next_window_collapsed(True, imgui.Cond_.first_use_ever)
        expanded = begin_panel(self)[0]
        self.rect = window_rect()
        self.service.drawn = self.service.arrived
        self.service.activations_wanted = bool(expanded)
        self.shown_layers = []
        if expanded:
            self._body(display)
        imgui.end()

    def _body(self, display) -> None:
        if self.service.activations_error:
            error_line(self.service.activations_error)
        layers = self.service.activations
        if layers is None:
            note_line("hover a point, select one or walk: its decoder layers show here")
            return
        if self._uploaded is not layers:
            for layer in layers:
                self.slots.setdefault(layer.name, ImageSlot()).show(layer.grid)
            self._uploaded = layers
        latent = self.service.activations_latent
        imgui.text("z = " + ", ".join(f"{v:.3f}" for v in latent[:4]) + (" ..." if len(latent) > 4 else ""))
        imgui.begin_child("##layers", imgui.ImVec2(MAX_GRID_PX + 2 * imgui.get_font_size(),
                                                   LIST_SHARE_OF_HEIGHT * display.y))
        for layer in layers:
            shape = " x ".join(str(size) for size in layer.shape)
            imgui.text(f"{layer.name}  ({shape})")
            note_line(layer.description)
            height, width = layer.grid.shape
            scale = grid_scale(width, height)
            imgui.image(imgui.ImTextureRef(self.slots[layer.name].texture_id), imgui.ImVec2(width * scale, height * scale))
            remember_item(self.item_rects, layer.name)
            self.shown_layers.append((layer.name, layer.shape))
        imgui.end_child()

    def release(self) -> None:
        for slot in self.slots.values():
            slot.release()
