"""Panel "Draw": sketch a digit on a canvas shown large (the model's 28x28 underneath); every change is
encoded in the background (scenes/explorer/tools/drawing.py), its point is marked in the cloud and its
reconstruction shows in Output. Brush size, clear, undo, the encoder's view of the drawing, and one
click to make it a control point of the walk. Dropping a PNG or JPEG on the window does the same. A colour
model's canvas is in colour, with a colour picker for the brush; an imported decoder without an encoder
shows one line saying why there is nothing to draw on."""
from __future__ import annotations

from imgui_bundle import imgui

from latentwalk.scenes.explorer.model.decoding import ImageSlot
from latentwalk.scenes.explorer.panels import ItemRects, error_line, note_line, remember_item, window_rect
from latentwalk.scenes.explorer.panels.layout import begin_panel, layout_of
from latentwalk.scenes.explorer.tools.drawing import no_encoder_line

CANVAS_SHARE_OF_HEIGHT = 0.36
MAX_CANVAS_PX = 336.0
INPUT_SCALE = 3  # the encoder's input, shown small beside the controls
BRUSH_RANGE = (0.5, 3.0)  # radius in canvas pixels
COLOUR_EDIT_EMS = 14  # the brush colour's R, G, B fields and swatch
FIRST_PLACE = (10.0, 0.38)  # x in pixels, y as a share of the window's height (first run only)


def canvas_px(display_height: float, width: int) -> float:
    """A whole multiple of the canvas's width (sharp pixels) near a share of the window's height."""
    target = min(MAX_CANVAS_PX, CANVAS_SHARE_OF_HEIGHT * display_height)
    return float(max(2, int(target // max(1, width))) * width)


class DrawPanel:
    title = "Draw"

    def __init__(self, scene, tools) -> None:
        self.scene = scene
        self.tools = tools
        self.canvas_slot = ImageSlot()
        self.input_slot = ImageSlot()
        self.rect = (0.0, 0.0, 0.0, 0.0)
        self.canvas_rect = (0.0, 0.0, 0.0, 0.0)  # x, y, size, size on screen (tests aim the brush)
        self.item_rects: ItemRects = {}
        self.layout = layout_of(scene)
        self._shown = (-1, None)  # canvas version, model input object uploaded
        self.note: str | None = None  # the one line shown instead of a canvas, if any

    def build(self) -> None:
        display = imgui.get_io().display_size
        imgui.set_next_window_pos(imgui.ImVec2(FIRST_PLACE[0], FIRST_PLACE[1] * display.y), imgui.Cond_.first_use_ever)
        imgui.set_next_window_collapsed(True, imgui.Cond_.first_use_ever)
        expanded = begin_panel(self)[0]
        self.rect = window_rect()
        self.tools.drawn = self.tools.arrived
        if expanded:
            self._body(display)
        imgui.end()

    def _body(self, display) -> None:
        tools, canvas, bundle = self.tools, self.tools.canvas, self.scene.bundle
        if not bundle.has_encoder and bundle.kind != "conv":  # nothing to draw on: one line says why
            self.note = no_encoder_line(bundle)
            note_line(self.note)
            return
        self.note = None
        if not bundle.has_encoder and not tools.error:
            note_line(f"{bundle.path.name} has no encoder: drawings cannot be placed in its space")
        self._upload()
        height, width = canvas.pixels.shape[:2]
        size = canvas_px(display.y, width)
        origin = imgui.get_cursor_screen_pos()
        imgui.invisible_button("##canvas", imgui.ImVec2(size, size))
        remember_item(self.item_rects, "canvas")
        self.canvas_rect = (origin.x, origin.y, size, size)
        self._paint(origin, size, width, height)
        draw_list = imgui.get_window_draw_list()
        low, high = imgui.ImVec2(origin.x, origin.y), imgui.ImVec2(origin.x + size, origin.y + size)
        if self.canvas_slot.texture_id is not None:
            draw_list.add_image(imgui.ImTextureRef(self.canvas_slot.texture_id), low, high)
        draw_list.add_rect(low, high, imgui.get_color_u32(imgui.Col_.border))

        imgui.push_item_width(imgui.get_font_size() * 8)
        _, canvas.brush = imgui.slider_float("brush", canvas.brush, *BRUSH_RANGE, "%.1f px")
        imgui.pop_item_width()
        imgui.same_line()
        if imgui.button("Clear"):
            canvas.clear()
        remember_item(self.item_rects, "clear")
        imgui.same_line()
        if imgui.button("Undo"):
            canvas.undo()
        remember_item(self.item_rects, "undo")
        if canvas.pixels.ndim == 3:
            imgui.set_next_item_width(COLOUR_EDIT_EMS * imgui.get_font_size())
            changed, colour = imgui.color_edit3("brush colour", list(canvas.colour))
            remember_item(self.item_rects, "colour")
            if changed:
                canvas.colour = tuple(float(v) for v in colour)
        else:
            changed, centre = imgui.checkbox("centre and scale as MNIST digits", tools.centre)
            if changed:
                tools.recentre(centre)
        if self.input_slot.texture_id is not None:
            side = INPUT_SCALE * width
            imgui.image(imgui.ImTextureRef(self.input_slot.texture_id), imgui.ImVec2(side, side * height / width))
            imgui.same_line()
        imgui.begin_group()
        if tools.latent is not None:
            imgui.text(f"{tools.source}: z = " + ", ".join(f"{v:.3f}" for v in tools.latent[:4]))
            if imgui.button("Add to walk"):
                tools.add_to_walk()
            remember_item(self.item_rects, "add to walk")
        else:
            note_line("draw here, or drop a PNG/JPEG on the window")
        imgui.end_group()
        if tools.error:
            error_line(tools.error)

    def _paint(self, origin, size: float, width: int, height: int) -> None:
        """Mouse held on the canvas: a stroke from where it went down, through every position since."""
        canvas = self.tools.canvas
        mouse = imgui.get_io().mouse_pos
        point = ((mouse.x - origin.x) / size * width, (mouse.y - origin.y) / size * height)
        if imgui.is_item_activated():
            canvas.begin_stroke(point)
        elif imgui.is_item_active():
            canvas.continue_stroke(point)
        if imgui.is_item_deactivated():
            canvas.end_stroke()

    def _upload(self) -> None:
        canvas, model_input = self.tools.canvas, self.tools.model_input
        if self._shown[0] != canvas.version:
            self.canvas_slot.show(canvas.pixels)
        if model_input is not None and self._shown[1] is not model_input:
            self.input_slot.show(model_input)
        self._shown = (canvas.version, model_input)

    def release(self) -> None:
        self.canvas_slot.release()
        self.input_slot.release()
