"""The explorer's ImGui panels: one small class each, built every frame from the scene's state.

A panel has `build()` (widgets that read the scene and write requests to it), `rect`, the window's
(x, y, w, h) in pixels after its last build, and `item_rects`, where its widgets were drawn (tests aim
the mouse with both). Where the windows go: panels/layout.py.
"""
from __future__ import annotations

from imgui_bundle import imgui

ItemRects = dict[str, tuple[tuple[float, float], tuple[float, float]]]

ERROR_COLOR = imgui.ImVec4(1.0, 0.45, 0.40, 1.0)
NOTE_COLOR = imgui.ImVec4(0.65, 0.67, 0.72, 1.0)


def window_rect() -> tuple[float, float, float, float]:
    """The current ImGui window's (x, y, w, h); call between begin and end."""
    pos, size = imgui.get_window_pos(), imgui.get_window_size()
    return (pos.x, pos.y, size.x, size.y)


def error_line(text: str) -> None:
    imgui.push_text_wrap_pos(imgui.get_font_size() * 22)
    imgui.text_colored(ERROR_COLOR, text)
    imgui.pop_text_wrap_pos()


def note_line(text: str) -> None:
    imgui.push_text_wrap_pos(imgui.get_font_size() * 22)
    imgui.text_colored(NOTE_COLOR, text)
    imgui.pop_text_wrap_pos()


def remember_item(rects: ItemRects, name: str) -> None:
    """Where the last widget was drawn (window pixels): lets tests click it with posted events."""
    low, high = imgui.get_item_rect_min(), imgui.get_item_rect_max()
    rects[name] = ((low.x, low.y), (high.x, high.y))


def item_center(rects: ItemRects, name: str) -> tuple[int, int]:
    (x0, y0), (x1, y1) = rects[name]
    return int((x0 + x1) / 2), int((y0 + y1) / 2)
