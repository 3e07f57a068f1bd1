"""The explorer's ImGui panels: one small class each, built every frame from the scene's state.

A panel has `build()` (widgets that read the scene and write requests to it) and `rect`, the
window's (x, y, w, h) in pixels after its last build (tests aim the mouse with it).
"""
from __future__ import annotations

from imgui_bundle import imgui

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
