"""Colour by anything: the per-point values the Classes panel can colour the points by, and where they
come from.

Sources, by key (`StyleState.colour_by`; the SetColouring command):
- "class": the class colours (the default; drawn exactly as without per-point colours).
- "latent:i": latent dimension i.
- "error": each training point's reconstruction error, the mean squared difference between its
  training image and the decoder's image of its latent. A bundle's latents are its encoder's means of
  the training images, so that image is decoder(encoder(x)) without running the encoder again; models
  without an encoder (imported ones) have no such latents, and models whose training images are not
  on disk have nothing to compare with: both say why the value is unavailable.
- "density": how crowded each point's neighbourhood is in the full latent space, as the mean distance
  to its DENSITY_K nearest neighbours (small: dense).
- "factor:NAME": a generating factor the bundle stores (the shapes set's hue, scale, x, y, rotation).
- "metadata:NAME": a column of the bundle's metadata (`import-points --metadata`) whose every value is
  a number.
- "column:NAME": a column given with `latentwalk run --colour-by FILE.npy` (for the first model).

The error and the density are computed off the main thread, in chunks, by a BatchWorker of their own
(never the decoder's, whose hover must not wait behind thousands of decodes): chunk results arrive in
the prepare phase, so the panel shows progress, and a model switch starts a new generation whose
chunks of the old model are dropped. Each is computed once per model, when first asked for.

Values are results, not state: when the chosen source's values are complete the cloud's colours are
rebuilt (scene.mirror_point_style), as a decoded image is uploaded when it arrives.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from latentwalk.engine.worker import BatchWorker, WorkResult
from latentwalk.scenes.errors import SceneError, UsageError
from latentwalk.scenes.explorer.view.colour_maps import MAP_NAMES, colour_of
from latentwalk.vae.metadata import numeric_columns

CLASS = "class"
ERROR, DENSITY = "error", "density"
DENSITY_K = 10
COLOUR_PERCENTILES = (1.0, 99.0)
ERROR_CHUNK = 256  # points a worker call decodes: a model switch or a close waits at most this long
DENSITY_CHUNK = 1024
COMPUTED = (ERROR, DENSITY)


@dataclass
class Computation:
    """A computed value of one model: filled chunk by chunk."""
    values: np.ndarray
    done: np.ndarray  # bool per chunk
    error: str | None = None

    @property
    def progress(self) -> float:
        return float(self.done.mean()) if len(self.done) else 1.0

    @property
    def complete(self) -> bool:
        return self.error is None and bool(self.done.all())


class ValuesJob:
    """What the worker runs for one model: chunks of reconstruction errors and densities. The decoder
    and the neighbour index are made in the worker thread, the first time a chunk needs them."""

    def __init__(self, bundle, training_images: np.ndarray | None) -> None:
        self.bundle, self.training_images = bundle, training_images
        self.decoder = None
        self.index = None

    def __call__(self, payloads: list) -> list:
        return [self._chunk(kind, start, stop) for kind, start, stop in payloads]

    def _chunk(self, kind: str, start: int, stop: int) -> np.ndarray:
        if kind == ERROR:
            return self._errors(start, stop)
        return self._densities(start, stop)

    def _errors(self, start: int, stop: int) -> np.ndarray:
        from latentwalk.scenes.explorer.model.decoding import decode_batch

        if self.decoder is None:
            import torch  # in the worker thread, like the decoder service's

            torch.set_num_threads(1)  # llvmpipe keeps its core (model/decoding.py)
            self.decoder = self.bundle.load_decoder("cpu")
        decoded = decode_batch(self.decoder, self.bundle.latents[start:stop])
        images = self.training_images[start:stop]
        images = images.astype(np.float32) / 255.0 if images.dtype == np.uint8 else images.astype(np.float32)
        difference = decoded.reshape(len(decoded), -1) - images.reshape(len(images), -1)
        return np.mean(difference * difference, axis=1)

    def _densities(self, start: int, stop: int) -> np.ndarray:
        from latentwalk.vae.neighbors import NeighborIndex

        if self.index is None:
            self.index = NeighborIndex(self.bundle.latents)
        k = min(DENSITY_K + 1, len(self.bundle.latents))
        found = self.index.query_many(self.bundle.latents[start:stop], k)
        # each point finds itself first (distance 0; a duplicate of it is as good)
        return np.array([np.mean(f.distances[1:]) if len(f.distances) > 1 else 0.0 for f in found])


def read_colour_file(path: str | Path, rows: int) -> dict[str, np.ndarray]:
    """`run --colour-by FILE.npy`: float (N,) or (N, K) per-point values, N the model's points, all
    finite; one column named after the file, or K named FILE[0] ... FILE[K-1]. Never unpickled;
    anything else is a UsageError in one line naming the file."""
    from latentwalk.vae.safeio import read_npy

    where = f"--colour-by {path}"

    def check(shape: tuple, dtype: np.dtype) -> None:
        if dtype.kind != "f":
            raise UsageError(f"{where}: {dtype} values; per-point values must be floats")
        if len(shape) not in (1, 2) or (len(shape) == 2 and not 1 <= shape[1] <= 64):
            raise UsageError(f"{where}: shape {shape}; expected ({rows},) or ({rows}, K) with K at most 64")
        if shape[0] != rows:
            raise UsageError(f"{where}: {shape[0]} rows, the model has {rows} points")

    try:
        values = read_npy(path, UsageError, check=check)
    except UsageError as exc:
        text = str(exc)
        raise UsageError(text if text.startswith(where) else f"--colour-by {text}") from None
    if not np.isfinite(values).all():
        bad = int(np.count_nonzero(~np.isfinite(values)))
        raise UsageError(f"{where}: {bad} value{'s' * (bad != 1)} NaN or infinite; every point needs a number")
    name = Path(path).stem
    values = values.astype(np.float32)
    if values.ndim == 1:
        return {name: values}
    return {f"{name}[{k}]": values[:, k].copy() for k in range(values.shape[1])}


class ColourTools:
    """The colour sources of the installed model, their values, and the worker that computes some."""

    def __init__(self, scene, columns: dict[str, np.ndarray] | None = None) -> None:
        self.scene = scene
        self.columns = dict(columns or {})
        self.columns_for = scene.bundle.path  # the model the columns' rows are points of
        self.worker = BatchWorker(ValuesJob(scene.bundle, None), max_batch=1, cache_size=0, name="colour-values")
        self.computed: dict[str, Computation] = {}
        self.metadata_numbers: dict[str, np.ndarray] = {}  # the bundle's metadata columns that are numbers
        self._range_cache: dict[str, tuple] = {}  # key -> (colour range, extent) of the installed model
        self.version = 0  # moves whenever a value's progress or outcome changes
        scene.preparers.append(self.prepare)
        scene.model_listeners.append(self._on_model)
        self._on_model(scene.bundle)

    # -- what there is -----------------------------------------------------------------------------
    def sources(self) -> list[tuple[str, str, str | None]]:
        """(key, name, why it is unavailable or None) for every source of the installed model."""
        bundle = self.scene.bundle
        found = [(CLASS, "class", None)]
        found += [(f"latent:{i}", f"latent dimension {i}", None) for i in range(bundle.latent_dim)]
        found.append((ERROR, "reconstruction error", self._error_unavailable()))
        found.append((DENSITY, f"local density (mean distance to {DENSITY_K} nearest)", None))
        for name in bundle.meta.get("factor_names", []) if bundle.factors is not None else ():
            found.append((f"factor:{name}", f"factor: {name}", None))
        for name in self.metadata_numbers:
            found.append((f"metadata:{name}", f"metadata: {name}", None))
        for name in self.columns:
            why = None if bundle.path == self.columns_for else "given for another model (--colour-by)"
            found.append((f"column:{name}", f"column: {name}", why))
        return found

    def name_of(self, key: str) -> str:
        return next((name for k, name, _ in self.sources() if k == key), key)

    def check(self, key: str) -> None:
        """SceneError (one line) unless `key` is a source of the installed model that is available."""
        for k, name, why in self.sources():
            if k == key:
                if why is not None:
                    raise SceneError(f"cannot colour by {name}: {why}")
                return
        raise SceneError(f"no colour source {key!r} for this model")

    def _error_unavailable(self) -> str | None:
        scene = self.scene
        if not scene.bundle.has_encoder:
            return "this model has no encoder, so its points are no encodings of training images"
        if scene.installed is None or scene.installed.training_images is None:
            return "its training images are not on disk (latentwalk run --data-dir D)"
        return None

    # -- values -------------------------------------------------------------------------------------
    def values(self, key: str) -> np.ndarray | None:
        """float (N,) values of `key` (None: the class, or still being computed)."""
        bundle = self.scene.bundle
        if key.startswith("latent:"):
            return bundle.latents[:, int(key.split(":", 1)[1])]
        if key.startswith("factor:"):
            return bundle.factors[:, list(bundle.meta["factor_names"]).index(key.split(":", 1)[1])]
        if key.startswith("column:"):
            return self.columns[key.split(":", 1)[1]]
        if key.startswith("metadata:"):
            return self.metadata_numbers[key.split(":", 1)[1]]
        computation = self.computed.get(key)
        return computation.values if computation is not None and computation.complete else None

    def value_range(self, key: str) -> tuple[float, float] | None:
        """The range the colour map spans: the 1st to 99th percentile, so that a few outliers (the
        density's loners, a reconstruction that failed) do not squeeze every other point into one
        colour; values beyond take the map's ends. Every value when the percentiles meet."""
        return self._ranges(key)[0]

    def value_extent(self, key: str) -> tuple[float, float] | None:
        """The smallest and largest value (what a range to highlight can span)."""
        return self._ranges(key)[1]

    def _ranges(self, key: str):
        if key not in self._range_cache:  # once per value and model: the legend asks every frame
            values = self.values(key)
            if values is None or not len(values):
                return None, None
            finite = np.asarray(values, np.float64)
            extent = float(finite.min()), float(finite.max())
            lo, hi = (float(v) for v in np.percentile(finite, COLOUR_PERCENTILES))
            self._range_cache[key] = ((lo, hi) if hi > lo else extent, extent)
        return self._range_cache[key]

    def status(self, key: str) -> str | None:
        """A computed value's progress or failure, in words; None when it is ready (or not computed)."""
        computation = self.computed.get(key)
        if computation is None or computation.complete:
            return None
        if computation.error is not None:
            return computation.error
        return f"computing {self.name_of(key)}: {computation.progress:.0%}"

    def computing(self) -> bool:
        return any(c.error is None and not c.complete for c in self.computed.values())

    def ensure(self, key: str) -> None:
        """Start computing `key` (the error, the density) for the installed model unless under way."""
        if key not in COMPUTED or key in self.computed:
            return
        count = len(self.scene.bundle.latents)
        chunk = ERROR_CHUNK if key == ERROR else DENSITY_CHUNK
        starts = range(0, count, chunk)
        self.computed[key] = Computation(np.zeros(count, np.float32), np.zeros(len(starts), bool))
        for number, start in enumerate(starts):
            self.worker.submit((key, number), (key, start, min(count, start + chunk)), channel=key)
        self.version += 1
        if self.scene.app is not None:
            self.scene.app.frames.request_while(self.computing)

    def point_colours(self) -> np.ndarray | None:
        """(N, 3) colours of the chosen source on the chosen map; None: by class (or not ready yet)."""
        style = self.scene.state.style
        values = None if style.colour_by == CLASS else self.values(style.colour_by)
        if values is None:
            return None
        lo, hi = self.value_range(style.colour_by)
        return colour_of(values, lo, hi, style.colour_map)

    # -- the worker's results, and model switches -----------------------------------------------------
    def prepare(self, alpha: float) -> None:
        generation = self.worker.generation
        finished = set()
        for result in self.worker.poll():
            if result.generation == generation:
                finished |= self._receive(result)
        if self.scene.state.style.colour_by in finished:
            self.scene.mirror_point_style()

    def _receive(self, result: WorkResult) -> set[str]:
        key, number = result.key
        computation = self.computed.get(key)
        if computation is None or computation.error is not None:
            return set()
        self.version += 1
        if not result.ok:
            computation.error = f"{self.name_of(key)} failed: {result.error}"
            return set()
        chunk = ERROR_CHUNK if key == ERROR else DENSITY_CHUNK
        computation.values[number * chunk:number * chunk + len(result.value)] = result.value
        computation.done[number] = True
        return {key} if computation.complete else set()

    def _on_model(self, bundle) -> None:
        self.computed.clear()
        self._range_cache.clear()
        self.metadata_numbers = numeric_columns(bundle.metadata)
        installed = self.scene.installed
        self.worker.replace_fn(ValuesJob(bundle, None if installed is None else installed.training_images))
        self.version += 1
        style = self.scene.state.style
        if not any(key == style.colour_by and why is None for key, _, why in self.sources()):
            style.colour_by = CLASS  # the new model has no such value: its points by class
            style.touch()
        self.ensure(style.colour_by)
        if installed is not None:
            self.scene.mirror_point_style()

    def close(self) -> None:
        self.worker.close()


def check_colour_map(name: str) -> str:
    if name not in MAP_NAMES:
        raise SceneError(f"no colour map {name!r}: one of {', '.join(MAP_NAMES)}")
    return name


def tick_values(lo: float, hi: float, count: int = 5) -> list[float]:
    """About `count` round numbers between lo and hi (both ends included when nothing rounder fits)."""
    if not hi > lo:
        return [lo]
    raw = (hi - lo) / max(1, count - 1)
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    first = math.ceil(lo / step) * step
    ticks = [first + i * step for i in range(int((hi - first) / step + 1e-9) + 1)]
    return [t for t in ticks if lo - 1e-12 <= t <= hi + 1e-12] or [lo, hi]
