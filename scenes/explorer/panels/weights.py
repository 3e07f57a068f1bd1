"""Panel "Weights": the current model's decoder weights beside another bundle's, layer by layer, as
colour (blue negative, white zero, red positive, range +-99th percentile of |w| per layer and model;
kernels as tiles), with each layer's linear CKA on the same training images: the figure that stays
meaningful across independent trainings, whose units come out permuted and rotated
(latentwalk.vae.similarity says why).
The comparison runs in the insight worker; the panel shows "comparing ..." meanwhile."""
from __future__ import annotations

from imgui_bundle import imgui

from latentwalk.scenes.explorer.model.decoding import ImageSlot
from latentwalk.scenes.explorer.panels import ItemRects, error_line, note_line, remember_item, window_rect
from latentwalk.scenes.explorer.panels.layout import begin_panel, layout_of
from latentwalk.vae.bundle import list_bundled_models

WEIGHT_LAYERS = ("dense", "deconv1", "deconv2", "deconv3")  # vae.similarity's, without importing torch
MAX_TILES_PX = 260.0  # the widest a layer's weights are drawn, per model
FIRST_PLACE = (0.30, 0.45)  # shares of the window's width and height (first run only)


def tiles_scale(width: int) -> int:
    return max(1, int(MAX_TILES_PX // max(width, 1)))


class WeightsPanel:
    title = "Weights"

    def __init__(self, scene, service) -> None:
        self.scene = scene
        self.service = service
        self.other_text = ""
        self.slots: dict[tuple[str, str], ImageSlot] = {}
        self.rect = (0.0, 0.0, 0.0, 0.0)
        self.item_rects: ItemRects = {}
        self.image_rects: dict[tuple[str, str], tuple[float, float, int]] = {}  # x, y, scale on screen
        self.layout = layout_of(scene)
        self._uploaded = None

    def build(self) -> None:
        display = imgui.get_io().display_size
        imgui.set_next_window_pos(imgui.ImVec2(FIRST_PLACE[0] * display.x, FIRST_PLACE[1] * display.y),
                                  imgui.Cond_.first_use_ever)
        imgui.set_next_window_collapsed(True, imgui.Cond_.first_use_ever)
        expanded = begin_panel(self)[0]
        self.rect = window_rect()
        self.service.drawn = self.service.arrived
        if expanded:
            self._chooser()
            self._comparison(display)
        imgui.end()

    def _chooser(self) -> None:
        service = self.service
        imgui.text(f"A: {self.scene.bundle.path.name}   compare with B:")
        for name in list_bundled_models():
            imgui.same_line()
            if imgui.small_button(name):
                service.compare_with(name)
            remember_item(self.item_rects, f"model {name}")
        imgui.push_item_width(imgui.get_font_size() * 16)
        entered, self.other_text = imgui.input_text("##other bundle", self.other_text,
                                                    imgui.InputTextFlags_.enter_returns_true)
        imgui.pop_item_width()
        imgui.same_line()
        if (imgui.button("Compare") or entered) and self.other_text.strip():
            service.compare_with(self.other_text.strip())
        remember_item(self.item_rects, "compare")
        if service.comparing is not None:
            note_line(f"comparing with {service.comparing} ...")
        if service.compare_error:
            error_line(service.compare_error)

    def _comparison(self, display) -> None:
        view = self.service.weights
        if view is None:
            note_line("B: another training of the same data set (a bundle folder), or the same model")
            return
        if self._uploaded is not view:
            for layer in WEIGHT_LAYERS:
                self.slots.setdefault((layer, "a"), ImageSlot()).show(view.images_a[layer].rgb)
                self.slots.setdefault((layer, "b"), ImageSlot()).show(view.images_b[layer].rgb)
            self._uploaded = view
        cka = {row.layer: row.cka for row in view.comparison.layers}
        imgui.text(f"B: {view.path_b.name}; linear CKA on {view.comparison.samples} training images "
                   f"(latent: {cka['latent']:.3f})")
        imgui.begin_child("##layers", imgui.ImVec2(2 * MAX_TILES_PX + 3 * imgui.get_font_size(), 0.6 * display.y))
        for layer in WEIGHT_LAYERS:
            image_a, image_b = view.images_a[layer], view.images_b[layer]
            imgui.text(f"{layer}: CKA {cka[layer]:.3f}")
            note_line(f"{image_a.caption}; A +-{image_a.limit:.3g}, B +-{image_b.limit:.3g}")
            self._image(layer, "a", image_a.rgb.shape)
            imgui.same_line()
            self._image(layer, "b", image_b.rgb.shape)
        imgui.end_child()

    def _image(self, layer: str, side: str, shape: tuple[int, ...]) -> None:
        height, width = shape[:2]
        scale = tiles_scale(width)
        low = imgui.get_cursor_screen_pos()
        imgui.image(imgui.ImTextureRef(self.slots[(layer, side)].texture_id), imgui.ImVec2(width * scale, height * scale))
        self.image_rects[(layer, side)] = (low.x, low.y, scale)

    def release(self) -> None:
        for slot in self.slots.values():
            slot.release()
