"""Checked reading of a session file's JSON values (session.py): each helper returns the value or raises
`Invalid` naming the field and the problem in one line."""
from __future__ import annotations

import math
from typing import Any

from latentwalk.scenes.explorer.session.session_types import ControlPoint

MAX_COORDINATE = 1e6  # latents, camera target and quaternion components: far beyond any real model's
MAX_INDEX = 2**31 - 1  # data-set points and classes; the picking framebuffer holds 32-bit IDs


class Invalid(ValueError):
    """A problem in the session's content; the file name is added by the caller."""


def refuse_constant(name: str) -> None:
    raise Invalid(f"{name} is not allowed in a session file (numbers must be finite)")


def checked_object(value: Any, where: str, keys: tuple[str, ...]) -> dict:
    if not isinstance(value, dict):
        raise Invalid(f"{where} must be a JSON object, got {type_name(value)}")
    missing = [k for k in keys if k not in value]
    if missing:
        raise Invalid(f"{where} is missing {', '.join(repr(k) for k in missing)}")
    unknown = [k for k in value if k not in keys]
    if unknown:
        raise Invalid(f"{where} has unknown key {unknown[0]!r}")
    return value


def checked_control_point(value: Any, where: str, n_points: int | None, dim: int | None) -> ControlPoint:
    if not isinstance(value, dict) or len(value) != 1 or not ({"index", "coords"} & set(value)):
        raise Invalid(f'{where} must be {{"index": i}} or {{"coords": [...]}}')
    if "index" in value:
        return ControlPoint(index=checked_int(value["index"], f"{where}.index", minimum=0, maximum=MAX_INDEX,
                                       below=n_points, what="points"))
    coords = checked_list(value["coords"], f"{where}.coords")
    if not coords:
        raise Invalid(f"{where}.coords is empty")
    if dim is not None and len(coords) != dim:
        raise Invalid(f"{where}.coords has {len(coords)} values, the model's latent space has {dim}")
    return ControlPoint(coords=tuple(checked_number(c, f"{where}.coords[{j}]", -MAX_COORDINATE, MAX_COORDINATE)
                                     for j, c in enumerate(coords)))


def checked_list(value: Any, where: str) -> list:
    if not isinstance(value, list):
        raise Invalid(f"{where} must be a JSON array, got {type_name(value)}")
    return value


def checked_vector(value: Any, where: str, width: int) -> list[float]:
    items = checked_list(value, where)
    if len(items) != width:
        raise Invalid(f"{where} must have {width} numbers, got {len(items)}")
    return [checked_number(c, f"{where}[{j}]", -MAX_COORDINATE, MAX_COORDINATE) for j, c in enumerate(items)]


def checked_number(value: Any, where: str, low: float, high: float) -> float:
    """A finite float in [low, high]; an int too large for a float is refused, not an OverflowError."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise Invalid(f"{where} must be a number, got {type_name(value)}")
    try:
        number = float(value)
    except OverflowError:
        raise Invalid(f"{where} is {brief(value)}, out of range: must be in [{low:g}, {high:g}]") from None
    if not math.isfinite(number):
        raise Invalid(f"{where} is not finite ({number})")
    if not low <= number <= high:
        raise Invalid(f"{where} must be in [{low:g}, {high:g}], got {number!r}")
    return number


def checked_int(value: Any, where: str, minimum: int, maximum: int, below: int | None = None, what: str = "") -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise Invalid(f"{where} must be an integer, got {type_name(value)}")
    if value < minimum:
        raise Invalid(f"{where} must be >= {minimum}, got {brief(value)}")
    if value > maximum:
        raise Invalid(f"{where} must be <= {maximum}, got {brief(value)}")
    if below is not None and value >= below:
        raise Invalid(f"{where} is {value}, out of range: the model has {below} {what}")
    return value


def checked_bool(value: Any, where: str) -> bool:
    if not isinstance(value, bool):
        raise Invalid(f"{where} must be true or false, got {type_name(value)}")
    return value


def checked_choice(value: Any, where: str, choices: tuple[str, ...]) -> str:
    if not isinstance(value, str) or value not in choices:
        raise Invalid(f"{where} is {brief(value)}, expected one of {', '.join(choices)}")
    return value


def brief(value: Any, max_chars: int = 40) -> str:
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


def type_name(value: Any) -> str:
    names = {dict: "an object", list: "an array", str: "a string", bool: "a boolean",
             int: "an integer", float: "a number", type(None): "null"}
    return names.get(type(value), type(value).__name__)
