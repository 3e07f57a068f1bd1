"""Every change to the explorer is one of these small frozen values, submitted with
`scene.submit(command)` by any driver (key bindings, panels, sessions, the tour, the gamepad, the
recorder's timeline). The scene applies queued commands in order at the start of the update phase
(scenes/explorer/core/apply.py); nothing else assigns scene or state fields.

Units: angles in radians, pixels in window pixels (origin top-left), t in [0, 1] of the walk's arc
length. A command that cannot apply (an index out of range, a bad setting) changes nothing and sets
`scene.last_refusal` to a one-line reason, which the panels show.
"""
from __future__ import annotations

from dataclasses import dataclass

# -- the camera ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Orbit:
    """Turn the view: +dx moves the eye right (yaw), +dy up (pitch), in radians."""
    dx: float
    dy: float


@dataclass(frozen=True)
class ArcballDrag:
    """The mouse's arcball: the scene turns as if the cursor dragged a sphere from `start` to `end`."""
    start: tuple[float, float]
    end: tuple[float, float]


@dataclass(frozen=True)
class Zoom:
    """Move closer by `factor` (2: half the distance; < 1 moves away). `at`: a window pixel whose ray
    stays put (the wheel's cursor); `anchor`: a world point that stays put (a hovered point)."""
    factor: float
    at: tuple[float, float] | None = None
    anchor: tuple[float, float, float] | None = None


@dataclass(frozen=True)
class Pan:
    """Slide the view so what lies at the target's depth moves by (dx, dy) window pixels."""
    dx: float
    dy: float


@dataclass(frozen=True)
class ResetView:
    """Back to the home view (a flight, or a jump with animate=False)."""
    animate: bool = True


@dataclass(frozen=True)
class FlyTo:
    """A timed, eased flight of the camera's target onto a data-set point (`index`), a 3-d
    `position`, a `latent`, or the point drawn at window pixel `pixel` (a double-click; no flight
    when there is none): exactly one. `distance` optionally changes how far the eye ends up. Any
    other camera command interrupts it."""
    index: int | None = None
    position: tuple[float, float, float] | None = None
    latent: tuple[float, ...] | None = None
    pixel: tuple[int, int] | None = None
    distance: float | None = None
    duration: float | None = None  # seconds; None: FLIGHT_SECONDS


@dataclass(frozen=True)
class SetCameraView:
    """Put the camera exactly here (sessions); quaternion (w, x, y, z), vertical fov in degrees."""
    target: tuple[float, float, float]
    distance: float
    orientation: tuple[float, float, float, float]
    fov_degrees: float = 45.0
    snap: bool = True


# -- pointer and selection ----------------------------------------------------------------------


@dataclass(frozen=True)
class PointerMoved:
    """The mouse is at `position` over the 3-d view, or left it (None). Picking follows in prepare."""
    position: tuple[int, int] | None


@dataclass(frozen=True)
class Select:
    """Select a data-set point (`index`) or a free latent (`latent`), or clear the selection (both
    None). `source`: "pointer" | "keyboard" | "gamepad" | "tour" | "walk" | "draw". `fly`: the
    camera flies to it."""
    index: int | None = None
    source: str = "keyboard"
    latent: tuple[float, ...] | None = None
    fly: bool = False


@dataclass(frozen=True)
class SelectInDirection:
    """Select the nearest visible point from the selection (or the hovered / centre point) whose
    screen position lies within a cone around (dx, dy) (screen axes: +x right, +y down)."""
    dx: float
    dy: float
    source: str = "keyboard"
    fly: bool = True


@dataclass(frozen=True)
class SelectNeighbor:
    """Select the next nearest neighbour (latent space) of the point the chain started from;
    `step` -1 goes back one."""
    step: int = 1
    source: str = "keyboard"
    fly: bool = True


@dataclass(frozen=True)
class SelectAlongWalk:
    """Select the control point `step` places after (or before, negative) the selected one."""
    step: int = 1
    source: str = "keyboard"
    fly: bool = True


# -- the path (undoable) ------------------------------------------------------------------------


@dataclass(frozen=True)
class AddControlPoint:
    """Add a data-set point (`index`), a typed latent (`latent`), or with neither the hovered point,
    else the selected one; at the end or before `position`."""
    index: int | None = None
    latent: tuple[float, ...] | None = None
    position: int | None = None


@dataclass(frozen=True)
class RemoveControlPoint:
    position: int


@dataclass(frozen=True)
class RemoveLastControlPoint:
    pass


@dataclass(frozen=True)
class MoveControlPoint:
    position: int
    offset: int


@dataclass(frozen=True)
class ClearPath:
    pass


@dataclass(frozen=True)
class SetInterpolation:
    name: str  # "catmull-rom" | "linear" | "slerp"


@dataclass(frozen=True)
class SetClosed:
    closed: bool


@dataclass(frozen=True)
class SetWalkSteps:
    steps: int


# -- the walk -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SetWalkT:
    t: float


@dataclass(frozen=True)
class PlayWalk:
    """Play (True), pause (False) or toggle (None)."""
    playing: bool | None = None


@dataclass(frozen=True)
class StepWalk:
    """Move the position by whole filmstrip steps (negative: back), clamped to the walk."""
    steps: int


@dataclass(frozen=True)
class SetWalkMode:
    mode: str  # "once" | "loop" | "ping-pong"


@dataclass(frozen=True)
class SetWalkSpeed:
    speed: float  # curve fractions per second


# -- classes and style (highlight edits are undoable) -------------------------------------------


@dataclass(frozen=True)
class Highlight:
    """Show these classes and dim the rest (() dims every class); None: every class shown."""
    classes: tuple[int, ...] | None = None


@dataclass(frozen=True)
class CycleHighlight:
    """Everything -> class 0 alone -> class 1 alone -> ... -> everything."""
    step: int = 1


@dataclass(frozen=True)
class SetPointStyle:
    """Any of point size (pixels), axes, grid, the picker's CPU prefilter; None keeps the value."""
    point_size: float | None = None
    show_axes: bool | None = None
    show_grid: bool | None = None
    pick_prefilter: bool | None = None


@dataclass(frozen=True)
class SetClassColor:
    """Draw class `index` in `rgb` (floats in [0, 1]); None: back to the palette's colour."""
    index: int
    rgb: tuple[float, float, float] | None = None


# -- the rest -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ShowPanels:
    """Show (True), hide (False) or toggle (None) the panels."""
    visible: bool | None = None


@dataclass(frozen=True)
class LoadModel:
    """Switch to another bundle in the background (the current one stays until it is ready)."""
    name: str


@dataclass(frozen=True)
class SwitchLayout:
    """Show the points in another of the bundle's layouts ("" = the PCA view every model has): every
    point flies from where it is to its place in that layout (model/layout_tools.py handles it)."""
    name: str


@dataclass(frozen=True)
class ApplySession:
    """A validated `session.Session` (already checked against the model): path, camera, highlight."""
    session: object


@dataclass(frozen=True)
class Undo:
    pass


@dataclass(frozen=True)
class Redo:
    pass


# Commands that Undo / Redo step through: edits of the path and of the highlighted classes.
UNDOABLE = (AddControlPoint, RemoveControlPoint, RemoveLastControlPoint, MoveControlPoint, ClearPath,
            SetInterpolation, SetClosed, SetWalkSteps, Highlight, CycleHighlight, ApplySession)
CAMERA_COMMANDS = (Orbit, ArcballDrag, Zoom, Pan, ResetView, FlyTo, SetCameraView)
