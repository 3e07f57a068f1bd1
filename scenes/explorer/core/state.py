"""The explorer's state: one typed object that every driver changes through commands only.

`ExplorerState` groups what a frame shows into parts; each part has a `version` that the apply
function (scenes/explorer/core/apply.py) bumps whenever a command changes it. Redraw, idle skipping and
the cached 3-d layer compare versions, never hashed copies of the state.

Read it anywhere (`scene.state`); change it only through commands: drivers `scene.submit(command)`,
and the scene applies the few it makes itself (core/scene_commands.py) through the same apply().

Parts:
- `view`: the camera goal lives in the scene's `OrbitCamera` (it also owns the damped current
  state and the timed flight, `camera.flight`); `view.version` moves whenever what the camera shows
  moves (a goal set, a fixed step that moved it, a resize).
- `pointer`: where the mouse is (None: not over the 3-d view) and the point under it (`hovered`).
- `selection`: a point (data-set `index`) or a free latent (`latent`, a gamepad cursor, a drawn
  digit) and who set it (`source`, one of SOURCES).
- `highlight`: per class, shown (True) or dimmed (False); and `points`, a per-point mask with a label
  (a search's matches, a range of a colour's values) that dims the points outside it as well.
- `style`: point size, axes, grid.
- `walk`: the `WalkPath` (control points, interpolation, closed, steps) and its `Traversal`
  (t, playing, mode, speed); `walk.version` (curve) and `walk.position_version` (t) move apart.
- `intent`: what the person last meant the Output image to show (`latest`, `chosen`), which commands
  set in apply, read by the rule in `output_owner`. Whose image is on screen, and its caption, is the
  prepare phase's finding (model/outputs.py, `OutputImages.shown_owner`), not state.
- `ui`: panels shown or hidden.
- `model`: which bundle is installed (`version` moves on each install) and why the last load failed;
  what the install uploaded (points, projection, guides) is `scene.installed` (model/install.py).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

# Who set the selection (or claims the Output image).
SOURCES = ("pointer", "keyboard", "gamepad", "tour", "walk", "draw", "session", "remote")  # remote: OSC, MIDI
# What the Output image can show. The most recent intent wins: moving the pointer (hover), selecting
# (any source: a click, keys, the tour, the gamepad cursor, a drawing), or scrubbing, stepping, playing
# or pausing the walk. Playback's own steps are no new intent: they carry on the Play that was one.
OUTPUT_OWNERS = ("hover", "selection", "walk")
# After a selection or the walk took the Output, the pointer must move this far (window pixels, either
# axis) to hover again: a hand resting on the mouse while pressing Space does not take the image back.
HOVER_REARM_PX = 6


@dataclass
class Part:
    """A piece of state with its own change counter."""
    version: int = 0

    def touch(self) -> None:
        self.version += 1


@dataclass
class ViewState(Part):
    """Moves with what the camera shows; the camera itself (goal, damping, flights) is `scene.camera`."""


@dataclass
class PointerState(Part):
    position: tuple[int, int] | None = None  # window pixels; None: not over the 3-d view
    hovered: int | None = None  # the data-set point drawn under it


@dataclass
class SelectionState(Part):
    index: int | None = None
    latent: tuple[float, ...] | None = None  # a free point in latent space (gamepad cursor, drawing)
    source: str | None = None
    # SelectNeighbor walks the neighbours of one point: which, and how far down its list it is
    neighbor_anchor: int | None = None
    neighbor_rank: int = 0

    @property
    def empty(self) -> bool:
        return self.index is None and self.latent is None


@dataclass(frozen=True, eq=False)
class PointMask:
    """Points shown (True) or dimmed, one bool per point (read-only), and what they are, in words
    for the legend. Replaced whole, never edited: undo compares masks by identity."""
    shown: np.ndarray
    label: str

    @property
    def count(self) -> int:
        return int(np.count_nonzero(self.shown))


@dataclass
class HighlightState(Part):
    mask: tuple[bool, ...] = ()  # per class; all True: nothing dimmed
    points: PointMask | None = None  # per point, on top of the classes; None: no point dimmed by it

    @property
    def classes(self) -> tuple[int, ...] | None:
        """The highlighted classes; None when every class is shown (no highlighting in effect)."""
        if all(self.mask):
            return None
        return tuple(i for i, shown in enumerate(self.mask) if shown)

    def as_array(self) -> np.ndarray:
        return np.array(self.mask, bool)


@dataclass
class StyleState(Part):
    point_size: float = 4.0
    show_axes: bool = True
    show_grid: bool = True
    pick_prefilter: bool = True  # the picker's CPU prefilter (a Stats panel switch)
    class_colors: dict = field(default_factory=dict)  # class index -> user-chosen rgb (palette.py)


@dataclass
class WalkState:
    """`path` is the pure walk state (scenes/explorer/walk/path.py: control points, interpolation, closed,
    steps, and its `traversal`: t, playing, mode, speed). `version` is the path's own (curve edits);
    `position_version` moves with t, playing, mode and speed."""
    path: object = None  # WalkPath (typed loosely: path.py imports session.py, which is heavier)
    position_version: int = 0

    @property
    def version(self) -> int:
        return -1 if self.path is None else self.path.version

    @property
    def t(self) -> float:
        return self.path.traversal.t

    @property
    def playing(self) -> bool:
        return self.path.traversal.playing


@dataclass
class IntentState(Part):
    latest: str = "selection"  # the person's latest intent: "hover", "selection" or "walk"
    chosen: str = "selection"  # the latest that was not a hover: what Output falls back to when a hover ends
    yielded_at: tuple[int, int] | None = None  # the pointer when a selection or the walk last took over


@dataclass
class UiState(Part):
    panels_visible: bool = True


@dataclass
class ModelState(Part):
    bundle: object = None  # the installed Bundle
    error: str | None = None  # why the last load failed (one line)


@dataclass
class ExplorerState:
    view: ViewState = field(default_factory=ViewState)
    pointer: PointerState = field(default_factory=PointerState)
    selection: SelectionState = field(default_factory=SelectionState)
    highlight: HighlightState = field(default_factory=HighlightState)
    style: StyleState = field(default_factory=StyleState)
    walk: WalkState = field(default_factory=WalkState)
    intent: IntentState = field(default_factory=IntentState)
    ui: UiState = field(default_factory=UiState)
    model: ModelState = field(default_factory=ModelState)

    def versions(self) -> tuple[int, ...]:
        """Every part's version (and the walk's position): equal tuples mean nothing was changed."""
        return (self.view.version, self.pointer.version, self.selection.version, self.highlight.version,
                self.style.version, self.walk.version, self.walk.position_version, self.intent.version,
                self.ui.version, self.model.version)


def output_owner(state: ExplorerState, walk_has_image: bool) -> str | None:
    """The Output image's owner: the most recent intent that has something to show. A hover owns
    while it is the latest intent and a point is under the pointer; otherwise the latest of the
    selection and the walk (`chosen`), else the other one; a hovered point when neither has anything."""
    intent, hovered = state.intent, state.pointer.hovered is not None
    if hovered and intent.latest == "hover":
        return "hover"
    available = {"selection": not state.selection.empty, "walk": walk_has_image}
    other = "walk" if intent.chosen == "selection" else "selection"
    for owner in (intent.chosen, other):
        if available[owner]:
            return owner
    return "hover" if hovered else None


def shown_word(owner: str | None, source: str | None = None) -> str:
    """How the Output and Neighbours panels both name what they show: "hovered", "walk", or for a
    selection who made it ("selected" by a click or keys, "drawn", "gamepad", "tour")."""
    if owner == "hover":
        return "hovered"
    if owner == "walk":
        return "walk"
    return SELECTION_WORDS.get(source, "selected")


SELECTION_WORDS = {"draw": "drawn", "gamepad": "gamepad", "tour": "tour"}
