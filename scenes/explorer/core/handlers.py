"""The table of command handlers and what handlers share: the checks a command's values pass before
anything changes (pure, so a composite command can check its parts against a model not installed yet),
and the Output image's intent. Handler modules (apply.py, apply_edits.py) register with `handles`;
apply.py imports them all and is the only caller of the table."""
from __future__ import annotations

import math
from typing import Callable

import numpy as np

from latentwalk.scenes.errors import SceneError

Handler = Callable[[object, object], None]
HANDLERS: dict[type, Handler] = {}


def handles(*types: type):
    def register(fn: Handler) -> Handler:
        for kind in types:
            HANDLERS[kind] = fn
        return fn
    return register


# -- checks (SceneError, one line; nothing changed) -----------------------------------------------
def check_index(index, count: int) -> int:
    if isinstance(index, bool) or not isinstance(index, (int, np.integer)) or not 0 <= int(index) < count:
        raise SceneError(f"no point {index!r}: the model has {count:,} points (0 to {count - 1})")
    return int(index)


def check_latent(latent, dim: int) -> tuple[float, ...]:
    values = tuple(float(v) for v in latent)
    if len(values) != dim or not all(math.isfinite(v) for v in values):
        raise SceneError(f"a latent is {dim} finite numbers, got {len(values)}: {values[:4]!r:.60}")
    return values


def latent_at_place(scene, place) -> tuple[float, ...]:
    """The latent a 3-d place of the view stands for: the current projection's inverse map (exact for
    PCA, the layout's network for UMAP and t-SNE), so every way of decoding a place agrees."""
    values = tuple(float(v) for v in place)
    if len(values) != 3 or not all(math.isfinite(v) for v in values):
        raise SceneError(f"a place in the view is 3 finite numbers x y z, got {values[:4]!r:.60}")
    latent = scene.installed.projection.to_latent(np.asarray(values, np.float32)[None])[0]
    return check_latent(latent, scene.bundle.latent_dim)


def check_classes(classes, count: int) -> tuple[int, ...]:
    classes = tuple(classes)
    for value in classes:
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not 0 <= value < count:
            raise SceneError(f"no class {value!r}: the model has {count} classes")
    return classes


def check_point_size(size) -> float:
    value = float(size)
    if not math.isfinite(value) or value <= 0:
        raise SceneError(f"point size must be a positive number, got {size!r}")
    return value


# -- shared effects -----------------------------------------------------------------------------
def view_moved(scene) -> None:
    scene.state.view.touch()


def take_output(scene, intent: str) -> None:
    """The person's latest intent ("selection" or "walk") takes the Output image (state.output_owner);
    a hover takes it back once the pointer moves on (apply.py's PointerMoved)."""
    part = scene.state.intent
    wanted = (intent, intent, scene.state.pointer.position)
    if (part.latest, part.chosen, part.yielded_at) != wanted:
        part.latest, part.chosen, part.yielded_at = wanted
        part.touch()
