"""Panel "Session": save and load the explorer's set-up (scenes/explorer/session.py) by a path field,
buttons, and Ctrl+S / Ctrl+O.

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

import pygame
from imgui_bundle import imgui

from latentwalk.engine.camera import OrbitCamera
from latentwalk.explorer.commands import ApplySession
from latentwalk.engine.input import Action, Bindings
from latentwalk.errors import SceneError
from latentwalk.explorer.panels import ERROR_COLOR, remember_item, window_rect
from latentwalk.explorer.panels.layout import begin_panel
from latentwalk.explorer.path import WalkPath
from latentwalk.explorer.session import CameraView, ControlPoint, StyleSettings, load_session, save_session

SAVE_SESSION = "save_session"
LOAD_SESSION = "load_session"
DEFAULT_FILE = "latentwalk-session.json"
WIDTH_PX = 320.0
OK_COLOR = imgui.ImVec4(0.55, 0.9, 0.55, 1.0)

ModelSizes = tuple[int, int, int]  # data-set points, latent width, classes


def bind_keys(bindings: Bindings) -> None:
    bindings.bind_key(pygame.K_s, SAVE_SESSION, pygame.KMOD_CTRL)
    bindings.bind_key(pygame.K_o, LOAD_SESSION, pygame.KMOD_CTRL)


def camera_view(camera: OrbitCamera) -> CameraView:
    goal = camera.goal
    return CameraView(target=tuple(float(c) for c in goal.target), distance=float(goal.distance),
                      orientation=tuple(float(c) for c in goal.orientation),
                      fov_degrees=math.degrees(camera.fov_y))


def bundle_sizes(model: str) -> ModelSizes:
    """Points, latent width and classes of a model not loaded yet (to check a session against it)."""
    from latentwalk.vae.bundle import load_bundle
    from latentwalk.vae.errors import VaeError

    try:
        bundle = load_bundle(model)
    except VaeError as exc:
        raise SceneError(str(exc)) from None
    return len(bundle.latents), bundle.latent_dim, len(bundle.class_names)


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

    def save(self, file: str | os.PathLike) -> str:
        session = self.path.to_session(self.model(), camera_view(self.camera), self.highlighted())
        if self.state is not None:
            selection, style = self.state.selection, self.state.style
            session.selection = (ControlPoint(index=selection.index) if selection.index is not None else
                                 ControlPoint(coords=selection.latent) if selection.latent is not None else None)
            session.style = StyleSettings(style.point_size, style.show_axes, style.show_grid)
        save_session(file, session)
        return f"saved {file}"

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
        return f"loaded {file}"


class SessionPanel:
    title = "Session"

    def __init__(self, io: SessionIO, *, file: str = DEFAULT_FILE,
                 refusal: Callable[[], "tuple[object, str | None]"] = lambda: (None, None)) -> None:
        self.io = io
        self.refusal = refusal  # a session refused when applied (its model would not load)
        self.file = file
        self.message: str | None = None
        self.failed = False
        self.visible = True
        self.item_rects = {}
        self.rect = (0.0, 0.0, 0.0, 0.0)
        self.place: tuple[float, float] | None = None  # pins the window (tests aim at its widgets)
        self.layout = None  # a PanelLayout places it, when the scene has one

    def handle_action(self, action: Action) -> bool:
        if action.name == SAVE_SESSION:
            self.save()
        elif action.name == LOAD_SESSION:
            self.load()
        else:
            return False
        return True

    def save(self) -> bool:
        return self._run(self.io.save)

    def load(self) -> bool:
        return self._run(self.io.load)

    def _run(self, operation: Callable[[str], str]) -> bool:
        file = self.file.strip()
        try:
            if not file:
                raise SceneError("session: enter a file name first")
            self.message, self.failed = operation(os.path.expanduser(file)), False
        except SceneError as exc:
            self.message, self.failed = str(exc), True
        return not self.failed

    def build(self) -> None:
        if not self.visible:
            return
        if self.place is None:
            imgui.set_next_window_collapsed(True, imgui.Cond_.first_use_ever)  # Ctrl+S / Ctrl+O work regardless
        expanded, self.visible = begin_panel(self, self.visible, width=WIDTH_PX)
        self.rect = window_rect()
        if expanded:
            imgui.set_next_item_width(-1)
            _, self.file = imgui.input_text("##file", self.file)
            remember_item(self.item_rects, "file")
            if imgui.button("Save (Ctrl+S)"):
                self.save()
            remember_item(self.item_rects, "save")
            imgui.same_line()
            if imgui.button("Load (Ctrl+O)"):
                self.load()
            remember_item(self.item_rects, "load")
            command, reason = self.refusal()
            message, failed = (reason, True) if isinstance(command, ApplySession) else (self.message, self.failed)
            if message:
                imgui.push_text_wrap_pos(0.0)
                imgui.text_colored(ERROR_COLOR if failed else OK_COLOR, message)
                imgui.pop_text_wrap_pos()
        imgui.end()
