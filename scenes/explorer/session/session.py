"""Session files: what a person set up in the explorer, saved as versioned JSON and loaded back.

Layout (version 2; every key is required, no other key is allowed):
```
{"format": "latentwalk-session", "version": 2,
 "model": "mnist" | "/path/to/bundle",
 "control_points": [{"index": 12}, {"coords": [0.1, -2.0]}, ...],
 "curve": {"kind": "catmull-rom" | "linear" | "slerp", "closed": false, "steps": 100},
 "camera": {"target": [x, y, z], "distance": 3.0, "orientation": [w, x, y, z], "fov_degrees": 45.0},
 "highlighted_classes": [0, 3],
 "traversal": {"t": 0.5, "mode": "once" | "loop" | "ping-pong", "speed": 0.25, "playing": false},
 "selection": null | {"index": 7} | {"coords": [0.3, 1.2]},
 "style": {"point_size": 4.0, "show_axes": true, "show_grid": true}}
```
A session is the explorer state's serialization (scenes/explorer/core/state.py): the walk, the camera goal,
the highlighted classes, the selection and the point style. Version 1 files (without "selection" and
"style") still load; they leave the selection and the style as they are.
The camera follows `engine.camera`: quaternion (w, x, y, z) rotating camera-local into world space,
vertical field of view in degrees. `traversal.speed` is in curve fractions per second.

Every number is checked against the range the explorer can use (steps up to the Walk panel's
MAX_STEPS, speed up to its MAX_SPEED, coordinates and distances within +-MAX_COORDINATE, the field of
view in [MIN_FOV_DEGREES, MAX_FOV_DEGREES]): JSON holds numbers of any size, and one the explorer
cannot use must be refused here, not crash the render loop later (an integer too large for a float,
a walk of 10**11 steps).

`load_session` either returns a whole, validated `Session` or raises `SceneError` with one line naming
the file and the first problem; it has no side effects, so a caller that applies the result only on
success changes nothing when a file is refused. `save_session` writes a temporary file beside the
target and renames it over, so a crash or a full disk never leaves a half-written session.
"""
from __future__ import annotations

import json
import math
import os
import sys
from pathlib import Path
from typing import Any, Callable, IO

from latentwalk.scenes.errors import SceneError
from latentwalk.scenes.limits import MAX_CONTROL_POINTS, MAX_SESSION_BYTES
from latentwalk.vae.safeio import read_limited
from latentwalk.scenes.explorer.walk.curve import KINDS
from latentwalk.scenes.explorer.session.session_fields import (MAX_COORDINATE, MAX_INDEX, Invalid, brief, checked_bool,
                                                checked_choice, checked_control_point, checked_int, checked_list,
                                                checked_number, checked_object, checked_vector, refuse_constant)
from latentwalk.scenes.explorer.session.session_types import (CameraView, ControlPoint, CurveSettings, PlaybackState, Session,
                                               StyleSettings)
from latentwalk.scenes.explorer.walk.traversal import MAX_SPEED, MAX_STEPS, MIN_STEPS, MODES

__all__ = ["CameraView", "ControlPoint", "CurveSettings", "PlaybackState", "Session", "StyleSettings",
           "load_session", "save_session", "model_reference", "write_atomically", "session_to_json",
           "session_from_json", "MAX_COORDINATE", "MAX_INDEX"]

FORMAT = "latentwalk-session"
VERSION = 2
READABLE_VERSIONS = (1, 2)
MIN_DISTANCE, MAX_DISTANCE = 1e-6, 1e6
MIN_FOV_DEGREES, MAX_FOV_DEGREES = 1.0, 179.0
MAX_MODEL_CHARS = 4096
MIN_POINT_SIZE, MAX_POINT_SIZE = 0.5, 64.0


# -- files --------------------------------------------------------------------------------------
def save_session(path: str | os.PathLike, session: Session) -> None:
    """Validate and write `session` to `path` atomically; SceneError (one line) when it cannot."""
    try:
        data = session_to_json(session)
        session_from_json(data)  # never write a file that load_session would refuse
        text = json.dumps(data, indent=2, allow_nan=False) + "\n"
    except (Invalid, ValueError, TypeError) as exc:
        raise SceneError(f"{path}: cannot save session: {exc}") from None
    write_atomically(path, lambda f: f.write(text.encode("utf-8")), "session file")


def load_session(path: str | os.PathLike, *, n_points: int | None = None, dim: int | None = None,
                 n_classes: int | None = None) -> Session:
    """Read and validate a session file; with n_points / dim / n_classes, check indices, coordinate
    widths and classes against the model at hand. Any problem: SceneError naming the file."""
    # a regular file only, judged by its length before it is read: a FIFO would block, /dev/zero never ends
    raw = read_limited(path, SceneError, MAX_SESSION_BYTES, what="a session file",
                       missing="cannot read session file: No such file or directory")
    try:
        data = json.loads(raw.decode("utf-8"), parse_constant=refuse_constant)
    except UnicodeDecodeError:
        raise SceneError(f"{path}: not a session file (not UTF-8 text)") from None
    except json.JSONDecodeError as exc:
        raise SceneError(f"{path}: not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
    except Invalid as exc:
        raise SceneError(f"{path}: {exc}") from None
    except ValueError:  # json turns an integer literal past Python's digit limit into this
        raise SceneError(f"{path}: not valid JSON: a number with more than {sys.get_int_max_str_digits()} "
                         "digits") from None
    except RecursionError:
        raise SceneError(f"{path}: not valid JSON: arrays or objects nested too deeply") from None
    try:
        return session_from_json(data, n_points=n_points, dim=dim, n_classes=n_classes)
    except Invalid as exc:
        raise SceneError(f"{path}: {exc}") from None


ModelSizes = tuple[int, int, int]  # data-set points, latent width, classes


def bundle_sizes(model: str) -> ModelSizes:
    """Points, latent width and classes of a model not loaded yet (to check a session against it)."""
    from latentwalk.vae.bundle import load_bundle
    from latentwalk.vae.errors import VaeError

    try:
        bundle = load_bundle(model)
    except VaeError as exc:
        raise SceneError(str(exc)) from None
    return len(bundle.latents), bundle.latent_dim, len(bundle.class_names)


def model_reference(bundle_path: str | os.PathLike) -> str:
    """What a session records as its model: a bundled model's name (assets/models/<name>), so the file
    works wherever latentwalk is installed, else the bundle folder's absolute path."""
    from latentwalk.assets import MODELS_DIR
    from latentwalk.vae.bundle import list_bundled_models

    path = Path(os.path.abspath(bundle_path))
    if path.parent == Path(os.path.abspath(MODELS_DIR)) and path.name in list_bundled_models():
        return path.name
    return str(path)


def write_atomically(path: str | os.PathLike, write: Callable[[IO[bytes]], Any], what: str) -> None:
    """Call write(file) on a temporary file beside `path`, then rename it over `path` with the usual
    file mode (vae.atomic.atomic_file: the one place that knows how)."""
    from latentwalk.vae.atomic import atomic_file

    try:
        with atomic_file(path) as temp, open(temp, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
    except OSError as exc:
        raise SceneError(f"{path}: cannot write {what}: {exc.strerror or exc}") from None


# -- JSON <-> Session ---------------------------------------------------------------------------
def session_to_json(session: Session) -> dict:
    return {
        "format": FORMAT,
        "version": VERSION,
        "model": session.model,
        "control_points": [_point_json(p) for p in session.control_points],
        "curve": {"kind": session.curve.kind, "closed": session.curve.closed, "steps": session.curve.steps},
        "camera": {"target": list(session.camera.target), "distance": session.camera.distance,
                   "orientation": list(session.camera.orientation),
                   "fov_degrees": session.camera.fov_degrees},
        "highlighted_classes": list(session.highlighted_classes),
        "traversal": {"t": session.traversal.t, "mode": session.traversal.mode,
                      "speed": session.traversal.speed, "playing": session.traversal.playing},
        "selection": None if session.selection is None else _point_json(session.selection),
        "style": vars(session.style or StyleSettings()).copy(),
    }


def _point_json(point: ControlPoint) -> dict:
    return {"index": point.index} if point.index is not None else {"coords": list(point.coords)}


def session_from_json(data: Any, *, n_points: int | None = None, dim: int | None = None,
                      n_classes: int | None = None) -> Session:
    """Build a Session from parsed JSON; raises Invalid (a ValueError) naming the bad field."""
    # Format and version first: another kind of file deserves "not a session", not a missing key.
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        found = data.get("format") if isinstance(data, dict) else None
        raise Invalid(f"not a session file (format is {found!r}, expected {FORMAT!r})")
    version = data.get("version")
    if isinstance(version, bool) or not isinstance(version, int) or version not in READABLE_VERSIONS:
        raise Invalid(f"unsupported session version {brief(version)} (this latentwalk reads "
                      f"{', '.join(map(str, READABLE_VERSIONS))})")
    top = checked_object(data, "session", ("format", "version", "model", "control_points", "curve", "camera",
                                           "highlighted_classes", "traversal")
                         + (("selection", "style") if version >= 2 else ()))
    model = top["model"]
    if not isinstance(model, str) or not model.strip():
        raise Invalid("model must be a non-empty string (a bundled model name or a bundle path)")
    if len(model) > MAX_MODEL_CHARS:
        raise Invalid(f"model is {len(model)} characters long, more than a path can be ({MAX_MODEL_CHARS})")
    if any(ord(c) < 32 or ord(c) == 127 for c in model):
        raise Invalid(f"model must not contain control characters, got {brief(model)}")
    listed = checked_list(top["control_points"], "control_points")
    if len(listed) > MAX_CONTROL_POINTS:
        raise Invalid(f"{len(listed)} control points, more than a walk may have ({MAX_CONTROL_POINTS})")
    points = [checked_control_point(p, f"control_points[{i}]", n_points, dim) for i, p in enumerate(listed)]

    curve = checked_object(top["curve"], "curve", ("kind", "closed", "steps"))
    kind = checked_choice(curve["kind"], "curve.kind", KINDS)
    closed = checked_bool(curve["closed"], "curve.closed")
    steps = checked_int(curve["steps"], "curve.steps", minimum=MIN_STEPS, maximum=MAX_STEPS)

    camera = checked_object(top["camera"], "camera", ("target", "distance", "orientation", "fov_degrees"))
    target = checked_vector(camera["target"], "camera.target", 3)
    distance = checked_number(camera["distance"], "camera.distance", MIN_DISTANCE, MAX_DISTANCE)
    orientation = checked_vector(camera["orientation"], "camera.orientation", 4)
    norm = math.sqrt(sum(c * c for c in orientation))
    if norm < 1e-9:
        raise Invalid("camera.orientation is a zero quaternion")
    fov = checked_number(camera["fov_degrees"], "camera.fov_degrees", MIN_FOV_DEGREES, MAX_FOV_DEGREES)

    classes = [checked_int(c, f"highlighted_classes[{i}]", minimum=0, maximum=MAX_INDEX, below=n_classes,
                    what="classes")
               for i, c in enumerate(checked_list(top["highlighted_classes"], "highlighted_classes"))]

    traversal = checked_object(top["traversal"], "traversal", ("t", "mode", "speed", "playing"))
    t = checked_number(traversal["t"], "traversal.t", 0.0, 1.0)
    mode = checked_choice(traversal["mode"], "traversal.mode", MODES)
    speed = checked_number(traversal["speed"], "traversal.speed", 0.0, MAX_SPEED)
    playing = checked_bool(traversal["playing"], "traversal.playing")
    selection, style = (_selection_and_style(top, n_points, dim) if version >= 2 else (None, None))

    return Session(
        model=model,
        control_points=points,
        curve=CurveSettings(kind=kind, closed=closed, steps=steps),
        camera=CameraView(target=tuple(target), distance=distance,
                          orientation=tuple(c / norm for c in orientation), fov_degrees=fov),
        highlighted_classes=classes,
        traversal=PlaybackState(t=t, mode=mode, speed=speed, playing=playing),
        selection=selection,
        style=style,
    )


def _selection_and_style(top: dict, n_points: int | None, dim: int | None):
    selection = (None if top["selection"] is None
                 else checked_control_point(top["selection"], "selection", n_points, dim))
    style = checked_object(top["style"], "style", ("point_size", "show_axes", "show_grid"))
    return selection, StyleSettings(point_size=checked_number(style["point_size"], "style.point_size",
                                                              MIN_POINT_SIZE, MAX_POINT_SIZE),
                                    show_axes=checked_bool(style["show_axes"], "style.show_axes"),
                                    show_grid=checked_bool(style["show_grid"], "style.show_grid"))
