"""Every change to the explorer is one of these small frozen values, submitted with
`scene.submit(command)` by any driver (key bindings, panels, sessions, the tour, the gamepad, the
recorder's timeline). The scene applies queued commands in order at the start of the update phase
(scenes/explorer/core/apply.py); nothing else assigns scene or state fields.

Units: angles in radians, pixels in window pixels (origin top-left), t in [0, 1] of the walk's arc
length. A command that cannot apply (an index out of range, a bad setting) changes nothing and sets
`scene.last_refusal` to a one-line reason, which the panels show.

Every command type declares its `effects`: what applying it may change or touch, in the words of
EFFECTS, and `undoable = True` when Undo / Redo step through it. A scene with a `command_policy` (the
kiosk's) checks the effects where every driver and panel passes, `scene.submit`, so what a command
may do is read from its declaration, never from its name.
Work that opens or writes files (sessions, screenshots, recordings, another bundle) is a command
too, so that policy sees it.
"""
from __future__ import annotations

from dataclasses import dataclass

HOVER = "hover"  # what the pointer is over
ORBIT, ZOOM, PAN, RESET = "orbit", "zoom", "pan", "reset"  # the camera, by kind of move
FLY = "fly"  # a timed flight onto a point
CAMERA = "camera"  # the camera put anywhere at once
SELECT = "select"
PATH = "path"  # the walk's control points and curve
WALK = "walk"  # the position on the walk and its playback
HIGHLIGHT = "highlight"  # which classes are shown
STYLE = "style"  # point size, guides, class colours
PANELS = "panels"  # the panels shown or hidden
OPENS_FILES = "opens_files"  # reads a file or folder that the command names
WRITES_FILES = "writes_files"
SCREENSHOT = "screenshot"  # saves the window as a picture under a fresh name (never over a file)
SWITCHES_MODEL = "switches_model"
STARTS_PROCESSES = "starts_processes"
EFFECTS = (HOVER, ORBIT, ZOOM, PAN, RESET, FLY, CAMERA, SELECT, PATH, WALK, HIGHLIGHT, STYLE, PANELS, SCREENSHOT,
           OPENS_FILES, WRITES_FILES, SWITCHES_MODEL, STARTS_PROCESSES)

# -- the camera ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Orbit:
    """Turn the view: +dx moves the eye right (yaw), +dy up (pitch), in radians."""
    effects = (ORBIT,)
    dx: float
    dy: float


@dataclass(frozen=True)
class ArcballDrag:
    """The mouse's arcball: the scene turns as if the cursor dragged a sphere from `start` to `end`."""
    effects = (ORBIT,)
    start: tuple[float, float]
    end: tuple[float, float]


@dataclass(frozen=True)
class Zoom:
    """Move closer by `factor` (2: half the distance; < 1 moves away). `at`: a window pixel whose ray
    stays put (the wheel's cursor); `anchor`: a world point that stays put (a hovered point)."""
    effects = (ZOOM,)
    factor: float
    at: tuple[float, float] | None = None
    anchor: tuple[float, float, float] | None = None


@dataclass(frozen=True)
class Pan:
    """Slide the view so what lies at the target's depth moves by (dx, dy) window pixels."""
    effects = (PAN,)
    dx: float
    dy: float


@dataclass(frozen=True)
class ResetView:
    """Back to the home view (a flight, or a jump with animate=False)."""
    effects = (RESET,)
    animate: bool = True


@dataclass(frozen=True)
class FlyTo:
    """A timed, eased flight of the camera's target onto a data-set point (`index`), a 3-d
    `position`, a `latent`, or the point drawn at window pixel `pixel` (a double-click; no flight
    when there is none): exactly one. `distance` optionally changes how far the eye ends up. Any
    other camera command interrupts it."""
    effects = (FLY,)
    index: int | None = None
    position: tuple[float, float, float] | None = None
    latent: tuple[float, ...] | None = None
    pixel: tuple[int, int] | None = None
    distance: float | None = None
    duration: float | None = None  # seconds; None: FLIGHT_SECONDS


@dataclass(frozen=True)
class SetCameraView:
    """Put the camera exactly here (sessions); quaternion (w, x, y, z), vertical fov in degrees."""
    effects = (CAMERA,)
    target: tuple[float, float, float]
    distance: float
    orientation: tuple[float, float, float, float]
    fov_degrees: float = 45.0
    snap: bool = True


# -- pointer and selection ----------------------------------------------------------------------


@dataclass(frozen=True)
class PointerMoved:
    """The mouse is at `position` over the 3-d view, or left it (None). Picking follows in prepare."""
    effects = (HOVER,)
    position: tuple[int, int] | None


@dataclass(frozen=True)
class Select:
    """Select a data-set point (`index`), a free latent (`latent`) or the latent a 3-d `place` of the
    view decodes to (the current layout's inverse map), or clear the selection (all None). `source`:
    "pointer" | "keyboard" | "gamepad" | "tour" | "walk" | "draw" | "place". `fly`: the camera flies
    to it."""
    effects = (SELECT, FLY)
    index: int | None = None
    source: str = "keyboard"
    latent: tuple[float, ...] | None = None
    fly: bool = False
    place: tuple[float, float, float] | None = None


@dataclass(frozen=True)
class SelectInDirection:
    """Select the nearest visible point from the selection (or the hovered / centre point) whose
    screen position lies within a cone around (dx, dy) (screen axes: +x right, +y down)."""
    effects = (SELECT, FLY)
    dx: float
    dy: float
    source: str = "keyboard"
    fly: bool = True


@dataclass(frozen=True)
class SelectNeighbor:
    """Select the next nearest neighbour (latent space) of the point the chain started from;
    `step` -1 goes back one."""
    effects = (SELECT, FLY)
    step: int = 1
    source: str = "keyboard"
    fly: bool = True


@dataclass(frozen=True)
class SelectAlongWalk:
    """Select the control point `step` places after (or before, negative) the selected one."""
    effects = (SELECT, FLY)
    step: int = 1
    source: str = "keyboard"
    fly: bool = True


# -- the path (undoable) ------------------------------------------------------------------------


@dataclass(frozen=True)
class AddControlPoint:
    """Add a data-set point (`index`), a typed latent (`latent`), the latent a 3-d `place` of the view
    decodes to, or with none of them the hovered point, else the selected one; at the end or before
    `position`."""
    effects = (PATH,)
    undoable = True
    index: int | None = None
    latent: tuple[float, ...] | None = None
    position: int | None = None
    place: tuple[float, float, float] | None = None


@dataclass(frozen=True)
class RemoveControlPoint:
    effects = (PATH,)
    undoable = True
    position: int


@dataclass(frozen=True)
class RemoveLastControlPoint:
    effects = (PATH,)
    undoable = True


@dataclass(frozen=True)
class MoveControlPoint:
    effects = (PATH,)
    undoable = True
    position: int
    offset: int


@dataclass(frozen=True)
class ClearPath:
    effects = (PATH,)
    undoable = True


@dataclass(frozen=True)
class SetInterpolation:
    effects = (PATH,)
    undoable = True
    name: str  # "catmull-rom" | "linear" | "slerp"


@dataclass(frozen=True)
class SetClosed:
    effects = (PATH,)
    undoable = True
    closed: bool


@dataclass(frozen=True)
class SetWalkSteps:
    effects = (PATH,)
    undoable = True
    steps: int


# -- the walk -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SetWalkT:
    effects = (WALK,)
    t: float


@dataclass(frozen=True)
class PlayWalk:
    """Play (True), pause (False) or toggle (None)."""
    effects = (WALK,)
    playing: bool | None = None


@dataclass(frozen=True)
class StepWalk:
    """Move the position by whole filmstrip steps (negative: back), clamped to the walk."""
    effects = (WALK,)
    steps: int


@dataclass(frozen=True)
class SetWalkMode:
    effects = (WALK,)
    mode: str  # "once" | "loop" | "ping-pong"


@dataclass(frozen=True)
class SetWalkSpeed:
    effects = (WALK,)
    speed: float  # curve fractions per second


# -- classes and style (highlight edits are undoable) -------------------------------------------


@dataclass(frozen=True)
class Highlight:
    """Show these classes and dim the rest (() dims every class); None: every class shown."""
    effects = (HIGHLIGHT,)
    undoable = True
    classes: tuple[int, ...] | None = None


@dataclass(frozen=True, eq=False)
class HighlightPoints:
    """Show these points and dim the others, as a dimmed class is (on top of the class highlight):
    `points` is a bool mask over every point or a sequence of point indices; `label` says what they
    are, for the legend ("search: 7", "x in [0.2, 0.5]"). `points=None` clears it."""
    effects = (HIGHLIGHT,)
    undoable = True
    points: object = None
    label: str = ""
    # Highlights in a row with the same non-empty key are one undo step: a search typed letter by
    # letter is undone as a whole, not a letter at a time.
    step_key: str = ""


@dataclass(frozen=True)
class CycleHighlight:
    """Everything -> class 0 alone -> class 1 alone -> ... -> everything."""
    effects = (HIGHLIGHT,)
    undoable = True
    step: int = 1


@dataclass(frozen=True)
class SetPointStyle:
    """Any of point size (pixels), axes, grid, the picker's CPU prefilter; None keeps the value."""
    effects = (STYLE,)
    point_size: float | None = None
    show_axes: bool | None = None
    show_grid: bool | None = None
    pick_prefilter: bool | None = None


@dataclass(frozen=True)
class SetClassColor:
    """Draw class `index` in `rgb` (floats in [0, 1]); None: back to the palette's colour."""
    effects = (STYLE,)
    index: int
    rgb: tuple[float, float, float] | None = None


@dataclass(frozen=True)
class SetColouring:
    """Colour the points by `source` ("class"; "latent:i"; "error", the reconstruction error;
    "density"; "factor:NAME", a generating factor the bundle stores; "column:NAME", a `--colour-by`
    column) and/or on `colour_map` ("viridis", "cividis"); None keeps it. A value still being
    computed colours the points when it is ready (tools/colouring.py)."""
    effects = (STYLE,)
    source: str | None = None
    colour_map: str | None = None


# -- the rest -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ShowPanels:
    """Show (True), hide (False) or toggle (None) the panels."""
    effects = (PANELS,)
    visible: bool | None = None


@dataclass(frozen=True)
class LoadModel:
    """Switch to another bundle in the background (the current one stays until it is ready)."""
    effects = (OPENS_FILES, SWITCHES_MODEL)
    name: str


@dataclass(frozen=True)
class SwitchLayout:
    """Show the points in another of the bundle's layouts ("" = the PCA view every model has): every
    point flies from where it is to its place in that layout (model/layout_tools.py handles it);
    `instant`: every point is there at once (the layout a run opens on)."""
    effects = (STYLE,)  # how the points are shown, like their size and colours; it reads only the bundle's own files
    name: str
    instant: bool = False


@dataclass(frozen=True)
class ComputeLayout:
    """Compute a new layout of the bundle (`method`: pca, umap or tsne, with its options) in a child
    process, stored under a fresh name (model/layout_tools.py; it appears in the list when done). The
    options' defaults are `latentwalk project`'s (vae/layouts.py)."""
    effects = (WRITES_FILES, STARTS_PROCESSES)
    method: str
    seed: int
    neighbors: int
    min_dist: float
    perplexity: float


@dataclass(frozen=True)
class CancelLayout:
    """Stop the layout being computed (nothing of it is stored)."""
    effects = (STARTS_PROCESSES,)


@dataclass(frozen=True)
class ApplySession:
    """A validated `session.Session` (already checked against the model): path, camera, highlight."""
    effects = (SWITCHES_MODEL, CAMERA, SELECT, PATH, WALK, HIGHLIGHT, STYLE)
    undoable = True
    session: object


@dataclass(frozen=True)
class Undo:
    effects = (PATH, HIGHLIGHT)


@dataclass(frozen=True)
class Redo:
    effects = (PATH, HIGHLIGHT)


# -- files: each runs the tool that owns the work (apply_files.py) ------------------------------


@dataclass(frozen=True)
class CompareModels:
    """Compare the current model with another bundle (a bundled name or a folder): the Weights panel."""
    effects = (OPENS_FILES,)
    model: str


@dataclass(frozen=True)
class SaveSession:
    """Save the session to the Session panel's file (Ctrl+S, its Save button); `replace`: over the file
    the last save kept (its Replace button); `autosave`: to the autosave file, if there is unsaved work
    (on quit)."""
    effects = (WRITES_FILES,)
    replace: bool = False
    autosave: bool = False


@dataclass(frozen=True)
class LoadSession:
    """Load the Session panel's file (Ctrl+O, Enter in its field, Load, a recent file); then ApplySession."""
    effects = (OPENS_FILES, SWITCHES_MODEL)


@dataclass(frozen=True)
class RestoreAutosave:
    """The answer to the offer of the last run's unsaved work: load it (True) or not; either way the
    autosave file is removed."""
    effects = (OPENS_FILES, WRITES_FILES, SWITCHES_MODEL)
    restore: bool


@dataclass(frozen=True)
class TakeScreenshot:
    """Save the window as a PNG (F12), or the 3-d view alone (Shift+F12); `path` where a remote asked."""
    effects = (SCREENSHOT,)
    ui: bool = True
    path: str | None = None


@dataclass(frozen=True)
class EncodePicture:
    """Place a picture file (dropped on the window) in the latent space: the Draw tools encode it."""
    effects = (OPENS_FILES, SELECT)
    file: str


@dataclass(frozen=True)
class StartRecording:
    """The Record dialog's Start: `latentwalk record` of the current walk, in a child process."""
    effects = (WRITES_FILES, STARTS_PROCESSES)


# Commands that Undo / Redo step through (those that declare `undoable`): edits of the path and of the
# highlighted classes.
UNDOABLE = tuple(value for value in tuple(globals().values())
                 if isinstance(value, type) and value.__module__ == __name__ and getattr(value, "undoable", False))
