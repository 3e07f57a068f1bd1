"""The one place commands change the explorer: `apply(scene, command)`. The scene drains its queue
through it (scene.py says when), and applies the few commands it makes itself through it too (the
held-key orbit, and scene_commands.py: a model installed, the pick, the fixed step, a resize). Each handler changes the state and the objects that mirror it (camera,
point cloud highlight, guides, picker) and bumps the versions of the parts it changed. A refused
command (SceneError) changes nothing and leaves its one-line reason in `scene.last_refusal` (and the
command in `scene.refused`) until a command of its kind succeeds (any path or highlight edit counts as
one kind); undoable edits (commands.UNDOABLE) are recorded in `scene.history`.

The handlers live here (camera, pointer, selection, and ApplySession, whose parts are commands), in
apply_edits.py (path, walk, highlight, style, panels, model, undo) and in apply_files.py (the commands
that open or write files or start programs); all register in handlers.py, and none imports this module.
"""
from __future__ import annotations

import math

import numpy as np

from latentwalk.engine.camera import CameraState
from latentwalk.scenes.errors import SceneError
from latentwalk.scenes.explorer.core import apply_edits, apply_files  # noqa: F401  (register the remaining handlers)
from latentwalk.scenes.explorer.core import commands as c
from latentwalk.scenes.explorer.core.handlers import (HANDLERS, check_classes, check_index, check_latent,
                                                      check_point_size, handles, latent_at_place, take_output,
                                                      view_moved)
from latentwalk.scenes.explorer.core.scene_commands import FixedStep, PointHovered, ViewportResized
from latentwalk.scenes.explorer.core.state import HOVER_REARM_PX, SOURCES
from latentwalk.scenes.explorer.core.undo import snapshot
from latentwalk.scenes.explorer.model import install
from latentwalk.scenes.explorer.view.selection import nearest_in_direction, nearest_neighbours, next_control_point


def apply(scene, command, *, part_of=None) -> bool:
    """Apply one command now; True if it applied, False if refused (reason in scene.last_refusal).
    `part_of`: the composite command (ApplySession) this one is a part of: a refusal is then the
    whole command's (SceneError propagates) and the whole command is one undo step."""
    handler = HANDLERS.get(type(command))
    if handler is None:
        raise TypeError(f"not an explorer command: {command!r}")
    if part_of is not None:
        handler(scene, command)
        return True
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
        scene.history.record(before, snapshot(scene), getattr(command, "step_key", ""))
    return True


def _kind(command) -> object:
    return "edit" if isinstance(command, c.UNDOABLE) else type(command)


# -- the camera -------------------------------------------------------------------------------
@handles(c.Orbit)
def _orbit(scene, cmd: c.Orbit) -> None:
    scene.camera.orbit(float(cmd.dx), float(cmd.dy))
    view_moved(scene)


@handles(c.ArcballDrag)
def _arcball(scene, cmd: c.ArcballDrag) -> None:
    scene.camera.rotate_drag(cmd.start, cmd.end, scene.viewport)
    view_moved(scene)


@handles(c.Zoom)
def _zoom(scene, cmd: c.Zoom) -> None:
    factor = float(cmd.factor)
    if not math.isfinite(factor) or factor <= 0:
        raise SceneError(f"zoom factor must be a positive number, got {cmd.factor!r}")
    at = cmd.at if cmd.at is not None else (scene.viewport[0] / 2, scene.viewport[1] / 2)
    steps = math.log(factor) / math.log(scene.camera.zoom_step)
    scene.camera.zoom(steps, at, scene.viewport, anchor=cmd.anchor)
    view_moved(scene)


@handles(c.Pan)
def _pan(scene, cmd: c.Pan) -> None:
    scene.camera.pan_drag((float(cmd.dx), float(cmd.dy)), scene.viewport)
    view_moved(scene)


@handles(c.ResetView)
def _reset(scene, cmd: c.ResetView) -> None:
    scene.camera.reset(animate=cmd.animate)
    view_moved(scene)


@handles(c.FlyTo)
def _fly(scene, cmd: c.FlyTo) -> None:
    if sum(v is not None for v in (cmd.index, cmd.position, cmd.latent, cmd.pixel)) != 1:
        raise SceneError("fly to: give exactly one of a point index, a position, a latent and a pixel")
    if cmd.pixel is not None:
        index = scene.pick_at(tuple(int(v) for v in cmd.pixel))
        if index is None:
            return
        target = scene.installed.positions[index]
    elif cmd.index is not None:
        target = scene.installed.positions[_checked_index(scene, cmd.index)]
    elif cmd.latent is not None:
        target = scene.installed.projection.to_3d(np.asarray(_checked_latent(scene, cmd.latent))[None])[0]
    else:
        target = np.asarray(cmd.position, np.float64)
        if target.shape != (3,) or not np.all(np.isfinite(target)):
            raise SceneError(f"fly to: a position is 3 finite numbers, got {cmd.position!r}")
    kwargs = {} if cmd.duration is None else {"duration": float(cmd.duration)}
    scene.camera.fly_to(np.asarray(target, np.float64), cmd.distance, **kwargs)
    view_moved(scene)


@handles(c.SetCameraView)
def _camera_view(scene, cmd: c.SetCameraView) -> None:
    camera = scene.camera
    camera.fov_y = math.radians(cmd.fov_degrees)
    orientation = np.array(cmd.orientation, np.float64)
    camera.goal = CameraState(np.array(cmd.target, np.float64), float(cmd.distance),
                              orientation / np.linalg.norm(orientation))
    camera.flight = None
    if cmd.snap:
        camera.snap()
    view_moved(scene)


@handles(ViewportResized)
def _resized(scene, cmd: ViewportResized) -> None:
    scene.viewport = (max(1, int(cmd.size[0])), max(1, int(cmd.size[1])))
    if scene.picker is not None:
        scene.picker.resize(*scene.viewport)
    view_moved(scene)


@handles(FixedStep)
def _fixed_step(scene, cmd: FixedStep) -> None:
    camera = scene.camera
    camera.update(cmd.dt)
    if camera.is_moving:  # a flight, damping: no input, yet every frame shows a new view
        view_moved(scene)
        if scene.app is not None:
            scene.app.frames.request()
    if scene.layouts is not None:  # a layout flight's step: the points, and the walk among them
        scene.layouts.step(cmd.dt)
    path = scene.state.walk.path
    before = (path.traversal.t, path.traversal.playing)
    path.update(cmd.dt)
    if (path.traversal.t, path.traversal.playing) != before:
        scene.state.walk.position_version += 1


# -- pointer and selection --------------------------------------------------------------------
def _checked_index(scene, index) -> int:
    return check_index(index, len(scene.installed.positions))


def _checked_latent(scene, latent) -> tuple[float, ...]:
    return check_latent(latent, scene.bundle.latent_dim)


@handles(c.PointerMoved)
def _pointer(scene, cmd: c.PointerMoved) -> None:
    pointer, intent = scene.state.pointer, scene.state.intent
    position = None if cmd.position is None else (int(cmd.position[0]), int(cmd.position[1]))
    if position != pointer.position:
        pointer.position = position
        if position is None:
            pointer.hovered = None
        pointer.touch()
    if position is not None and intent.latest != "hover":
        rest = intent.yielded_at
        if rest is None or max(abs(position[0] - rest[0]), abs(position[1] - rest[1])) > HOVER_REARM_PX:
            intent.latest = "hover"
            intent.touch()


@handles(PointHovered)
def _hovered(scene, cmd: PointHovered) -> None:
    pointer = scene.state.pointer
    if cmd.index != pointer.hovered:
        pointer.hovered = cmd.index
        pointer.touch()


@handles(c.Select)
def _select(scene, cmd: c.Select) -> None:
    latent = cmd.latent
    if cmd.place is not None:
        if cmd.index is not None or cmd.latent is not None:
            raise SceneError("select: give a point index, a latent or a place, only one")
        latent = latent_at_place(scene, cmd.place)
    _set_selection(scene, cmd.index, latent, cmd.source, cmd.fly)


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
        scene.camera.fly_to(scene.installed.positions[index])
        view_moved(scene)
    elif fly and latent is not None:
        scene.camera.fly_to(scene.installed.projection.to_3d(np.asarray(latent)[None])[0].astype(np.float64))
        view_moved(scene)


def _reference_point(scene) -> int | None:
    state = scene.state
    return state.selection.index if state.selection.index is not None else state.pointer.hovered


@handles(c.SelectInDirection)
def _select_direction(scene, cmd: c.SelectInDirection) -> None:
    start = _reference_point(scene)
    projected = scene.camera.project(scene.installed.positions, 1.0, scene.viewport)
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
    tools = scene.neighbours
    if tools is not None:
        tools.ensure_index()
        if tools.index is not None:
            return tools.index.query_index(anchor, count + 1).indices[1:]
    return nearest_neighbours(scene.bundle.latents, anchor, count)


@handles(c.SelectAlongWalk)
def _select_along_walk(scene, cmd: c.SelectAlongWalk) -> None:
    points = scene.state.walk.path.points
    position = next_control_point([p.index for p in points], _reference_point(scene), int(cmd.step))
    if position is None:
        raise SceneError("the walk has no control points to step along")
    point = points[position]
    _set_selection(scene, point.index, point.coords, cmd.source, cmd.fly)


# -- sessions ---------------------------------------------------------------------------------
@handles(c.ApplySession)
def _session(scene, cmd: c.ApplySession) -> None:
    """Everything is checked before anything changes: the session's model is loaded (not installed)
    and every part is checked against it, so a refused session leaves model, walk and camera as they
    were. Then the parts apply as commands (InstallModel, SetCameraView, Highlight, SetPointStyle,
    Select) and the path takes the session's walk; the whole session is one undo step."""
    from latentwalk.scenes.explorer.session.session import model_reference

    session = cmd.session
    switch = None
    if session.model != model_reference(scene.bundle.path):
        switch = install.prepare_now(scene, session.model)
        if switch.prepared is None:
            raise SceneError(switch.error or f"{session.model}: cannot load this model")
    bundle = scene.bundle if switch is None else switch.prepared.bundle
    parts = _session_parts(session, len(bundle.latents), bundle.latent_dim, len(bundle.class_names))
    if switch is not None:
        apply(scene, switch, part_of=cmd)
    scene.state.walk.path.apply_session(session)
    for part in parts:
        apply(scene, part, part_of=cmd)
    scene.state.walk.position_version += 1
    if session.style is None or session.selection is None:  # its walk shows, unless it selected a point
        take_output(scene, "walk")


def _session_parts(session, n_points: int, dim: int, n_classes: int) -> list:
    """The session's commands, each checked against a model of these sizes (SceneError: refused)."""
    from latentwalk.scenes.explorer.walk.path import check_session

    check_session(session, n_points, dim)
    view = session.camera
    parts = [c.SetCameraView(view.target, view.distance, view.orientation, view.fov_degrees),
             c.Highlight(check_classes(session.highlighted_classes, n_classes) or None)]  # []: no highlighting
    if session.style is not None:  # a version 2 file: its style and selection too
        style, point = session.style, session.selection
        parts.append(c.SetPointStyle(check_point_size(style.point_size), style.show_axes, style.show_grid))
        if point is not None and point.index is not None:
            check_index(point.index, n_points)
        elif point is not None:
            check_latent(point.coords, dim)
        parts.append(c.Select(None if point is None else point.index, source="session",
                              latent=None if point is None else point.coords))
    return parts
