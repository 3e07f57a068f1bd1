"""The "Record walk" dialog, opened by the Walk panel's Record button: file, layout, size, frame rate and
length; Start runs `latentwalk record` on the current walk in a child process (record_job.py) and a
progress bar with the time left and Cancel replaces the buttons until it ends, while the window goes on
drawing. The output is checked here first (type, encoder, folder), so a refusal is one line at once.
Every Start records to a name where nothing is yet, shown in the file field before the child starts: a
second Start never replaces the first video, nor a typed name someone else's file.
"""
from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Callable

from imgui_bundle import imgui

from latentwalk.scenes.explorer.core.commands import StartRecording
from latentwalk.scenes.explorer.panels import error_line, note_line, remember_item, window_rect
from latentwalk.scenes.explorer.record.recording import LAYOUTS

SIZES = ((640, 360), (1280, 720), (1920, 1080))
FPS_RANGE = (1, 120)
SECONDS_RANGE = (0.1, 600.0)
SUCCESS_COLOR = imgui.ImVec4(0.70, 1.0, 0.70, 1.0)


def default_video_path(now: float | None = None) -> str:
    """latentwalk-walk-YYYYmmdd-HHMMSS.mp4 in the user's videos folder (platformdirs)."""
    from platformdirs import user_videos_dir

    stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(time.time() if now is None else now))
    return str(Path(user_videos_dir()) / f"latentwalk-walk-{stamp}.mp4")


class RecordDialog:
    title = "Record walk"
    submits = (StartRecording,)  # what it is for: a kiosk leaves it out where these are refused

    def __init__(self, session: Callable[[], object], has_walk: Callable[[], bool],
                 request_start: Callable[[], object] | None = None) -> None:
        self.session = session  # -> the current Session (SessionIO.current)
        self.has_walk = has_walk
        self.request_start = request_start or self.start  # the scene's: a StartRecording command
        self.visible = False
        self.out = ""
        self._chosen_out = ""  # the name the dialog chose (not typed): each Start chooses again
        self.layout = "view"
        self.size = SIZES[1]
        self.fps = 30
        self.seconds = 5.0
        self.ui = False
        self.job = None  # the RecordJob running or last run
        self.message = ""
        self.failed = False
        self.item_rects = {}
        self.rect = (0.0, 0.0, 0.0, 0.0)
        self.place: tuple[float, float] | None = None  # pins the window (tests aim at its widgets)
        self.frames = None  # the App's FrameRequests: a recording asks for frames until its outcome shows

    def open(self) -> None:
        self.visible = True
        if not self.out:
            self.out = self._chosen_out = default_video_path()

    def _fresh_out(self) -> Path:
        """Where this Start records, shown in the file field: never onto an existing file or folder (an
        earlier recording included); a taken name gets a number (files.free_path), and the name the dialog
        chose itself gets the time of this Start."""
        from latentwalk.engine.files import free_path

        typed = self.out.strip()
        chosen = typed == self._chosen_out
        out = free_path(os.path.expanduser(default_video_path() if chosen else typed))
        self.out = str(out)
        if chosen:
            self._chosen_out = self.out
        return out

    @property
    def recording(self) -> bool:
        return self.job is not None and self.job.running

    def start(self) -> bool:
        """Check the output, then start the child; False (and a one-line message) when refused."""
        from latentwalk.engine.errors import EngineError
        from latentwalk.engine.video import check_video_target
        from latentwalk.scenes.explorer.record.record_job import RecordJob

        if self.recording:
            return False
        if not self.has_walk():
            return self._say("add control points to the walk first", failed=True)
        if not self.out.strip():
            return self._say("enter a file name first", failed=True)
        out = self._fresh_out()
        try:
            if Path(out).parent == Path(default_video_path()).parent:  # the usual Videos folder may not exist yet
                Path(out).parent.mkdir(parents=True, exist_ok=True)
            check_video_target(out, self.size, float(self.fps))
            self.job = RecordJob(self.session(), out, layout=self.layout, size=self.size, fps=float(self.fps),
                                 seconds=float(self.seconds), ui=self.ui)
        except (EngineError, OSError) as exc:
            return self._say(str(exc), failed=True)
        self._say("", failed=False)
        if self.frames is not None:  # the progress bar moves, and the child's outcome comes, without input
            self.frames.request_while(self.awaiting_outcome)
        return True

    def cancel(self) -> None:
        if self.job is not None:
            self.job.cancel()

    def _say(self, text: str, failed: bool) -> bool:
        self.message, self.failed = text, failed
        return not failed

    def poll(self) -> None:
        """Once a frame: take the finished job's outcome."""
        if self.job is not None and not self.recording and not self.message:
            outcome = self.job.result()
            if outcome is not None:
                self.job.close()
                self._say(outcome[1], failed=not outcome[0])

    def awaiting_outcome(self) -> bool:
        """Recording, or finished with an outcome that `build` has not taken in yet."""
        return self.recording or (self.job is not None and not self.message)

    def build(self) -> None:
        self.poll()
        if not self.visible:
            return
        if self.place is not None:
            imgui.set_next_window_pos(imgui.ImVec2(*self.place), imgui.Cond_.always)
        else:
            display = imgui.get_io().display_size
            imgui.set_next_window_pos((display.x / 2, display.y / 3), imgui.Cond_.appearing, (0.5, 0.5))
        expanded, self.visible = imgui.begin(self.title, True, imgui.WindowFlags_.always_auto_resize
                                             | imgui.WindowFlags_.no_collapse)
        self.visible = self.visible or self.recording  # the progress and Cancel stay while it records
        self.rect = window_rect()
        if expanded:
            if self.recording:
                self._progress()
            else:
                self._settings()
            if self.message:
                if self.failed:
                    error_line(self.message)
                else:
                    imgui.push_text_wrap_pos(imgui.get_font_size() * 22)
                    imgui.text_colored(SUCCESS_COLOR, self.message)
                    imgui.pop_text_wrap_pos()
        imgui.end()

    def _settings(self) -> None:
        imgui.text("file")
        imgui.same_line()
        imgui.set_next_item_width(340)
        _, self.out = imgui.input_text("##out", self.out)
        remember_item(self.item_rects, "out")
        imgui.set_next_item_width(90)
        changed, index = imgui.combo("layout", LAYOUTS.index(self.layout), list(LAYOUTS))
        remember_item(self.item_rects, "layout")
        if changed:
            self.layout = LAYOUTS[index]
        imgui.same_line()
        imgui.set_next_item_width(110)
        names = [f"{w}x{h}" for w, h in SIZES]
        changed, index = imgui.combo("size", SIZES.index(self.size), names)
        remember_item(self.item_rects, "size")
        if changed:
            self.size = SIZES[index]
        imgui.set_next_item_width(90)
        changed, fps = imgui.input_int("fps", self.fps)
        remember_item(self.item_rects, "fps")
        if changed:
            self.fps = min(FPS_RANGE[1], max(FPS_RANGE[0], fps))
        imgui.same_line()
        imgui.set_next_item_width(90)
        changed, seconds = imgui.input_float("seconds", self.seconds, 1.0, 5.0, "%.1f")
        remember_item(self.item_rects, "seconds")
        if changed:
            self.seconds = min(SECONDS_RANGE[1], max(SECONDS_RANGE[0], seconds))
        _, self.ui = imgui.checkbox("panels in the frame", self.ui)
        remember_item(self.item_rects, "ui")
        note_line(f"{round(self.fps * self.seconds)} frames, rendered offline: every frame shows its own step")
        if imgui.button("Start", imgui.ImVec2(80, 0)):
            self.request_start()
        remember_item(self.item_rects, "start")
        imgui.same_line()
        if imgui.button("Close", imgui.ImVec2(80, 0)):
            self.visible = False
        remember_item(self.item_rects, "close")

    def _progress(self) -> None:
        job = self.job
        eta = job.eta_seconds()
        left = "" if eta is None else f", {eta:.0f} s left"
        imgui.text(f"recording {job.out.name}")
        imgui.progress_bar(job.fraction, imgui.ImVec2(340, 0), f"{job.done} / {job.total} frames{left}")
        remember_item(self.item_rects, "progress")
        if imgui.button("Cancel", imgui.ImVec2(80, 0)):
            self.cancel()
        remember_item(self.item_rects, "cancel")

    def release(self) -> None:
        if self.job is not None:
            self.job.close()
