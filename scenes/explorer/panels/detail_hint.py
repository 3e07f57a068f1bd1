"""The hint that the cloud on screen is not every point (adaptive detail, detail.py): one line in the
window's bottom-left corner while the view moves or the layer is still refining, gone at full detail."""
from __future__ import annotations

from typing import TYPE_CHECKING

from imgui_bundle import imgui

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
    """Drawn over everything (foreground list), whether or not the panels are shown."""
    text = hint_text(scene)
    scene.detail_hint_text = text
    if text is None:
        return
    height = imgui.get_io().display_size.y
    pad = imgui.get_font_size() * 0.5
    imgui.get_foreground_draw_list().add_text(imgui.ImVec2(pad, height - pad - imgui.get_font_size()),
                                              imgui.color_convert_float4_to_u32(HINT_COLOR), text)
