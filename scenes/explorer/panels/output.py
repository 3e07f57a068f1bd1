"""Panel "Output": the image that owns the Output (scenes/explorer/model/outputs.py: what the person did last,
hovering a point, selecting one or moving the walk; the caption says which), large and nearest-neighbour sharp, beside the real training
image when the data set is at hand; decoder errors show here, and a field selects a point by index.

Images are scaled by a whole factor (sharp pixels) chosen from the window's height, so a small window
keeps room for the panels below. The panel never gets narrower while one model is shown at one window
size: otherwise going from a hovered point (two images) to the walk (one) would shift the right column.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Callable

from imgui_bundle import imgui

from latentwalk.scenes.explorer.core.commands import FlyTo, Select, SelectAlongWalk, SelectInDirection, SelectNeighbor
from latentwalk.scenes.explorer.panels import ItemRects, error_line, note_line, remember_item, window_rect
from latentwalk.scenes.explorer.panels.layout import begin_panel, layout_of

if TYPE_CHECKING:
    from latentwalk.scenes.explorer.scene import ExplorerScene

SELECTION_COMMANDS = (Select, SelectInDirection, SelectNeighbor, SelectAlongWalk, FlyTo)
IMAGE_SHARE_OF_HEIGHT = 0.24  # of the window's height, for each image
MAX_IMAGE_PX = 224.0


def image_px(display_height: float, image_width: int) -> float:
    """The on-screen size of an image: a whole multiple of its width near a share of the window's height."""
    target = min(MAX_IMAGE_PX, IMAGE_SHARE_OF_HEIGHT * display_height)
    return float(max(1, int(target // max(1, image_width))) * image_width)


class OutputPanel:
    title = "Output"

    def __init__(self, scene: "ExplorerScene") -> None:
        self.scene = scene
        self.sections: list[Callable[[], None]] = []  # extra widgets drawn at the bottom
        self.rect = (0.0, 0.0, 0.0, 0.0)
        self.layout = layout_of(scene)
        self.error_shown = ""  # the decoder error drawn by the last build ("" for none)
        self._widest = (None, 0.0)  # ((bundle, display size), width) the panel has had
        self.item_rects: ItemRects = {}
        self.go_to_text = ""
        self.go_to_error: str | None = None
        self.caption_shown = ""  # the caption drawn by the last build
        scene.model_listeners.append(self._on_model)

    def _on_model(self, bundle) -> None:
        """An index typed for the old model names another point, or none, in the new one."""
        self.go_to_text, self.go_to_error = "", None

    def build(self) -> None:
        scene = self.scene
        display = imgui.get_io().display_size
        context = (id(scene.bundle), display.x, display.y)
        same = self._widest[0] == context
        min_width = self._widest[1] if same else 0.0
        expanded = begin_panel(self, min_width=min_width)[0]
        self.rect = window_rect()
        # the first frame at a new size still has the old size's width (auto-resize follows a frame
        # later): remembering it would keep the panel wider than its image after leaving fullscreen
        self._widest = (context, max(min_width, self.rect[2]) if same else 0.0)
        if expanded:
            size = image_px(display.y, scene.bundle.image_shape[1])
            self.caption_shown = scene.output_images.caption or scene.output_images.coming or "hover a point to decode it"
            imgui.text(self.caption_shown)
            decoded, real = scene.output_images.decoded_slot.texture_id, scene.output_images.real_slot.texture_id
            if decoded is not None:
                self._image(decoded, size)
                remember_item(self.item_rects, "decoded")
            else:
                imgui.dummy((size, size))
            if real is not None and scene.output_images.shows_point:
                imgui.same_line()
                self._image(real, size)
                imgui.text_disabled("decoded")
                imgui.same_line(imgui.get_style().window_padding.x + size + imgui.get_style().item_spacing.x)
                imgui.text_disabled("training image")
            self._go_to()
            self.error_shown = f"decoder: {scene.decoder.last_error}" if scene.decoder.last_error else ""
            if self.error_shown:
                error_line(self.error_shown)
            if scene.installed.dataset_note:
                note_line(scene.installed.dataset_note)
            for section in self.sections:
                section()
        imgui.end()

    def _go_to(self) -> None:
        """Select a point by its index and fly there; what selection keys refuse shows here too."""
        scene = self.scene
        imgui.set_next_item_width(imgui.get_font_size() * 6)
        entered, self.go_to_text = imgui.input_text("##go to", self.go_to_text, imgui.InputTextFlags_.enter_returns_true)
        remember_item(self.item_rects, "go to")
        imgui.same_line()
        if imgui.button("select #") or entered:
            text = self.go_to_text.strip().lstrip("#")
            if text.isdigit():
                scene.submit(Select(int(text), source="keyboard", fly=True))
                self.go_to_error = None
            else:
                self.go_to_error = f"select: {self.go_to_text!r} is not a point index"
        remember_item(self.item_rects, "select")
        refused = scene.refused if isinstance(scene.refused, SELECTION_COMMANDS) else None
        message = self.go_to_error or (scene.last_refusal if refused is not None else None)
        if message:
            error_line(message)

    @staticmethod
    def _image(texture_id: int, size: float) -> None:
        imgui.image(imgui.ImTextureRef(texture_id), (size, size))
