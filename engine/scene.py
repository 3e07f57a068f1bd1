"""The interface the App drives: one scene at a time, every hook optional."""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from latentwalk.engine.app import App
    from latentwalk.engine.input import Action


class Scene:
    """Override what you need. Order per frame (the phases):
    input: handle_action* -> commands: apply_commands -> fixed updates: update* (fixed dt) ->
    prepare(alpha) -> render(alpha) (draws, changes nothing) -> catch_up -> UI: build_ui -> capture ->
    present.
    In an idle frame (App.run for interactive use) render and build_ui are skipped when there was no
    input, `wants_redraw()` says False and nothing asked `app.frames` (engine/frames.py) for it; the
    commands, the fixed updates and prepare still run. What changes on its own in time (an animation, a
    worker, a timed message) asks `app.frames`; `wants_redraw` only says whether what is shown moved."""

    def start(self, app: "App") -> None:
        """The GL context exists: create GL objects here, not in __init__."""

    def handle_action(self, action: "Action") -> None:
        """An action the UI did not capture (see engine.input for names)."""

    def apply_commands(self) -> None:
        """Apply what drivers queued since the last frame (a scene with a command queue)."""

    def poll(self) -> None:
        """Take in what background threads finished (the default `prepare` calls it)."""

    def prepare(self, alpha: float) -> None:
        """Once a frame, drawn or not, after the fixed updates, on the main thread: take in what
        background threads finished and get ready what `render` will draw, so render changes nothing."""
        self.poll()

    def update(self, dt: float) -> None:
        """Advance the simulation by exactly `dt` seconds (the fixed step)."""

    def render(self, alpha: float) -> None:
        """Draw the 3-D scene; the viewport is set and colour/depth cleared. `alpha` in [0, 1) is how far
        the clock is between the last update and the next, for interpolation."""

    def catch_up(self) -> None:
        """In a drawn frame, after render and before build_ui: take in what background work finished
        while the frame rendered, when the UI can show it in this very frame (the 3-d pixels are done)."""

    def build_ui(self) -> None:
        """ImGui widgets for this frame (between imgui.new_frame and imgui.render)."""

    def resize(self, width: int, height: int) -> None:
        """The framebuffer is now width x height pixels (also called once right after start)."""

    def wants_redraw(self) -> bool:
        """Whether a frame drawn now would differ from the last one drawn because the state it shows
        moved (asked after this frame's poll and updates). False lets an idle window skip drawing; when
        unsure, say True. Time-driven change asks `app.frames` instead."""
        return True

    def settling(self) -> bool:
        """Whether work already started will still change what is shown by itself (a load, a worker's
        result, a picture refining): a scripted screenshot waits for it. No such work by default."""
        return False

    def close(self) -> None:
        """Release GL objects; called with the context still current."""
