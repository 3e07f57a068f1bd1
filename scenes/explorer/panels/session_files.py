"""Where session files go, and what the explorer remembers about them between runs.

- New sessions are saved where users keep documents: platformdirs' documents folder, in a `latentwalk`
  folder ($LATENTWALK_DOCUMENTS_DIR overrides it), never silently into the current directory.
- The last file saved or loaded, and up to RECENT_MAX recent ones, are remembered in the config dir
  (engine.ui.config_dir, `sessions.json`), so the next start offers the same place.
- Quitting with unsaved changes (control points added or edited since the last save or load) writes the
  session to `autosave-session.json` in the config dir; the next start offers to restore it (Restore /
  Discard), and either answer removes the file. $LATENTWALK_AUTOSAVE=0 turns this off (the test suite
  does, so one test's leftovers never greet the next; the test of the feature turns it on).
"""
from __future__ import annotations

import json
import os
from pathlib import Path

from imgui_bundle import imgui

from latentwalk.engine.ui import config_dir

DOCUMENTS_ENV = "LATENTWALK_DOCUMENTS_DIR"
AUTOSAVE_ENV = "LATENTWALK_AUTOSAVE"
DEFAULT_FILE = "latentwalk-session.json"
AUTOSAVE_FILE = "autosave-session.json"
PLACES_FILE = "sessions.json"
RECENT_MAX = 8
TOAST_SECONDS = 4.0
RESTORE_POPUP = "Restore your last session?"


def documents_dir() -> Path:
    override = os.environ.get(DOCUMENTS_ENV)
    if override:
        return Path(override)
    from platformdirs import user_documents_dir
    return Path(user_documents_dir()) / "latentwalk"


def default_session_file() -> Path:
    return documents_dir() / DEFAULT_FILE


def autosave_enabled() -> bool:
    return os.environ.get(AUTOSAVE_ENV, "1").strip().lower() not in ("0", "false", "no", "off")


def autosave_file() -> Path:
    return config_dir() / AUTOSAVE_FILE


class SessionPlaces:
    """The last session file used and the recent ones (newest first), kept in the config dir."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or config_dir() / PLACES_FILE
        self.recent: list[str] = []
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            self.recent = [str(item) for item in data.get("recent", []) if isinstance(item, str)][:RECENT_MAX]
        except (OSError, ValueError, AttributeError):
            pass  # nothing remembered yet, or a file we will overwrite

    @property
    def last(self) -> str | None:
        return self.recent[0] if self.recent else None

    def used(self, file: str | os.PathLike) -> None:
        """`file` was saved or loaded: first in the list from now on."""
        file = str(Path(file).expanduser().resolve())
        self.recent = [file] + [item for item in self.recent if item != file][:RECENT_MAX - 1]
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            partial = self.path.with_name(f"{self.path.name}.{os.getpid()}.tmp")
            partial.write_text(json.dumps({"recent": self.recent}, indent=1), encoding="utf-8")
            os.replace(partial, self.path)
        except OSError:
            pass  # an unwritable config dir costs only the remembering


def draw_toast(text: str, failed: bool, since: float, frames=None) -> None:
    """`text` over the view, bottom centre, for TOAST_SECONDS after `since` (ImGui time, which runs on
    the App's clock); `frames` (the App's FrameRequests) is asked for the frame that takes it away."""
    left = since + TOAST_SECONDS - imgui.get_time()
    if left <= 0:
        return
    if frames is not None:
        frames.request_at(frames.now + left)
    display = imgui.get_io().display_size
    size = imgui.calc_text_size(text)
    pad = imgui.get_font_size() * 0.6
    low = imgui.ImVec2((display.x - size.x) / 2 - pad, display.y * 0.78 - pad)
    high = imgui.ImVec2(low.x + size.x + 2 * pad, low.y + size.y + 2 * pad)
    draw = imgui.get_foreground_draw_list()
    draw.add_rect_filled(low, high, imgui.get_color_u32(imgui.ImVec4(0.05, 0.05, 0.07, 0.88)), pad / 2)
    colour = (1.0, 0.45, 0.40, 1.0) if failed else (0.55, 0.9, 0.55, 1.0)
    draw.add_text(imgui.ImVec2(low.x + pad, low.y + pad), imgui.get_color_u32(imgui.ImVec4(*colour)), text)


def restore_offer(file: Path, item_rects: dict) -> bool | None:
    """The start-up question about autosaved work: True (Restore), False (Discard), None (not yet)."""
    from latentwalk.scenes.explorer.panels import remember_item

    if not imgui.is_popup_open(RESTORE_POPUP):
        imgui.open_popup(RESTORE_POPUP)
    display = imgui.get_io().display_size
    imgui.set_next_window_pos(imgui.ImVec2(display.x / 2, display.y / 2), imgui.Cond_.always, imgui.ImVec2(0.5, 0.5))
    answer = None
    if imgui.begin_popup_modal(RESTORE_POPUP, None, imgui.WindowFlags_.always_auto_resize)[0]:
        imgui.text("The explorer was closed with a walk that was not saved.")
        imgui.text_disabled(str(file))
        if imgui.button("Restore"):
            answer = True
        remember_item(item_rects, "restore")
        imgui.same_line()
        if imgui.button("Discard"):
            answer = False
        remember_item(item_rects, "discard")
        if answer is not None:
            imgui.close_current_popup()
        imgui.end_popup()
    return answer
