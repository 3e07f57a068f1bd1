"""The commands the scene makes itself, from what a phase found or did: applied at once through
apply() (core/apply.py), never queued and never submitted by drivers, so the state still changes in
one place only. Their handlers are in apply.py and apply_edits.py with the drivers' commands."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class InstallModel:
    """A model load ended: install `prepared` (a model_loader.PreparedModel), or, with `error`, keep
    the current model and say why (state.model.error). From the prepare phase (a background load),
    ApplySession, set-up and `scene.load_model`."""
    prepared: object = None
    error: str | None = None


@dataclass(frozen=True)
class PointHovered:
    """The prepare phase's pick: the data-set point drawn under the pointer, or None."""
    index: int | None


@dataclass(frozen=True)
class FixedStep:
    """One fixed step of `dt` seconds: the camera's damping or flight, a layout flight, the walk's playback."""
    dt: float


@dataclass(frozen=True)
class ViewportResized:
    """The framebuffer is now `size` pixels (the engine's resize)."""
    size: tuple[int, int]


@dataclass(frozen=True)
class LayoutJobEnded:
    """The layout being computed in a child process ended (stored, failed or cancelled): the prepare
    phase found it; the bundle's layouts are listed again and the outcome is said in one line."""
