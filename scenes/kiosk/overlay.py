"""What a kiosk shows over the 3-d view with the panels hidden: the decoded image large with its class,
and the controls for a visitor who just started. ImGui windows without decoration, placed from the
viewport each frame, so they follow any screen size. (The gamepad's cursor is the explorer's own
marker, scenes/explorer/view/cursor_marker.py.)"""
from __future__ import annotations

import numpy as np
from imgui_bundle import imgui

IMAGE_FRACTION = 0.32  # of the viewport's shorter side
# The caption's font size, of the viewport's height: 83 px at 1080, whose letters (l, k, 8) stand
# about 55 px tall, to be read across a room.
CAPTION_FRACTION = 1 / 13
NOTICE_FRACTION = 1 / 24
# What the controls overlay lists, in order: the actions behind each line and what they do. The inputs
# shown are whatever the binding table has for them now, so a remapped config shows its own map.
CONTROL_LINES = (
    (("orbit_yaw", "orbit_pitch", "drag_rotate"), "turn the view"),
    (("cursor_x", "cursor_y"), "move the cursor: the image follows"),
    (("zoom_axis", "zoom"), "zoom"),
    (("add_control_point", "add_hovered_point"), "add the point to the walk"),
    (("remove_last_control_point",), "remove the last point"),
    (("play_walk",), "play or pause the walk"),
    (("cycle_highlight",), "highlight a class"),
    (("walk_step_forward", "walk_step_back", "walk_step_forward_10", "walk_step_back_10"), "step along the walk"),
    (("toggle_panels",), "show or hide the panels"),
    (("navigate_panels",), "hold: the pad moves through the panels"),
    (("reset_view",), "reset the view"),
)
MAX_INPUTS_PER_LINE = 3
_FLAGS = (imgui.WindowFlags_.no_decoration | imgui.WindowFlags_.no_inputs | imgui.WindowFlags_.no_move
          | imgui.WindowFlags_.no_saved_settings | imgui.WindowFlags_.no_focus_on_appearing
          | imgui.WindowFlags_.no_nav | imgui.WindowFlags_.always_auto_resize)


def decoded_texture(scene) -> int | None:
    images = scene.output_images
    return None if images is None else images.decoded_slot.texture_id


def draw_image(scene, caption: str, viewport: tuple[int, int]) -> bool:
    """The Output image, large, bottom left, with `caption` under it; False when there is none yet."""
    texture = decoded_texture(scene)
    if texture is None:
        return False
    side = IMAGE_FRACTION * min(viewport)
    # above the bottom line, where the explorer writes its one-line hints
    imgui.set_next_window_pos((16.0, viewport[1] - 36.0), imgui.Cond_.always, (0.0, 1.0))
    imgui.set_next_window_bg_alpha(0.55)
    if imgui.begin("##kiosk image", None, _FLAGS)[0]:
        imgui.image(imgui.ImTextureRef(texture), (side, side))
        if caption:
            sized_text(caption, CAPTION_FRACTION * viewport[1])
    imgui.end()
    return True


def sized_text(text: str, pixels: float) -> None:
    """`text` in a font `pixels` tall on screen, whatever the UI's scale."""
    style = imgui.get_style()
    imgui.push_font(None, pixels / max(1e-6, style.font_scale_main * style.font_scale_dpi))
    imgui.text(text)
    imgui.pop_font()


def draw_notice(text: str, viewport: tuple[int, int]) -> None:
    """One line, large, in the middle of the top third: a visitor tried something this place does not allow."""
    imgui.set_next_window_pos((viewport[0] / 2.0, viewport[1] / 3.0), imgui.Cond_.always, (0.5, 0.5))
    imgui.set_next_window_bg_alpha(0.75)
    if imgui.begin("##kiosk notice", None, _FLAGS)[0]:
        sized_text(text, NOTICE_FRACTION * viewport[1])
    imgui.end()


def control_rows(bindings, allowed) -> list[tuple[str, str]]:
    """(inputs, what they do) for the overlay: the bindings in force for each line's actions, pads
    first, lines whose actions `allowed(action)` refuses or nothing is bound to left out. Only what a
    visitor finds in front of the screen: keys, mouse and pads (a MIDI controller is wired on purpose)."""
    described = bindings.describe(devices=("pad", "key", "mouse"))
    order = sorted(described, key=lambda row: not row[0].startswith("Pad"))
    rows = []
    for actions, effect in CONTROL_LINES:
        actions = [action for action in actions if allowed(action)]
        inputs = list(dict.fromkeys(name.replace("Pad ", "") if name.startswith("Pad") else name
                                    for name, action in order if action.lstrip("-") in actions))
        if inputs:
            rows.append((" / ".join(inputs[:MAX_INPUTS_PER_LINE]), effect))
    return rows


def draw_controls(rows: list[tuple[str, str]], viewport: tuple[int, int], alpha: float) -> None:
    """The controls, top centre, fading out as `alpha` goes to 0."""
    imgui.set_next_window_pos((viewport[0] / 2.0, 16.0), imgui.Cond_.always, (0.5, 0.0))
    imgui.set_next_window_bg_alpha(0.7 * alpha)
    imgui.push_style_var(imgui.StyleVar_.alpha, max(0.05, alpha))
    if imgui.begin("##kiosk controls", None, _FLAGS)[0]:
        imgui.text("You are at the controls. Left alone, the tour comes back.")
        imgui.separator()
        if imgui.begin_table("##controls", 2):
            for control, effect in rows:
                imgui.table_next_row()
                imgui.table_next_column()
                imgui.text(control)
                imgui.table_next_column()
                imgui.text(effect)
            imgui.end_table()
    imgui.end()
    imgui.pop_style_var()


def nearest_label(latents: np.ndarray, labels: np.ndarray, latent) -> int:
    """The class of the training point nearest `latent` (what the image most looks like)."""
    z = np.asarray(latent, np.float32).reshape(1, -1)
    return int(labels[int(np.argmin(np.sum((latents - z) ** 2, axis=1)))])
