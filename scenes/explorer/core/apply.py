"""The one place commands change the explorer: `apply(scene, command)`, called by the scene for each
queued command at the start of the update phase. Each handler changes the state and the objects
that mirror it (camera, point cloud highlight, guides, picker) and bumps the versions of the parts it
changed. A refused command (SceneError) changes nothing and leaves its one-line reason in
`scene.last_refusal` (and the command in `scene.refused`) until a command of its kind succeeds (any
path or highlight edit counts as one kind); undoable edits (commands.UNDOABLE) are recorded in `scene.history`.
"""
from __future__ import annotations

import math
from typing import Callable

import numpy as np

from latentwalk.scenes.errors import SceneError
from latentwalk.scenes.explorer.core import commands as c
from latentwalk.scenes.explorer.view.selection import nearest_in_direction, nearest_neighbours, next_control_point
from latentwalk.scenes.explorer.core.state import HOVER_REARM_PX, SOURCES
from latentwalk.scenes.explorer.core.undo import EditSnapshot

Handler = Callable[[object, object], None]
_HANDLERS: dict[type, Handler] = {}


def handles(*types: type):
    def register(fn: Handler) -> Handler:
        for kind in types:
            _HANDLERS[kind] = fn
        return fn
    return register


def apply(scene, command) -> bool:
    """Apply one command now; True if it applied, False if refused (reason in scene.last_refusal)."""
    handler = _HANDLERS.get(type(command))
    if handler is None:
        raise TypeError(f"not an explorer command: {command!r}")
    undoable = isinstance(command, c.UNDOABLE)
    before = snapshot(scene) if undoable else None
    model = scene.state.model.version
    try:
        handler(scene, command)
    except SceneError as exc:
        scene.last_refusal, scene.refused = str(exc), command
        return False
    if scene.refused is not None and _kind(scene.refused) == _kind(command):  # the same try succeeded
        scene.last_refusal = scene.refused = None
    if undoable and scene.state.model.version == model:  # a session that switched models starts afresh
        scene.history.record(before, snapshot(scene))
    return True


def _kind(command) -> object:
    return "edit" if isinstance(command, c.UNDOABLE) else type(command)


# -- the camera -------------------------------------------------------------------------------
def _view_moved(scene) -> None:
    scene.state.view.touch()


@handles(c.Orbit)
def _orbit(scene, cmd: c.Orbit) -> None:
    scene.camera.orbit(float(cmd.dx), float(cmd.dy))
    _view_moved(scene)


@handles(c.ArcballDrag)
def _arcball(scene, cmd: c.ArcballDrag) -> None:
    scene.camera.rotate_drag(cmd.start, cmd.end, scene.viewport)
    _view_moved(scene)


@handles(c.Zoom)
def _zoom(scene, cmd: c.Zoom) -> None:
    factor = float(cmd.factor)
    if not math.isfinite(factor) or factor <= 0:
        raise SceneError(f"zoom factor must be a positive number, got {cmd.factor!r}")
    at = cmd.at if cmd.at is not None else (scene.viewport[0] / 2, scene.viewport[1] / 2)
    steps = math.log(factor) / math.log(scene.camera.zoom_step)
    scene.camera.zoom(steps, at, scene.viewport, anchor=cmd.anchor)
    _view_moved(scene)


@handles(c.Pan)
def _pan(scene, cmd: c.Pan) -> None:
    scene.camera.pan_drag((float(cmd.dx), float(cmd.dy)), scene.viewport)
    _view_moved(scene)


@handles(c.ResetView)
def _reset(scene, cmd: c.ResetView) -> None:
    scene.camera.reset(animate=cmd.animate)
    _view_moved(scene)


@handles(c.FlyTo)
def _fly(scene, cmd: c.FlyTo) -> None:
    if sum(v is not None for v in (cmd.index, cmd.position, cmd.latent, cmd.pixel)) != 1:
        raise SceneError("fly to: give exactly one of a point index, a position, a latent and a pixel")
    if cmd.pixel is not None:
        index = scene.pick_at(tuple(int(v) for v in cmd.pixel))
        if index is None:
            return
        target = scene.positions[index]
    elif cmd.index is not None:
        target = scene.positions[_checked_index(scene, cmd.index)]
    elif cmd.latent is not None:
        target = scene.projection.to_3d(np.asarray(_checked_latent(scene, cmd.latent))[None])[0]
    else:
        target = np.asarray(cmd.position, np.float64)
        if target.shape != (3,) or not np.all(np.isfinite(target)):
            raise SceneError(f"fly to: a position is 3 finite numbers, got {cmd.position!r}")
    kwargs = {} if cmd.duration is None else {"duration": float(cmd.duration)}
    scene.camera.fly_to(np.asarray(target, np.float64), cmd.distance, **kwargs)
    _view_moved(scene)


@handles(c.SetCameraView)
def _camera_view(scene, cmd: c.SetCameraView) -> None:
    from latentwalk.engine.camera import CameraState

    camera = scene.camera
    camera.fov_y = math.radians(cmd.fov_degrees)
    orientation = np.array(cmd.orientation, np.float64)
    camera.goal = CameraState(np.array(cmd.target, np.float64), float(cmd.distance),
                              orientation / np.linalg.norm(orientation))
    camera.flight = None
    if cmd.snap:
        camera.snap()
    _view_moved(scene)


# -- pointer and selection --------------------------------------------------------------------
def _checked_index(scene, index) -> int:
    count = len(scene.positions)
    if isinstance(index, bool) or not isinstance(index, (int, np.integer)) or not 0 <= int(index) < count:
        raise SceneError(f"no point {index!r}: the model has {count:,} points (0 to {count - 1})")
    return int(index)


def _checked_latent(scene, latent) -> tuple[float, ...]:
    values = tuple(float(v) for v in latent)
    dim = scene.bundle.latent_dim
    if len(values) != dim or not all(math.isfinite(v) for v in values):
        raise SceneError(f"a latent is {dim} finite numbers, got {len(values)}: {values[:4]!r:.60}")
    return values


def take_output(scene, intent: str) -> None:
    """The person's latest intent ("selection" or "walk") takes the Output image (state.output_owner);
    a hover takes it back once the pointer moves on (`_pointer`)."""
    output = scene.state.output
    wanted = (intent, intent, scene.state.pointer.position)
    if (output.intent, output.chosen, output.yielded_at) != wanted:
        output.intent, output.chosen, output.yielded_at = wanted
        output.touch()


@handles(c.PointerMoved)
def _pointer(scene, cmd: c.PointerMoved) -> None:
    pointer, output = scene.state.pointer, scene.state.output
    position = None if cmd.position is None else (int(cmd.position[0]), int(cmd.position[1]))
    if position != pointer.position:
        pointer.position = position
        if position is None:
            pointer.hovered = None
        pointer.touch()
    if position is not None and output.intent != "hover":
        rest = output.yielded_at
        if rest is None or max(abs(position[0] - rest[0]), abs(position[1] - rest[1])) > HOVER_REARM_PX:
            output.intent = "hover"
            output.touch()


@handles(c.Select)
def _select(scene, cmd: c.Select) -> None:
    _set_selection(scene, cmd.index, cmd.latent, cmd.source, cmd.fly)


def _set_selection(scene, index, latent, source, fly, *, keep_chain: bool = False) -> None:
    if source not in SOURCES:
        raise SceneError(f"unknown selection source {source!r} (expected one of {', '.join(SOURCES)})")
    if index is not None and latent is not None:
        raise SceneError("select: give a point index or a latent, not both")
    if index is not None:
        index = _checked_index(scene, index)
    if latent is not None:
        latent = _checked_latent(scene, latent)
    selection = scene.state.selection
    if not keep_chain:
        selection.neighbor_anchor, selection.neighbor_rank = None, 0
    if (selection.index, selection.latent, selection.source) != (index, latent, source):
        selection.index, selection.latent, selection.source = index, latent, source
        selection.touch()
    if not selection.empty:  # a new selection is the latest intent, even of the point already selected
        take_output(scene, "selection")
    if fly and index is not None:
        scene.camera.fly_to(scene.positions[index])
        _view_moved(scene)
    elif fly and latent is not None:
        scene.camera.fly_to(scene.projection.to_3d(np.asarray(latent)[None])[0].astype(np.float64))
        _view_moved(scene)


def _reference_point(scene) -> int | None:
    state = scene.state
    return state.selection.index if state.selection.index is not None else state.pointer.hovered


@handles(c.SelectInDirection)
def _select_direction(scene, cmd: c.SelectInDirection) -> None:
    start = _reference_point(scene)
    projected = scene.camera.project(scene.positions, 1.0, scene.viewport)
    if start is None:  # from the middle of the view
        origin, exclude = np.array(scene.viewport, np.float64) / 2, None
    else:
        origin, exclude = projected.pixels[start], start
    found = nearest_in_direction(projected.pixels, projected.visible, origin, (cmd.dx, cmd.dy), exclude)
    if found is None:
        raise SceneError("no point on screen in that direction")
    _set_selection(scene, found, None, cmd.source, cmd.fly)


@handles(c.SelectNeighbor)
def _select_neighbor(scene, cmd: c.SelectNeighbor) -> None:
    selection = scene.state.selection
    anchor = selection.neighbor_anchor if selection.neighbor_anchor is not None else _reference_point(scene)
    if anchor is None:
        raise SceneError("select a point first: its neighbours are next")
    rank = selection.neighbor_rank + int(cmd.step)
    if rank <= 0:
        index = anchor
        rank = 0
    else:
        ranked = _ranked_neighbours(scene, anchor, rank)
        if len(ranked) < rank:
            raise SceneError("no further neighbour")
        index = int(ranked[rank - 1])
    _set_selection(scene, index, None, cmd.source, cmd.fly, keep_chain=True)
    selection.neighbor_anchor, selection.neighbor_rank = anchor, rank


def _ranked_neighbours(scene, anchor: int, count: int):
    """The `count` nearest points to `anchor`, itself excluded: from the model's neighbour index once
    it is built (~0.1 ms), else by brute force (20-40 ms at 1M points) while the first use starts the
    index's build in the background."""
    tools = getattr(scene, "neighbours", None)
    if tools is not None:
        tools.ensure_index()
        if tools.index is not None:
            return tools.index.query_index(anchor, count + 1).indices[1:]
    return nearest_neighbours(scene.bundle.latents, anchor, count)


@handles(c.SelectAlongWalk)
def _select_along_walk(scene, cmd: c.SelectAlongWalk) -> None:
    points = scene.path.points
    position = next_control_point([p.index for p in points], _reference_point(scene), int(cmd.step))
    if position is None:
        raise SceneError("the walk has no control points to step along")
    point = points[position]
    _set_selection(scene, point.index, point.coords, cmd.source, cmd.fly)


def snapshot(scene) -> EditSnapshot:
    path = scene.path
    return EditSnapshot(path.points, path.kind, path.closed, path.steps, scene.state.highlight.mask)


# the walk's, highlight's and the remaining commands' handlers register themselves on import
from latentwalk.scenes.explorer.core import apply_edits, apply_files  # noqa: E402,F401
