"""Session files: what a person set up in the explorer, saved as versioned JSON and loaded back.

Layout (version 1; every key is required, no other key is allowed):
```
{"format": "latentwalk-session", "version": 1,
 "model": "mnist" | "/path/to/bundle",
 "control_points": [{"index": 12}, {"coords": [0.1, -2.0]}, ...],
 "curve": {"kind": "catmull-rom" | "linear" | "slerp", "closed": false, "steps": 100},
 "camera": {"target": [x, y, z], "distance": 3.0, "orientation": [w, x, y, z], "fov_degrees": 45.0},
 "highlighted_classes": [0, 3],
 "traversal": {"t": 0.5, "mode": "once" | "loop" | "ping-pong", "speed": 0.25, "playing": false}}
```
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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, IO

from latentwalk.errors import SceneError
from latentwalk.explorer.curve import KINDS
from latentwalk.explorer.traversal import DEFAULT_SPEED, DEFAULT_STEPS, MAX_SPEED, MAX_STEPS, MIN_STEPS, MODES

FORMAT = "latentwalk-session"
VERSION = 1
MAX_COORDINATE = 1e6  # latents, camera target and quaternion components: far beyond any real model's
MIN_DISTANCE, MAX_DISTANCE = 1e-6, 1e6
MIN_FOV_DEGREES, MAX_FOV_DEGREES = 1.0, 179.0
MAX_INDEX = 2**31 - 1  # data-set points and classes; the picking framebuffer holds 32-bit IDs
MAX_MODEL_CHARS = 4096


@dataclass(frozen=True)
class ControlPoint:
    """A data-set point by index, or a typed latent coordinate; exactly one of the two."""

    index: int | None = None
    coords: tuple[float, ...] | None = None

    def __post_init__(self) -> None:
        if (self.index is None) == (self.coords is None):
            raise ValueError("a control point has exactly one of index and coords")
        if self.coords is not None:
            object.__setattr__(self, "coords", tuple(float(c) for c in self.coords))


@dataclass
class CurveSettings:
    kind: str = "catmull-rom"
    closed: bool = False
    steps: int = DEFAULT_STEPS


@dataclass
class CameraView:
    target: tuple[float, float, float] = (0.0, 0.0, 0.0)
    distance: float = 3.0
    orientation: tuple[float, float, float, float] = (1.0, 0.0, 0.0, 0.0)
    fov_degrees: float = 45.0


@dataclass
class PlaybackState:
    t: float = 0.0
    mode: str = "loop"
    speed: float = DEFAULT_SPEED
    playing: bool = False


@dataclass
class Session:
    model: str
    control_points: list[ControlPoint] = field(default_factory=list)
    curve: CurveSettings = field(default_factory=CurveSettings)
    camera: CameraView = field(default_factory=CameraView)
    highlighted_classes: list[int] = field(default_factory=list)
    traversal: PlaybackState = field(default_factory=PlaybackState)


# -- files --------------------------------------------------------------------------------------
def save_session(path: str | os.PathLike, session: Session) -> None:
    """Validate and write `session` to `path` atomically; SceneError (one line) when it cannot."""
    try:
        data = session_to_json(session)
        session_from_json(data)  # never write a file that load_session would refuse
        text = json.dumps(data, indent=2, allow_nan=False) + "\n"
    except (_Invalid, ValueError, TypeError) as exc:
        raise SceneError(f"{path}: cannot save session: {exc}") from None
    write_atomically(path, lambda f: f.write(text.encode("utf-8")), "session file")


def load_session(path: str | os.PathLike, *, n_points: int | None = None, dim: int | None = None,
                 n_classes: int | None = None) -> Session:
    """Read and validate a session file; with n_points / dim / n_classes, check indices, coordinate
    widths and classes against the model at hand. Any problem: SceneError naming the file."""
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise SceneError(f"{path}: cannot read session file: {exc.strerror or exc}") from None
    try:
        data = json.loads(raw.decode("utf-8"), parse_constant=_refuse_constant)
    except UnicodeDecodeError:
        raise SceneError(f"{path}: not a session file (not UTF-8 text)") from None
    except json.JSONDecodeError as exc:
        raise SceneError(f"{path}: not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
    except _Invalid as exc:
        raise SceneError(f"{path}: {exc}") from None
    except ValueError:  # json turns an integer literal past Python's digit limit into this
        raise SceneError(f"{path}: not valid JSON: a number with more than {sys.get_int_max_str_digits()} "
                         "digits") from None
    except RecursionError:
        raise SceneError(f"{path}: not valid JSON: arrays or objects nested too deeply") from None
    try:
        return session_from_json(data, n_points=n_points, dim=dim, n_classes=n_classes)
    except _Invalid as exc:
        raise SceneError(f"{path}: {exc}") from None


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
    file mode (vae.bundle.atomic_file: the one place that knows how)."""
    from latentwalk.vae.bundle import atomic_file

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
        "control_points": [{"index": p.index} if p.index is not None else {"coords": list(p.coords)}
                           for p in session.control_points],
        "curve": {"kind": session.curve.kind, "closed": session.curve.closed, "steps": session.curve.steps},
        "camera": {"target": list(session.camera.target), "distance": session.camera.distance,
                   "orientation": list(session.camera.orientation),
                   "fov_degrees": session.camera.fov_degrees},
        "highlighted_classes": list(session.highlighted_classes),
        "traversal": {"t": session.traversal.t, "mode": session.traversal.mode,
                      "speed": session.traversal.speed, "playing": session.traversal.playing},
    }


def session_from_json(data: Any, *, n_points: int | None = None, dim: int | None = None,
                      n_classes: int | None = None) -> Session:
    """Build a Session from parsed JSON; raises _Invalid (a ValueError) naming the bad field."""
    # Format and version first: another kind of file deserves "not a session", not a missing key.
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        found = data.get("format") if isinstance(data, dict) else None
        raise _Invalid(f"not a session file (format is {found!r}, expected {FORMAT!r})")
    version = data.get("version")
    if isinstance(version, bool) or not isinstance(version, int) or version != VERSION:
        raise _Invalid(f"unsupported session version {_brief(version)} (this latentwalk reads {VERSION})")
    top = _object(data, "session", ("format", "version", "model", "control_points", "curve", "camera",
                                    "highlighted_classes", "traversal"))
    model = top["model"]
    if not isinstance(model, str) or not model.strip():
        raise _Invalid("model must be a non-empty string (a bundled model name or a bundle path)")
    if len(model) > MAX_MODEL_CHARS:
        raise _Invalid(f"model is {len(model)} characters long, more than a path can be ({MAX_MODEL_CHARS})")
    if any(ord(c) < 32 or ord(c) == 127 for c in model):
        raise _Invalid(f"model must not contain control characters, got {_brief(model)}")
    points = [_control_point(p, f"control_points[{i}]", n_points, dim)
              for i, p in enumerate(_list(top["control_points"], "control_points"))]

    curve = _object(top["curve"], "curve", ("kind", "closed", "steps"))
    kind = _choice(curve["kind"], "curve.kind", KINDS)
    closed = _bool(curve["closed"], "curve.closed")
    steps = _int(curve["steps"], "curve.steps", minimum=MIN_STEPS, maximum=MAX_STEPS)

    camera = _object(top["camera"], "camera", ("target", "distance", "orientation", "fov_degrees"))
    target = _vector(camera["target"], "camera.target", 3)
    distance = _number(camera["distance"], "camera.distance", MIN_DISTANCE, MAX_DISTANCE)
    orientation = _vector(camera["orientation"], "camera.orientation", 4)
    norm = math.sqrt(sum(c * c for c in orientation))
    if norm < 1e-9:
        raise _Invalid("camera.orientation is a zero quaternion")
    fov = _number(camera["fov_degrees"], "camera.fov_degrees", MIN_FOV_DEGREES, MAX_FOV_DEGREES)

    classes = [_int(c, f"highlighted_classes[{i}]", minimum=0, maximum=MAX_INDEX, below=n_classes,
                    what="classes")
               for i, c in enumerate(_list(top["highlighted_classes"], "highlighted_classes"))]

    walk = _object(top["traversal"], "traversal", ("t", "mode", "speed", "playing"))
    t = _number(walk["t"], "traversal.t", 0.0, 1.0)
    mode = _choice(walk["mode"], "traversal.mode", MODES)
    speed = _number(walk["speed"], "traversal.speed", 0.0, MAX_SPEED)
    playing = _bool(walk["playing"], "traversal.playing")

    return Session(
        model=model,
        control_points=points,
        curve=CurveSettings(kind=kind, closed=closed, steps=steps),
        camera=CameraView(target=tuple(target), distance=distance,
                          orientation=tuple(c / norm for c in orientation), fov_degrees=fov),
        highlighted_classes=classes,
        traversal=PlaybackState(t=t, mode=mode, speed=speed, playing=playing),
    )


class _Invalid(ValueError):
    """A problem in the session's content; the file name is added by the caller."""


def _refuse_constant(name: str) -> None:
    raise _Invalid(f"{name} is not allowed in a session file (numbers must be finite)")


def _object(value: Any, where: str, keys: tuple[str, ...]) -> dict:
    if not isinstance(value, dict):
        raise _Invalid(f"{where} must be a JSON object, got {_type_name(value)}")
    missing = [k for k in keys if k not in value]
    if missing:
        raise _Invalid(f"{where} is missing {', '.join(repr(k) for k in missing)}")
    unknown = [k for k in value if k not in keys]
    if unknown:
        raise _Invalid(f"{where} has unknown key {unknown[0]!r}")
    return value


def _control_point(value: Any, where: str, n_points: int | None, dim: int | None) -> ControlPoint:
    if not isinstance(value, dict) or len(value) != 1 or not ({"index", "coords"} & set(value)):
        raise _Invalid(f'{where} must be {{"index": i}} or {{"coords": [...]}}')
    if "index" in value:
        return ControlPoint(index=_int(value["index"], f"{where}.index", minimum=0, maximum=MAX_INDEX,
                                       below=n_points, what="points"))
    coords = _list(value["coords"], f"{where}.coords")
    if not coords:
        raise _Invalid(f"{where}.coords is empty")
    if dim is not None and len(coords) != dim:
        raise _Invalid(f"{where}.coords has {len(coords)} values, the model's latent space has {dim}")
    return ControlPoint(coords=tuple(_number(c, f"{where}.coords[{j}]", -MAX_COORDINATE, MAX_COORDINATE)
                                     for j, c in enumerate(coords)))


def _list(value: Any, where: str) -> list:
    if not isinstance(value, list):
        raise _Invalid(f"{where} must be a JSON array, got {_type_name(value)}")
    return value


def _vector(value: Any, where: str, width: int) -> list[float]:
    items = _list(value, where)
    if len(items) != width:
        raise _Invalid(f"{where} must have {width} numbers, got {len(items)}")
    return [_number(c, f"{where}[{j}]", -MAX_COORDINATE, MAX_COORDINATE) for j, c in enumerate(items)]


def _number(value: Any, where: str, low: float, high: float) -> float:
    """A finite float in [low, high]; an int too large for a float is refused, not an OverflowError."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _Invalid(f"{where} must be a number, got {_type_name(value)}")
    try:
        number = float(value)
    except OverflowError:
        raise _Invalid(f"{where} is {_brief(value)}, out of range: must be in [{low:g}, {high:g}]") from None
    if not math.isfinite(number):
        raise _Invalid(f"{where} is not finite ({number})")
    if not low <= number <= high:
        raise _Invalid(f"{where} must be in [{low:g}, {high:g}], got {number!r}")
    return number


def _int(value: Any, where: str, minimum: int, maximum: int, below: int | None = None, what: str = "") -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _Invalid(f"{where} must be an integer, got {_type_name(value)}")
    if value < minimum:
        raise _Invalid(f"{where} must be >= {minimum}, got {_brief(value)}")
    if value > maximum:
        raise _Invalid(f"{where} must be <= {maximum}, got {_brief(value)}")
    if below is not None and value >= below:
        raise _Invalid(f"{where} is {value}, out of range: the model has {below} {what}")
    return value


def _bool(value: Any, where: str) -> bool:
    if not isinstance(value, bool):
        raise _Invalid(f"{where} must be true or false, got {_type_name(value)}")
    return value


def _choice(value: Any, where: str, choices: tuple[str, ...]) -> str:
    if not isinstance(value, str) or value not in choices:
        raise _Invalid(f"{where} is {_brief(value)}, expected one of {', '.join(choices)}")
    return value


def _brief(value: Any, max_chars: int = 40) -> str:
    """repr(value) short enough for a one-line message: a 400-digit integer as 1000... (400 digits)."""
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 10**15:
        try:
            text = str(value)
        except ValueError:  # past the digit limit: never from json.loads, possible from code
            return "an integer too long to print"
        sign = 1 if value < 0 else 0
        return f"{text[:4 + sign]}... ({len(text) - sign} digits)"
    text = repr(value)
    return text if len(text) <= max_chars else f"{text[:max_chars - 4]}...{text[-1]}"


def _type_name(value: Any) -> str:
    names = {dict: "an object", list: "an array", str: "a string", bool: "a boolean",
             int: "an integer", float: "a number", type(None): "null"}
    return names.get(type(value), type(value).__name__)
