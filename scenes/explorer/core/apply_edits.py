"""Handlers of the path, walk, highlight, style, panels, model and undo commands (the camera,
selection and session ones are in apply.py, which imports this module so they all register)."""
from __future__ import annotations

import math

import numpy as np

from latentwalk.scenes.errors import SceneError
from latentwalk.scenes.explorer.core import commands as c
from latentwalk.scenes.limits import MAX_CONTROL_POINTS
from latentwalk.scenes.explorer.core.handlers import (check_classes, check_point_size, handles, latent_at_place,
                                                      take_output)
from latentwalk.scenes.explorer.core.scene_commands import InstallModel
from latentwalk.scenes.explorer.core.state import PointMask
from latentwalk.scenes.explorer.core.undo import EditSnapshot, snapshot
from latentwalk.scenes.explorer.model import install
from latentwalk.scenes.explorer.tools.colouring import check_colour_map
from latentwalk.scenes.explorer.view.palette import class_colors


# -- the path ---------------------------------------------------------------------------------
@handles(c.AddControlPoint)
def _add(scene, cmd: c.AddControlPoint) -> None:
    path, state = scene.state.walk.path, scene.state
    if sum(value is not None for value in (cmd.index, cmd.latent, cmd.place)) > 1:
        raise SceneError("add control point: give a point index, a latent or a place, only one")
    if len(path.points) >= MAX_CONTROL_POINTS:  # as many as a session may hold, so every walk can be saved
        raise SceneError(f"a walk holds at most {MAX_CONTROL_POINTS:,} control points")
    if cmd.latent is not None or cmd.place is not None:
        path.add_coords(cmd.latent if cmd.place is None else latent_at_place(scene, cmd.place), cmd.position)
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
    scene.state.walk.path.remove(cmd.position)


@handles(c.RemoveLastControlPoint)
def _remove_last(scene, cmd) -> None:
    if len(scene.state.walk.path) == 0:
        raise SceneError("the path has no control points to remove")
    scene.state.walk.path.remove(-1)


@handles(c.MoveControlPoint)
def _move(scene, cmd: c.MoveControlPoint) -> None:
    scene.state.walk.path.move(cmd.position, cmd.offset)


@handles(c.ClearPath)
def _clear(scene, cmd) -> None:
    scene.state.walk.path.clear()


@handles(c.SetInterpolation)
def _interpolation(scene, cmd: c.SetInterpolation) -> None:
    scene.state.walk.path.kind = cmd.name


@handles(c.SetClosed)
def _closed(scene, cmd: c.SetClosed) -> None:
    scene.state.walk.path.closed = bool(cmd.closed)


@handles(c.SetWalkSteps)
def _steps(scene, cmd: c.SetWalkSteps) -> None:
    scene.state.walk.path.steps = cmd.steps


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
    scene.state.walk.path.traversal.seek(t)
    _walk_moved(scene)


@handles(c.PlayWalk)
def _play(scene, cmd: c.PlayWalk) -> None:
    traversal = scene.state.walk.path.traversal
    if cmd.playing is None:
        traversal.toggle()
    elif cmd.playing:
        traversal.play()
    else:
        traversal.pause()
    _walk_moved(scene)


@handles(c.StepWalk)
def _step_walk(scene, cmd: c.StepWalk) -> None:
    traversal = scene.state.walk.path.traversal
    traversal.jump_to_step(traversal.step_index + int(cmd.steps))
    _walk_moved(scene)


@handles(c.SetWalkMode)
def _mode(scene, cmd: c.SetWalkMode) -> None:
    scene.state.walk.path.traversal.mode = cmd.mode
    _walk_moved(scene, intent=False)


@handles(c.SetWalkSpeed)
def _speed(scene, cmd: c.SetWalkSpeed) -> None:
    scene.state.walk.path.traversal.speed = cmd.speed
    _walk_moved(scene, intent=False)


# -- classes and style ------------------------------------------------------------------------
def set_highlight_mask(scene, mask) -> None:
    mask = tuple(bool(v) for v in mask)
    highlight = scene.state.highlight
    if mask != highlight.mask:
        highlight.mask = mask
        scene.installed.cloud.set_highlight(np.array(mask, bool))
        highlight.touch()


@handles(c.Highlight)
def _highlight(scene, cmd: c.Highlight) -> None:
    count = len(scene.bundle.class_names)
    if cmd.classes is None:
        set_highlight_mask(scene, [True] * count)
        return
    classes = check_classes(cmd.classes, count)
    set_highlight_mask(scene, [i in classes for i in range(count)])


def point_mask_of(points, count: int) -> np.ndarray:
    """HighlightPoints' `points` as a read-only bool mask over `count` points: a bool mask of that
    length, or point indices (SceneError in one line otherwise)."""
    values = np.asarray(points)
    if values.dtype == bool:
        if values.shape != (count,):
            raise SceneError(f"a point mask has one bool per point ({count:,}), got shape {values.shape}")
        mask = values.copy()
    else:
        if values.ndim != 1 or (values.size and values.dtype.kind not in "iu"):
            raise SceneError(f"highlight points: a bool mask or point indices, got {values.dtype} {values.shape}")
        values = values.astype(np.int64)
        if values.size and (values.min() < 0 or values.max() >= count):
            raise SceneError(f"highlight points: indices run from 0 to {count - 1}, got {values.min()} to {values.max()}")
        mask = np.zeros(count, bool)
        mask[values] = True
    mask.flags.writeable = False
    return mask


def set_point_mask(scene, points) -> None:
    """state.highlight.points := `points` (a PointMask or None), mirrored to the cloud."""
    highlight = scene.state.highlight
    if points is not highlight.points:
        highlight.points = points
        scene.mirror_point_style()
        highlight.touch()


@handles(c.HighlightPoints)
def _highlight_points(scene, cmd: c.HighlightPoints) -> None:
    current = scene.state.highlight.points
    if cmd.points is None:
        set_point_mask(scene, None)
        return
    mask = point_mask_of(cmd.points, len(scene.bundle.labels))
    label = str(cmd.label)
    if current is not None and current.label == label and np.array_equal(current.shown, mask):
        return  # the same highlight: no undo step
    set_point_mask(scene, PointMask(mask, label))


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
        wanted["point_size"] = check_point_size(wanted["point_size"])
    changed = {k: v for k, v in wanted.items() if getattr(style, k) != v}
    for name, value in changed.items():
        setattr(style, name, type(getattr(style, name))(value))
    if changed:
        scene.mirror_style()
        style.touch()


@handles(c.SetClassColor)
def _class_color(scene, cmd: c.SetClassColor) -> None:
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
    scene.installed.cloud.set_colors(class_colors(count, overrides))
    scene.state.style.touch()


@handles(c.SetColouring)
def _colouring(scene, cmd: c.SetColouring) -> None:
    style = scene.state.style
    source = style.colour_by if cmd.source is None else str(cmd.source)
    colour_map = style.colour_map if cmd.colour_map is None else check_colour_map(cmd.colour_map)
    scene.colouring.check(source)
    if (source, colour_map) == (style.colour_by, style.colour_map):
        return
    style.colour_by, style.colour_map = source, colour_map
    scene.colouring.ensure(source)
    scene.mirror_point_style()
    style.touch()


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
    install.request_model(scene, cmd.name)


@handles(InstallModel)
def _install_model(scene, cmd: InstallModel) -> None:
    if cmd.prepared is None:
        install.set_error(scene, cmd.error)
    else:
        install.install(scene, cmd.prepared)


def _restore(scene, target: EditSnapshot) -> None:
    scene.state.walk.path.restore_edit(target.points, target.kind, target.closed, target.steps)
    set_highlight_mask(scene, target.mask)
    set_point_mask(scene, target.point_mask)


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


@handles(c.SwitchLayout)
def _switch_layout(scene, cmd: c.SwitchLayout) -> None:
    scene.layouts.switch(cmd.name, instant=cmd.instant)  # model/layout_tools.py: the flight, in the fixed step
