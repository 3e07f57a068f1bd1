"""Screenshots from the keyboard: F12 saves the window as it is shown (UI included), Shift+F12 the scene
alone, as timestamped PNGs in the user's pictures folder; a message in the window says where.

- The folder: `folder` if given, else $LATENTWALK_SCREENSHOT_DIR, else platformdirs' pictures folder.
- With the UI: a frame listener reads the back buffer in the capture phase of the frame the key came
  in (after the UI is drawn, before the swap), then is removed by the next frame's `build`, never while
  the App walks its listener list. Without the UI: `App.capture(include_ui=False)` draws the scene
  again into the back buffer at once (that frame's own drawing overwrites it).
- An action that names a file (`text`, as an OSC message's path does) saves there instead, never
  over an existing file: a numbered name beside it when that one is taken.
- A failure (folder missing or unwritable, disk full, a name that is not .png) is a one-line message
  in the same place; the render loop goes on.
- The message is timed on the App's clock and asks the App for a frame when it expires, so an idle
  window takes it away without input.
"""
from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Callable

from latentwalk.engine.actions import ActionSpec, declare, default_inputs
from latentwalk.engine.errors import EngineError
from latentwalk.engine.files import free_path

SCREENSHOT = "screenshot"
SCREENSHOT_WITHOUT_UI = "screenshot_without_ui"
SCREENSHOT_ACTIONS = declare(
    ActionSpec(SCREENSHOT, "save a screenshot", ("key:f12",)),
    ActionSpec(SCREENSHOT_WITHOUT_UI, "save a screenshot of the view alone", ("key:shift+f12",)),
)
FOLDER_ENV = "LATENTWALK_SCREENSHOT_DIR"
MESSAGE_SECONDS = 5.0


def screenshot_folder() -> Path:
    override = os.environ.get(FOLDER_ENV)
    if override:
        return Path(override).expanduser()
    from platformdirs import user_pictures_dir

    return Path(user_pictures_dir())


def screenshot_path(folder: Path, now: float | None = None) -> Path:
    """latentwalk-YYYYmmdd-HHMMSS.png in `folder`, with -2, -3, ... when that name is taken."""
    stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(time.time() if now is None else now))
    return free_path(folder / f"latentwalk-{stamp}.png")


class Screenshots:
    """Construct with the App; `bind_keys`, offer actions to `handle_action`, call `build` in the UI phase."""

    def __init__(self, app, folder: str | os.PathLike | None = None,
                 clock: Callable[[], float] | None = None) -> None:
        self.app = app
        self.folder = Path(folder) if folder is not None else None
        self.clock = clock or (lambda: app.now)  # the App's clock, which its frame requests are in
        self.message = ""  # what the last screenshot did, one line
        self.last_path: Path | None = None
        self.failed = False
        self._message_until = 0.0
        self._spent: Callable | None = None  # a listener to remove in the next build
        self._named: str | None = None  # the file the last screenshot action named, if it named one

    @staticmethod
    def bind_keys(bindings) -> None:
        bindings.update(default_inputs(SCREENSHOT_ACTIONS.values()))

    def handle_action(self, action) -> bool:
        if action.name not in (SCREENSHOT, SCREENSHOT_WITHOUT_UI):
            return False
        self.take(include_ui=action.name == SCREENSHOT, path=action.text or None)
        return True

    def take(self, include_ui: bool = True, path: str | None = None) -> None:
        """The frame as shown (saved once it is drawn), or the scene alone (rendered now); `path`, when
        given (a remote's screenshot), is where, never over a file (a free name beside it)."""
        self._named = path
        if include_ui:
            self.app.frame_listeners.append(self._save_shown_frame)
            self.app.frames.request(2)  # this frame reads the window, the next one removes the listener
        else:
            self._save(lambda: self.app.capture(include_ui=False))

    def _save_shown_frame(self, app) -> None:
        if self._spent is not None:  # already taken in an earlier frame; waiting for build to remove it
            return
        self._save(lambda: app.read_frame().copy())
        self._spent = self._save_shown_frame

    def _save(self, read: Callable) -> None:
        from latentwalk.engine.capture import save_png

        where = self._named or self.folder or screenshot_folder()
        try:
            path = save_png(read(), self._target())
        except OSError as exc:
            self._say(f"screenshot not saved: {where}: {exc.strerror or exc}", failed=True)
            return
        except EngineError as exc:
            self._say(f"screenshot not saved: {exc}", failed=True)
            return
        self.last_path = path
        self._say(f"screenshot saved to {path}", failed=False)

    def _target(self) -> Path:
        """Where this screenshot goes: the named file (or a free name beside it), else a new name in
        the folder. Raises EngineError or OSError."""
        from latentwalk.engine.capture import check_writable

        if self._named is not None:
            return free_path(check_writable(Path(self._named).expanduser()))
        folder = self.folder or screenshot_folder()
        if self.folder is None and not os.environ.get(FOLDER_ENV):  # the usual Pictures folder may not
            folder.mkdir(parents=True, exist_ok=True)  # exist yet; a folder someone named must
        if not folder.is_dir():
            raise EngineError(f"{folder}: screenshot folder does not exist")
        return screenshot_path(folder)

    def _say(self, text: str, failed: bool) -> None:
        self.message, self.failed = text, failed
        self._message_until = self.clock() + MESSAGE_SECONDS
        self.app.frames.request_at(self._message_until)  # the frame that takes it away

    @property
    def showing_message(self) -> bool:
        return bool(self.message) and self.clock() < self._message_until

    def build(self) -> None:
        """UI phase: drop a spent listener; show the message for MESSAGE_SECONDS."""
        if self._spent is not None:
            if self._spent in self.app.frame_listeners:
                self.app.frame_listeners.remove(self._spent)
            self._spent = None
        if not self.showing_message:
            return
        from imgui_bundle import imgui

        display = imgui.get_io().display_size
        imgui.set_next_window_pos((display.x / 2, display.y - 12), imgui.Cond_.always, (0.5, 1.0))
        imgui.set_next_window_bg_alpha(0.8)
        flags = (imgui.WindowFlags_.no_decoration | imgui.WindowFlags_.always_auto_resize
                 | imgui.WindowFlags_.no_inputs | imgui.WindowFlags_.no_focus_on_appearing
                 | imgui.WindowFlags_.no_nav | imgui.WindowFlags_.no_saved_settings)
        if imgui.begin("##screenshot message", None, flags)[0]:
            color = (1.0, 0.45, 0.4, 1.0) if self.failed else (0.75, 1.0, 0.75, 1.0)
            imgui.text_colored(imgui.ImVec4(*color), self.message)
        imgui.end()
