"""Offline recording of a walk: the explorer stepped at a fixed dt, frame by frame, each frame composed
into the chosen layout and handed to a frame sink (engine/video.py's VideoWriter, or anything with
`write(frame)`).

- `RecordPlan` says what to record; `WalkRecorder` renders it. The timeline only emits the explorer's
  commands (SetWalkT, SetCameraView, ...); time is the App's `step_frame(1 / fps)`, never the wall clock.
- Layouts: "view" (the 3-d view, the marker moving along the curve, the decoded image inset),
  "image" (the decoded image alone, captioned; no GL at all), "split" (view left, image right, each
  half the width). With `ui`, the panels stay in the frame and the Output panel shows the image, so
  the view gets no inset.
- The images come from `record_frames.WalkFrames`, decoded per frame from the frame's own t before
  rendering it. With panels shown, the scene runs in its deterministic mode (prepare waits for the
  decodes the frame shows), so the Output panel too shows the frame's own image.
- `--orbit` turns the camera about the world's vertical (a turntable), by the frame's walk fraction.
- The recorder's own window and UI use a throwaway imgui.ini, so a recording never rewrites the
  person's panel layout.
"""
from __future__ import annotations

import math
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from latentwalk.scenes.errors import SceneError
from latentwalk.scenes.explorer.record.record_frames import WalkFrames, draw_inset, image_panel, walk_fractions

LAYOUTS = ("view", "image", "split")
WARM_FRAMES = 3
MIN_UPDATE_HZ = 120
FILMSTRIP_WAIT_S = 60.0  # frames drawn before the first recorded one: commands applied, panels laid out


@dataclass
class RecordPlan:
    model: str = "mnist"
    through: Sequence[int] = ()  # data-set indices of the control points
    session: object | None = None  # a loaded session.Session instead of `through`
    interp: str | None = None  # None: the session's, else catmull-rom
    closed: bool | None = None  # None: the session's, else open
    frames: int = 150
    fps: float = 30.0
    size: tuple[int, int] = (1280, 720)
    layout: str = "view"
    ui: bool = False
    orbit_degrees: float = 0.0
    device: str | None = None
    extra: dict = field(default_factory=dict)

    @property
    def needs_gl(self) -> bool:
        return self.layout != "image"

    @property
    def view_size(self) -> tuple[int, int]:
        width, height = self.size
        return (width // 2, height) if self.layout == "split" else (width, height)


def build_path(plan: RecordPlan, bundle):
    """The plan's walk as a WalkPath on this bundle (SceneError, one line, when it does not fit)."""
    from latentwalk.scenes.explorer.walk.path import WalkPath

    path = WalkPath(bundle.latents, kind=bundle.walk_interpolation or "catmull-rom")  # the model's own default
    if plan.session is not None:
        path.apply_session(plan.session)
    else:
        for index in plan.through:
            path.add_index(int(index))
    if plan.interp is not None:
        path.kind = plan.interp
    if plan.closed is not None:
        path.closed = plan.closed
    if path.curve is None:
        raise SceneError("the walk has no control points: give --through I,J,K or a session with some")
    return path


class WalkRecorder:
    """Renders a RecordPlan into a sink. `window`/`ui`: reuse existing ones (tests share one window)."""

    def __init__(self, plan: RecordPlan, *, window=None, ui=None) -> None:
        from latentwalk.vae.bundle import load_bundle

        if plan.layout not in LAYOUTS:
            raise SceneError(f"unknown layout {plan.layout!r} (expected one of {', '.join(LAYOUTS)})")
        self.plan = plan
        self.bundle = load_bundle(plan.model)
        self.path = build_path(plan, self.bundle)
        self.fractions = walk_fractions(plan.frames, self.path.closed)
        self.frames: WalkFrames | None = None
        self._window, self._ui = window, ui
        self._owned_window = self._owned_ui = None
        self._scratch: str | None = None  # the throwaway imgui.ini's folder, removed by close()
        self.app = None
        self.scene = None
        self._view: np.ndarray | None = None
        self.frames_rendered = 0

    # -- setting up --------------------------------------------------------------------------------
    def prepare(self) -> None:
        """Load the decoder, and open the explorer when the layout draws the 3-d view."""
        self.frames = WalkFrames(self.bundle, self.path.curve, self.fractions)
        if self.plan.needs_gl:
            self._open_scene()

    def _open_scene(self) -> None:
        from latentwalk.engine.app import App
        from latentwalk.engine.clock import ManualTimeSource
        from latentwalk.scenes.explorer.scene import ExplorerScene

        plan = self.plan
        if self._window is None:  # a window and UI of its own, with a throwaway imgui.ini: a recording
            from latentwalk.engine.ui import Ui  # must not rewrite the person's panel layout
            from latentwalk.engine.window import Window

            self._window = self._owned_window = Window(plan.view_size, vsync=False, title="latentwalk record")
            self._scratch = tempfile.mkdtemp(prefix="latentwalk-record-")
            self._ui = self._owned_ui = Ui(scale=1.0, ini_path=Path(self._scratch) / "imgui.ini")
        # adaptive detail off: every frame draws every point, moving or not
        self.scene = ExplorerScene(self.bundle, device=plan.device, detail={"enabled": False})
        # a whole number of fixed updates per frame, at least one, so each frame applies its own commands
        update_hz = plan.fps * math.ceil(MIN_UPDATE_HZ / plan.fps)
        self.app = App(self.scene, size=plan.view_size, vsync=False, frame_cap=0, title="latentwalk record",
                       update_hz=update_hz, time_source=ManualTimeSource(), window=self._window, ui=self._ui)
        if self.app.framebuffer_size != plan.view_size:
            raise SceneError(f"the window is {self.app.framebuffer_size[0]}x{self.app.framebuffer_size[1]}, "
                             f"not the {plan.view_size[0]}x{plan.view_size[1]} asked for (a screen too small?)")
        # with panels, prepare waits for the images the frame shows (the Output panel's is the frame's
        # own); without them the frame shows only images composed here, so nothing needs waiting for
        self.scene.deterministic = plan.ui
        self._set_walk()
        self.app.frame_listeners.append(self._read_view)
        for _ in range(WARM_FRAMES):
            self.app.step_frame(self._dt)
        if plan.ui:  # the Walk panel's filmstrip whole before the first frame: no thumbnail pops in mid-video
            strip, deadline = self.scene.walk_tools.walk_panel.filmstrip, time.monotonic() + FILMSTRIP_WAIT_S
            while not strip.complete and time.monotonic() < deadline:
                self.scene.decoder.wait(1.0)
                self.app.step_frame(self._dt)
        self._home = self.scene.camera.goal

    def _set_walk(self) -> None:
        """The explorer gets the same walk, through its commands."""
        from latentwalk.scenes.explorer.core import commands as c

        submit, path = self.scene.submit, self.path
        if self.plan.session is not None:
            submit(c.ApplySession(self.plan.session))
        else:
            for point in path.points:
                submit(c.AddControlPoint(index=point.index))
        submit(c.SetInterpolation(path.kind))
        submit(c.SetClosed(path.closed))
        submit(c.PlayWalk(False))
        submit(c.ShowPanels(self.plan.ui))

    @property
    def _dt(self) -> float:
        return 1.0 / self.plan.fps

    # -- rendering ---------------------------------------------------------------------------------
    def _read_view(self, app) -> None:
        self._view = app.read_frame(self._view)

    def _show_frame(self, index: int) -> None:
        from latentwalk.engine.camera import quat_from_axis_angle, quat_multiply
        from latentwalk.scenes.explorer.core import commands as c

        fraction = float(self.fractions[index])
        home = self._home
        yaw = math.radians(self.plan.orbit_degrees) * fraction
        # about the world's vertical (a turntable), so the grid stays level however the view is tilted
        orientation = quat_multiply(quat_from_axis_angle((0, 1, 0), yaw), home.orientation)
        self.scene.submit(c.SetCameraView(target=tuple(float(v) for v in home.target),
                                          distance=float(home.distance),
                                          orientation=tuple(float(v) for v in orientation),
                                          fov_degrees=math.degrees(self.scene.camera.fov_y), snap=True))
        self.scene.submit(c.SetWalkT(fraction))
        self.scene.submit(c.PointerMoved(None))  # wherever the X pointer sits, no hover tooltip in the video
        self.app.step_frame(self._dt)

    def compose(self, index: int) -> np.ndarray:
        """Frame `index` in the plan's layout, (H, W, 3) uint8; valid until the next call (sinks copy)."""
        plan, frames = self.plan, self.frames
        image, caption = frames.rgb(index), frames.caption(index)
        if plan.layout == "image":
            return image_panel(image, caption, plan.size)
        self._show_frame(index)
        view = self._view  # read afresh whole every frame: composed in place, copied by the sink
        if plan.layout == "view":
            if not plan.ui:
                draw_inset(view, image, caption)
            return view
        width, height = plan.size
        frame = np.empty((height, width, 3), np.uint8)
        frame[:, :view.shape[1]] = view
        frame[:, view.shape[1]:] = image_panel(image, caption, (width - view.shape[1], height))
        return frame

    def record(self, sink, progress: Callable[[int], None] | None = None) -> int:
        """Render every frame into `sink` in order; returns how many were written. Stops early only by
        an exception (Ctrl+C, a full disk), after which `frames_rendered` says how far it got."""
        if self.frames is None:
            self.prepare()
        for index in range(len(self.fractions)):
            sink.write(self.compose(index))
            self.frames_rendered = index + 1
            if progress is not None:
                progress(index + 1)
        return self.frames_rendered

    def close(self) -> None:
        try:
            if self.app is not None:
                self.app.close()
                self.app = None
            if self._owned_ui is not None:
                self._owned_ui.shutdown()
                self._owned_ui = None
            if self._owned_window is not None:
                self._owned_window.close()
                self._owned_window = None
        finally:
            if self._scratch is not None:  # whatever failed above, no folder is left in the temp folder
                shutil.rmtree(self._scratch, ignore_errors=True)
                self._scratch = None

