"""Handlers of the path, walk, highlight, style, panels, model, session and undo commands (the camera
and selection ones are in apply.py, which imports this module to register them)."""
from __future__ import annotations

import math

import numpy as np

from latentwalk.scenes.errors import SceneError
from latentwalk.scenes.explorer.core import commands as c
from latentwalk.scenes.explorer.core.apply import _checked_index, handles, snapshot, take_output
from latentwalk.scenes.explorer.core.undo import EditSnapshot


# -- the path ---------------------------------------------------------------------------------
@handles(c.AddControlPoint)
def _add(scene, cmd: c.AddControlPoint) -> None:
    path, state = scene.path, scene.state
    if cmd.index is not None and cmd.latent is not None:
        raise SceneError("add control point: give a point index or a latent, not both")
    if cmd.latent is not None:
        path.add_coords(cmd.latent, cmd.position)
        return
    index = cmd.index
    if index is None:
        index = state.pointer.hovered if state.pointer.hovered is not None else state.selection.index
        if index is None and state.selection.latent is not None:
            path.add_coords(state.selection.latent, cmd.position)
            return
        if index is None:
            raise SceneError("no point under the cursor or selected to add")
    path.add_index(index, cmd.position)


@handles(c.RemoveControlPoint)
def _remove(scene, cmd: c.RemoveControlPoint) -> None:
    scene.path.remove(cmd.position)


@handles(c.RemoveLastControlPoint)
def _remove_last(scene, cmd) -> None:
    if len(scene.path) == 0:
        raise SceneError("the path has no control points to remove")
    scene.path.remove(-1)


@handles(c.MoveControlPoint)
def _move(scene, cmd: c.MoveControlPoint) -> None:
    scene.path.move(cmd.position, cmd.offset)


@handles(c.ClearPath)
def _clear(scene, cmd) -> None:
    scene.path.clear()


@handles(c.SetInterpolation)
def _interpolation(scene, cmd: c.SetInterpolation) -> None:
    scene.path.kind = cmd.name


@handles(c.SetClosed)
def _closed(scene, cmd: c.SetClosed) -> None:
    scene.path.closed = bool(cmd.closed)


@handles(c.SetWalkSteps)
def _steps(scene, cmd: c.SetWalkSteps) -> None:
    scene.path.steps = cmd.steps


# -- the walk ---------------------------------------------------------------------------------
def _walk_moved(scene, *, intent: bool = True) -> None:
    """Scrubbing, stepping, playing or pausing the walk takes the Output image; its mode and speed do not."""
    scene.state.walk.position_version += 1
    if intent:
        take_output(scene, "walk")


@handles(c.SetWalkT)
def _walk_t(scene, cmd: c.SetWalkT) -> None:
    t = float(cmd.t)
    if math.isnan(t):
        raise SceneError("walk position: t is not a number")
    scene.path.traversal.seek(t)
    _walk_moved(scene)


@handles(c.PlayWalk)
def _play(scene, cmd: c.PlayWalk) -> None:
    walk = scene.path.traversal
    if cmd.playing is None:
        walk.toggle()
    elif cmd.playing:
        walk.play()
    else:
        walk.pause()
    _walk_moved(scene)


@handles(c.StepWalk)
def _step_walk(scene, cmd: c.StepWalk) -> None:
    walk = scene.path.traversal
    walk.jump_to_step(walk.step_index + int(cmd.steps))
    _walk_moved(scene)


@handles(c.SetWalkMode)
def _mode(scene, cmd: c.SetWalkMode) -> None:
    scene.path.traversal.mode = cmd.mode
    _walk_moved(scene, intent=False)


@handles(c.SetWalkSpeed)
def _speed(scene, cmd: c.SetWalkSpeed) -> None:
    scene.path.traversal.speed = cmd.speed
    _walk_moved(scene, intent=False)


# -- classes and style ------------------------------------------------------------------------
def set_highlight_mask(scene, mask) -> None:
    mask = tuple(bool(v) for v in mask)
    highlight = scene.state.highlight
    if mask != highlight.mask:
        highlight.mask = mask
        scene.cloud.set_highlight(np.array(mask, bool))
        highlight.touch()


@handles(c.Highlight)
def _highlight(scene, cmd: c.Highlight) -> None:
    count = len(scene.bundle.class_names)
    if cmd.classes is None:
        set_highlight_mask(scene, [True] * count)
        return
    classes = tuple(cmd.classes)
    for value in classes:
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not 0 <= value < count:
            raise SceneError(f"no class {value!r}: the model has {count} classes")
    set_highlight_mask(scene, [i in classes for i in range(count)])


@handles(c.CycleHighlight)
def _cycle(scene, cmd: c.CycleHighlight) -> None:
    count = len(scene.bundle.class_names)
    classes = scene.state.highlight.classes or ()
    # 0 stands for "every class", k for class k - 1 alone
    current = classes[0] + 1 if len(classes) == 1 else 0
    following = (current + int(cmd.step)) % (count + 1)
    set_highlight_mask(scene, [True] * count if following == 0 else [i == following - 1 for i in range(count)])


@handles(c.SetPointStyle)
def _style(scene, cmd: c.SetPointStyle) -> None:
    style = scene.state.style
    wanted = {name: getattr(cmd, name) for name in ("point_size", "show_axes", "show_grid", "pick_prefilter")
              if getattr(cmd, name) is not None}
    if "point_size" in wanted:
        size = float(wanted["point_size"])
        if not math.isfinite(size) or size <= 0:
            raise SceneError(f"point size must be a positive number, got {cmd.point_size!r}")
        wanted["point_size"] = size
    changed = {k: v for k, v in wanted.items() if getattr(style, k) != v}
    for name, value in changed.items():
        setattr(style, name, type(getattr(style, name))(value))
    if changed:
        scene.mirror_style()
        style.touch()


@handles(c.SetClassColor)
def _class_color(scene, cmd: c.SetClassColor) -> None:
    from latentwalk.scenes.explorer.view.palette import class_colors

    count = len(scene.bundle.class_names)
    if not isinstance(cmd.index, int) or not 0 <= cmd.index < count:
        raise SceneError(f"class {cmd.index!r} is out of range: the model has {count} classes")
    overrides = scene.state.style.class_colors
    if cmd.rgb is None:
        overrides.pop(cmd.index, None)
    else:
        rgb = tuple(float(v) for v in cmd.rgb)
        if len(rgb) != 3 or not all(math.isfinite(v) and 0.0 <= v <= 1.0 for v in rgb):
            raise SceneError(f"a class colour is three numbers in [0, 1], got {cmd.rgb!r}")
        overrides[cmd.index] = rgb
    scene.class_colors = class_colors(count, overrides)
    scene.cloud.set_colors(scene.class_colors)
    scene.state.style.touch()


# -- the rest ---------------------------------------------------------------------------------
@handles(c.ShowPanels)
def _panels(scene, cmd: c.ShowPanels) -> None:
    ui = scene.state.ui
    visible = (not ui.panels_visible) if cmd.visible is None else bool(cmd.visible)
    if visible != ui.panels_visible:
        ui.panels_visible = visible
        ui.touch()


@handles(c.LoadModel)
def _load_model(scene, cmd: c.LoadModel) -> None:
    scene.request_model(cmd.name)


@handles(c.ApplySession)
def _session(scene, cmd: c.ApplySession) -> None:
    """The session was validated against its model by SessionIO; switching models here may still
    fail (SceneError), and then nothing has changed."""
    from latentwalk.scenes.explorer.session.session import model_reference

    session = cmd.session
    if session.model != model_reference(scene.bundle.path) and not scene.load_model(session.model):
        raise SceneError(scene.state.model.error or f"{session.model}: cannot load this model")
    scene.path.apply_session(session)
    view = session.camera
    _apply_now(scene, c.SetCameraView(view.target, view.distance, view.orientation, view.fov_degrees))
    _apply_now(scene, c.Highlight(tuple(session.highlighted_classes) or None))  # []: no highlighting
    if session.style is not None:  # a version 2 file: its style and selection too
        style = session.style
        _apply_now(scene, c.SetPointStyle(style.point_size, style.show_axes, style.show_grid))
        point = session.selection
        _apply_now(scene, c.Select(None if point is None else point.index, source="session",
                                   latent=None if point is None else point.coords))
    scene.state.walk.position_version += 1
    if session.style is None or session.selection is None:  # its walk shows, unless it selected a point
        take_output(scene, "walk")


def _apply_now(scene, command) -> None:
    from latentwalk.scenes.explorer.core.apply import _HANDLERS

    _HANDLERS[type(command)](scene, command)


def _restore(scene, target: EditSnapshot) -> None:
    scene.path.restore_edit(target.points, target.kind, target.closed, target.steps)
    set_highlight_mask(scene, target.mask)


@handles(c.Undo)
def _undo(scene, cmd) -> None:
    target = scene.history.undo(snapshot(scene))
    if target is None:
        raise SceneError("nothing to undo")
    _restore(scene, target)


@handles(c.Redo)
def _redo(scene, cmd) -> None:
    target = scene.history.redo(snapshot(scene))
    if target is None:
        raise SceneError("nothing to redo")
    _restore(scene, target)


__all__ = ["set_highlight_mask", "_checked_index"]
