"""Panel "Session": save and load the explorer's set-up (scenes/explorer/session/session.py) by a path field
(Enter loads), buttons, a list of recent files, and Ctrl+S / Ctrl+O (which work even while a text field
has the keyboard; declared in scenes/explorer/input/actions.py). Where files go by default, what is remembered between runs and the autosave on quit:
panels/session_files.py. Every save or load says so in a message over the view for a few seconds, so a
shortcut used with the panel collapsed is seen too.

`SessionIO` gathers what a session holds (model, control points, curve settings and traversal from the
`WalkPath`, camera, highlighted classes) and, to load one, validates the whole file against the model
it names and submits it as one `ApplySession` command: a refused file changes nothing and the panel
shows the one-line reason. A session made with another model switches to it (in the command's apply)
only once the file is known to fit that model.
"""
from __future__ import annotations

import math
import os
from typing import Callable

from imgui_bundle import imgui

from latentwalk.engine.camera import OrbitCamera
from latentwalk.engine.files import WrittenFiles
from latentwalk.scenes.explorer.core.commands import ApplySession, LoadSession, RestoreAutosave, SaveSession
from latentwalk.scenes.errors import SceneError
from latentwalk.scenes.explorer.panels import ERROR_COLOR, remember_item, window_rect
from latentwalk.scenes.explorer.panels.layout import begin_panel
from latentwalk.scenes.explorer.walk.path import WalkPath
from latentwalk.scenes.explorer.panels.session_files import (SessionPlaces, autosave_enabled, autosave_file,
                                                      default_session_file, draw_toast, restore_offer)
from latentwalk.scenes.explorer.session.session import (CameraView, ControlPoint, ModelSizes, Session, StyleSettings,
                                                          bundle_sizes, load_session, save_session, session_to_json)

WIDTH_PX = 320.0
OK_COLOR = imgui.ImVec4(0.55, 0.9, 0.55, 1.0)


def camera_view(camera: OrbitCamera) -> CameraView:
    goal = camera.goal
    return CameraView(target=tuple(float(c) for c in goal.target), distance=float(goal.distance),
                      orientation=tuple(float(c) for c in goal.orientation),
                      fov_degrees=math.degrees(camera.fov_y))


class SessionIO:
    def __init__(self, path: WalkPath, camera: OrbitCamera, *, model: Callable[[], str],
                 n_classes: Callable[[], int], highlighted: Callable[[], list[int]],
                 submit: Callable[[object], None], can_switch_model: bool = True,
                 model_sizes: Callable[[str], ModelSizes] = bundle_sizes, state=None) -> None:
        self.path = path
        self.camera = camera
        self.model = model
        self.n_classes = n_classes
        self.highlighted = highlighted
        self.submit = submit
        self.can_switch_model = can_switch_model
        self.model_sizes = model_sizes
        self.state = state  # the ExplorerState: its selection and point style go into the file too

        self.last_session: Session | None = None  # the last one saved or loaded

    def current(self) -> Session:
        session = self.path.to_session(self.model(), camera_view(self.camera), self.highlighted())
        if self.state is not None:
            selection, style = self.state.selection, self.state.style
            session.selection = (ControlPoint(index=selection.index) if selection.index is not None else
                                 ControlPoint(coords=selection.latent) if selection.latent is not None else None)
            session.style = StyleSettings(style.point_size, style.show_axes, style.show_grid)
        return session

    def save(self, file: str | os.PathLike) -> str:
        session = self.current()
        save_session(file, session)
        self.last_session = session
        return f"saved to {file}"

    def unsaved(self) -> bool:
        """Control points or curve settings changed since the last save or load (the walk is the work)."""
        if not len(self.path):
            return False
        walk = lambda session: {k: session_to_json(session)[k] for k in ("control_points", "curve")}  # noqa: E731
        return self.last_session is None or walk(self.current()) != walk(self.last_session)

    def load(self, file: str | os.PathLike) -> str:
        named = load_session(file).model  # the file's structure first: its model decides the sizes
        current = self.model()
        if named == current:
            sizes = (self.path.n_points, self.path.dim, self.n_classes())
        elif not self.can_switch_model:
            raise SceneError(f"{file}: made with model {named!r}, but this explorer shows {current!r}")
        else:
            sizes = self.model_sizes(named)
        session = load_session(file, n_points=sizes[0], dim=sizes[1], n_classes=sizes[2])
        self.submit(ApplySession(session))
        self.last_session = session
        return f"loaded {file}"


class SessionPanel:
    title = "Session"
    submits = (SaveSession, LoadSession, RestoreAutosave)  # a kiosk leaves it out where these are refused

    def __init__(self, io: SessionIO, *, file: str | None = None,
                 refusal: Callable[[], "tuple[object, str | None]"] = lambda: (None, None)) -> None:
        self.io = io
        self.refusal = refusal  # a session refused when applied (its model would not load)
        self.places = SessionPlaces()
        self.file = file or self.places.last or str(default_session_file())
        self.message: str | None = None
        self.failed = False
        self.message_time: float | None = None  # ImGui time of the last message, for the toast
        self.offer_restore = autosave_enabled() and autosave_file().is_file()
        self.written = WrittenFiles()  # saves of this run: Ctrl+S may update them, nothing else
        self.kept: tuple[str, str] | None = None  # (a file the last save went beside, the fresh copy)
        self.visible = True
        self.item_rects = {}
        self.rect = (0.0, 0.0, 0.0, 0.0)
        self.place: tuple[float, float] | None = None  # pins the window (tests aim at its widgets)
        self.layout = None  # a PanelLayout places it, when the scene has one
        self.frames = None  # the App's FrameRequests: the toast asks for the frame that takes it away

    def save(self) -> bool:
        """Save to the path field, or beside it under a fresh name when a file is there that this run did
        not write (files.WrittenFiles): the field then shows the new name, and the old file is kept until
        the person confirms replacing it (`replace_kept`)."""
        asked = self._resolved()
        if asked is None:
            return False
        target = str(self.written.target(asked))
        if not self._run(self.io.save, target):
            return False
        self.written.claim(target)
        self.kept = (asked, target) if target != asked else None
        if self.kept is not None:
            self.file = target
            self.message = f"saved to {target} ({os.path.basename(asked)} kept)"
        return True

    def replace_kept(self) -> bool:
        """The person confirmed: save over the file kept by the last save, and drop the fresh copy."""
        if self.kept is None:
            return False
        kept, copy = self.kept
        if not self._run(self.io.save, kept):
            return False
        self.written.claim(kept)
        if copy != kept and self.written.wrote(copy):
            try:
                os.unlink(copy)
            except OSError:
                pass  # the copy stays beside it: nothing is lost
        self.file, self.kept = kept, None
        return True

    def load(self) -> bool:
        file = self._resolved()
        return file is not None and self._run(self.io.load, file)

    def _resolved(self) -> str | None:
        file = self.file.strip()
        if not file:
            self._say("session: enter a file name first", failed=True)
            return None
        return os.path.abspath(os.path.expanduser(file))

    def _run(self, operation: Callable[[str], str], file: str) -> bool:
        try:
            if operation == self.io.save:
                try:
                    os.makedirs(os.path.dirname(file), exist_ok=True)
                except OSError as exc:
                    raise SceneError(f"{file}: cannot write ({exc.strerror or exc})") from None
            self._say(operation(file), failed=False)
            self.places.used(file)
        except SceneError as exc:
            self._say(str(exc), failed=True)
        return not self.failed

    def _say(self, text: str, failed: bool) -> None:
        self.message, self.failed = text, failed
        self.message_time = imgui.get_time() if imgui.get_current_context() is not None else None

    def autosave(self) -> bool:
        """On quit: keep unsaved work for the next start to offer back (session_files.py)."""
        if not autosave_enabled() or not self.io.unsaved():
            return False
        try:
            autosave_file().parent.mkdir(parents=True, exist_ok=True)
            save_session(autosave_file(), self.io.current())
        except (OSError, SceneError):
            return False
        return True

    def restore_autosave(self, restore: bool) -> None:
        file = autosave_file()
        if restore:
            try:
                self._say(self.io.load(file).replace("loaded", "restored", 1), failed=False)
            except SceneError as exc:
                self._say(str(exc), failed=True)
            self.io.last_session = None  # restored work is still unsaved work
        file.unlink(missing_ok=True)
        self.offer_restore = False

    def build(self) -> None:
        if self.offer_restore:
            answer = restore_offer(autosave_file(), self.item_rects)
            if answer is not None:
                self.io.submit(RestoreAutosave(answer))
        if self.message and self.message_time is not None:
            draw_toast(self.message, self.failed, self.message_time, self.frames)
        if not self.visible:
            return
        if self.place is None:
            imgui.set_next_window_collapsed(True, imgui.Cond_.first_use_ever)  # Ctrl+S / Ctrl+O work regardless
        expanded, self.visible = begin_panel(self, self.visible, width=WIDTH_PX)
        self.rect = window_rect()
        if expanded:
            imgui.set_next_item_width(-1)
            entered, self.file = imgui.input_text("##file", self.file, imgui.InputTextFlags_.enter_returns_true)
            remember_item(self.item_rects, "file")
            if imgui.is_item_hovered():
                imgui.set_tooltip("the session file; Enter loads it")
            if entered:
                self.io.submit(LoadSession())
            if imgui.button("Save (Ctrl+S)"):
                self.io.submit(SaveSession())
            remember_item(self.item_rects, "save")
            imgui.same_line()
            if imgui.button("Load (Ctrl+O)"):
                self.io.submit(LoadSession())
            remember_item(self.item_rects, "load")
            self._kept()
            self._recent()
            command, reason = self.refusal()
            message, failed = (reason, True) if isinstance(command, ApplySession) else (self.message, self.failed)
            if message:
                imgui.push_text_wrap_pos(0.0)
                imgui.text_colored(ERROR_COLOR if failed else OK_COLOR, message)
                imgui.pop_text_wrap_pos()
        imgui.end()

    def _kept(self) -> None:
        """After a save that went beside a file this run did not write: the explicit way to replace it."""
        if self.kept is None:
            return
        kept, copy = self.kept
        name = os.path.basename(kept)
        imgui.text_disabled(f"{name} was kept")
        imgui.same_line()
        clicked = imgui.button(f"Replace {name}")
        remember_item(self.item_rects, "replace")
        if imgui.is_item_hovered():
            imgui.set_tooltip(f"save over {kept} and remove {os.path.basename(copy)}")
        if clicked:
            self.io.submit(SaveSession(replace=True))

    def _recent(self) -> None:
        """Recent files, newest first: picking one loads it."""
        if not self.places.recent:
            return
        imgui.set_next_item_width(-1)
        if imgui.begin_combo("##recent", "Recent sessions..."):
            for index, file in enumerate(self.places.recent):
                if imgui.selectable(file, False)[0]:
                    self.file = file
                    self.io.submit(LoadSession())
                remember_item(self.item_rects, f"recent{index}")
            imgui.end_combo()
        remember_item(self.item_rects, "recent")
