"""The UI layer (engine/ui_layer.py) under Xvfb: the UI laid over the frame from its cached texture
looks as the UI drawn straight onto the frame does, and it is drawn again exactly when what it shows
changes (its draw data, the display size, or the pixels of a texture a panel shows)."""
from __future__ import annotations

import numpy as np
from imgui_bundle import imgui
from OpenGL import GL as gl

from latentwalk.engine.gl import Texture2D
from latentwalk.engine.scene import Scene

SIZE = (320, 240)


class PanelScene(Scene):
    """A half-transparent window with text and an image over a scene of stripes."""

    def __init__(self) -> None:
        self.text = "latent walk"
        self.texture: Texture2D | None = None

    def render(self, alpha: float) -> None:
        gl.glEnable(gl.GL_SCISSOR_TEST)
        for x in range(0, SIZE[0], 40):  # stripes, so the window's translucency has something to show
            gl.glScissor(x, 0, 20, SIZE[1])
            gl.glClearColor(0.9, 0.3, 0.1, 1.0)
            gl.glClear(gl.GL_COLOR_BUFFER_BIT)
        gl.glDisable(gl.GL_SCISSOR_TEST)

    def build_ui(self) -> None:
        if self.texture is None:
            self.texture = Texture2D.from_image(np.full((16, 16, 3), 200, np.uint8), filter="nearest")
        imgui.set_next_window_pos((20, 20))
        imgui.set_next_window_size((200, 150))
        imgui.set_next_window_bg_alpha(0.5)
        imgui.begin("Panel")
        imgui.text(self.text)
        imgui.image(imgui.ImTextureRef(self.texture.id), imgui.ImVec2(48, 48))
        imgui.end()


def frame(app) -> np.ndarray:
    shot = []
    app.frame_listeners.append(lambda a: shot.append(a.read_frame().copy()))
    try:
        app.step_frame(0.0)
    finally:
        app.frame_listeners.pop()
    return shot[0].astype(int)


def test_the_layered_ui_looks_as_the_ui_drawn_straight(gl_app, gl_ui):
    scene = PanelScene()
    app = gl_app(scene, size=SIZE)
    gl_ui.layered = False
    frame(app)
    straight = frame(app)
    gl_ui.layered = True
    frame(app)  # seen once: drawn straight
    frame(app)  # the same again: drawn into the layer
    layered = frame(app)
    assert gl_ui.layer.reuses >= 1  # the second layered frame came from the cache
    assert np.abs(layered - straight).max() <= 2  # 8-bit rounding of the premultiplied layer
    panel = straight[30:160, 25:210]
    assert len(np.unique(panel.reshape(-1, 3), axis=0)) > 10  # text, image, stripes through glass
    assert (np.abs(straight[200:, 250:] - [230, 77, 26]).max(axis=2) <= 1).any()  # the scene outside it


def test_the_layer_is_drawn_again_only_when_what_it_shows_changes(gl_app, gl_ui):
    scene = PanelScene()
    app = gl_app(scene, size=SIZE)
    frame(app)
    frame(app)
    layer = gl_ui.layer
    redraws = layer.redraws
    frame(app)
    unchanged = frame(app)
    assert layer.redraws == redraws  # nothing changed: laid over from the texture

    scene.text = "latent walk!"
    straight = layer.straight
    changed = frame(app)  # just changed: drawn straight onto the frame, the layer left as it was
    assert layer.redraws == redraws and layer.straight == straight + 1
    assert (changed != unchanged).any()  # the "!" is on screen
    assert np.abs(frame(app) - changed).max() <= 2  # the same again: now drawn into the layer, once
    assert layer.redraws == redraws + 1
    frame(app)
    assert layer.redraws == redraws + 1 and layer.straight == straight + 1

    before = frame(app)
    scene.texture.update(np.full((16, 16, 3), 40, np.uint8))  # a decoded image arriving in a panel
    after = frame(app)
    assert layer.straight == straight + 2 and np.abs(frame(app) - after).max() <= 2
    assert layer.redraws == redraws + 2
    assert (np.abs(after - before).max(axis=2) > 100).sum() >= 48 * 48 // 2  # the new picture is on screen


def test_the_layer_is_laid_only_where_the_ui_draws_and_never_twice_over_a_pixel():
    from types import SimpleNamespace as NS

    from latentwalk.engine.ui_layer import covered_rects

    keep = []

    def draw_list(drawn, clip=(0, 0, 320, 240)):
        """A draw list whose triangles span `drawn` (x0, y0, x1, y1), clipped to `clip`."""
        vertices = np.zeros((4, imgui.VERTEX_SIZE // 4), np.float32)  # pos, uv, colour per vertex
        vertices[:, :2] = [(drawn[0], drawn[1]), (drawn[2], drawn[1]), (drawn[2], drawn[3]), (drawn[0], drawn[3])]
        keep.append(vertices)
        return NS(vtx_buffer=NS(data_address=lambda: vertices.ctypes.data, size=lambda: len(vertices)),
                  cmd_buffer=[NS(clip_rect=clip, elem_count=6), NS(clip_rect=(0, 0, 999, 999), elem_count=0)])

    def lists(*boxes):
        return NS(cmd_lists=[draw_list(*box) for box in boxes])

    height = 240
    # two windows side by side: each its own rect, GL's bottom-up rows
    assert covered_rects(lists([(10, 20, 110, 70)], [(200, 0, 320, 240)]), height) == [
        (10, 170, 100, 50), (200, 0, 120, 240)]
    # an overlay list clipped to the whole window that draws one line of text: just that line
    assert covered_rects(lists([(10, 20, 110, 70)], [(5, 220, 90, 236)]), height) == [(10, 170, 100, 50),
                                                                                     (5, 4, 85, 16)]
    # triangles beyond their clip rect count only as far as it reaches
    assert covered_rects(lists([(0, 0, 500, 500), (10, 20, 110, 70)]), height) == [(10, 170, 100, 50)]
    # boxes half a pixel apart share a pixel column once rounded: laid as one box, not twice there
    assert covered_rects(lists([(10, 20, 300.5, 70)], [(300.5, 20, 318, 70)]), 480) == [(10, 410, 308, 50)]
    # a tooltip over a window: their bounding box, once
    assert covered_rects(lists([(10, 20, 110, 70)], [(100.5, 60, 150, 90.2)]), height) == [(10, 149, 140, 71)]
    assert covered_rects(lists(), height) == []  # nothing drawn: nothing laid


def test_rects_are_in_framebuffer_pixels_on_a_hidpi_display():
    from types import SimpleNamespace as NS

    from latentwalk.engine.ui_layer import covered_rects

    vertices = np.zeros((2, imgui.VERTEX_SIZE // 4), np.float32)
    vertices[:, :2] = [(10, 20), (110, 70)]  # window coordinates, as ImGui lays out
    draw_data = NS(cmd_lists=[NS(vtx_buffer=NS(data_address=lambda: vertices.ctypes.data, size=lambda: 2),
                                 cmd_buffer=[NS(clip_rect=(0, 0, 320, 240), elem_count=3)])])
    assert covered_rects(draw_data, 480, (2.0, 2.0)) == [(20, 480 - 140, 200, 100)]


def test_a_capture_between_frames_shows_the_ui_the_frame_showed(gl_app, gl_ui):
    app = gl_app(PanelScene(), size=SIZE)
    for _ in range(3):
        shown = frame(app)
    assert gl_ui.layer.reuses >= 1
    captured = app.capture(include_ui=True).astype(int)
    assert np.abs(captured - shown).max() <= 2
