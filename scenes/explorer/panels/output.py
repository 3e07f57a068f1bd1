"""Panel "Output": the decoded image of the hovered point, large and nearest-neighbour sharp, beside
the real training image when the data set is at hand; decoder errors show here."""
from __future__ import annotations

from typing import TYPE_CHECKING, Callable

from imgui_bundle import imgui

from scenes.explorer.panels import error_line, note_line, window_rect

if TYPE_CHECKING:
    from scenes.explorer.scene import ExplorerScene

IMAGE_PX = 196  # 7x a 28-pixel digit


class OutputPanel:
    title = "Output"

    def __init__(self, scene: "ExplorerScene") -> None:
        self.scene = scene
        self.sections: list[Callable[[], None]] = []  # extra widgets drawn at the bottom (filmstrip)
        self.rect = (0.0, 0.0, 0.0, 0.0)

    def build(self) -> None:
        scene = self.scene
        # an auto-sized window has no size on its first frame, so a right-aligned pivot cannot place
        # it: estimate its width (two images side by side) instead
        width = imgui.get_io().display_size.x - 2 * IMAGE_PX - 3 * imgui.get_style().item_spacing.x - 24
        imgui.set_next_window_pos((max(10.0, width), 10), imgui.Cond_.first_use_ever)
        if imgui.begin(self.title, None, imgui.WindowFlags_.always_auto_resize)[0]:
            self.rect = window_rect()
            imgui.text(scene.output_caption or "hover a point to decode it")
            decoded, real = scene.decoded_slot.texture_id, scene.real_slot.texture_id
            if decoded is not None:
                self._image(decoded)
            else:
                imgui.dummy((IMAGE_PX, IMAGE_PX))
            if real is not None and scene.output_shows_point:
                imgui.same_line()
                self._image(real)
                imgui.text("decoded" + " " * 27 + "training image")
            if scene.decoder.last_error:
                error_line(f"decoder: {scene.decoder.last_error}")
            if scene.dataset_note:
                note_line(scene.dataset_note)
            for section in self.sections:
                section()
        imgui.end()

    @staticmethod
    def _image(texture_id: int) -> None:
        imgui.image(imgui.ImTextureRef(texture_id), (IMAGE_PX, IMAGE_PX))
