"""The hint that the cloud on screen is not every point (adaptive detail, detail.py): a line at the bottom
of the view while the view moves or the layer is still refining, gone at full detail. With the panels
shown it sits between the panel columns (the layout's free strip), wrapped to its width, and is left out
rather than drawn over a panel when no room is left."""
from __future__ import annotations

from typing import TYPE_CHECKING

from imgui_bundle import imgui

from latentwalk.scenes.explorer.panels.layout import rects_overlap

if TYPE_CHECKING:
    from latentwalk.scenes.explorer.scene import ExplorerScene

HINT_COLOR = imgui.ImVec4(0.85, 0.85, 0.60, 0.9)


def hint_text(scene: "ExplorerScene") -> str | None:
    """What the hint says this frame, or None when every point is drawn."""
    detail = scene.layer_cache.detail
    if detail is None or not detail.reduced:
        return None
    share = 100.0 * detail.drawn / max(1, detail.total)
    what = "moving" if detail.mode == "moving" else "refining"
    return f"{detail.drawn:,} of {detail.total:,} points ({share:.0f} %, {what})"


def detail_hint(scene: "ExplorerScene") -> None:
    """Drawn over the cloud (foreground list), whether or not the panels are shown, never over a panel."""
    text = hint_text(scene)
    scene.detail_hint_text = text
    scene.detail_hint_rect = None
    if text is None:
        return
    rect = hint_rect(scene, text)
    if rect is None:
        return
    x, y, width, _ = rect
    imgui.get_foreground_draw_list().add_text(imgui.get_font(), imgui.get_font_size(), imgui.ImVec2(x, y),
                                              imgui.color_convert_float4_to_u32(HINT_COLOR), text, width)
    scene.detail_hint_rect = rect


def hint_rect(scene: "ExplorerScene", text: str) -> tuple[float, float, float, float] | None:
    """Where the hint goes (x, y, wrap width, height), or None when no uncovered place holds it."""
    display = imgui.get_io().display_size
    pad = imgui.get_font_size() * 0.5
    layout = scene.panel_layout
    if not scene.state.ui.panels_visible:
        left, bottom, width = pad, display.y - pad, display.x - 2 * pad
    else:
        left, bottom, width = layout.free_strip()
    if width < imgui.get_font_size() * 4:
        return None
    size = imgui.calc_text_size(text, False, width)
    rect = (left, bottom - size.y, width, size.y)
    if rect[1] < 0 or (scene.state.ui.panels_visible
                       and any(rects_overlap(rect, other) for other in layout.shown_rects().values())):
        return None
    return rect
