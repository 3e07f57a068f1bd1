"""Getting a model ready to show, off the main thread: the bundle read and checked, the 3-d projection
fitted and applied, the training images found. All of it is file I/O, numpy and torch weight checks,
which release the GIL, so the render loop keeps its frame rate; the GL upload of the result stays on
the main thread (ExplorerScene installs a `PreparedModel`).

`ModelLoader` runs one load at a time in an engine BatchWorker thread (started on first use). A newer
request supersedes an older one: the older result is never delivered, whether it was queued or
already running (latest wins). A load that fails comes back as a one-line error, never raised.
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from latentwalk.engine.worker import BatchWorker
from latentwalk.scenes.explorer.model.projection import LatentProjection, LayoutProjection, fit_projection
from latentwalk.vae.bundle import Bundle, load_bundle
from latentwalk.vae.errors import VaeError

# What a bad bundle raises (checked, malformed, missing): shown to the user as one line.
LOAD_ERRORS = (VaeError, OSError, ValueError)
_CHANNEL = "model"


@dataclass(frozen=True)
class PreparedModel:
    """Everything a model switch needs that is not GL."""
    bundle: Bundle
    projection: LatentProjection
    positions: np.ndarray  # (N, 3) float32
    training_images: np.ndarray | None  # data-set order, when its data set is on disk
    dataset_note: str | None  # why there are no training images, when the user asked for them


def error_line(exc: BaseException) -> str:
    text = str(exc)
    return text.splitlines()[0] if text.strip() else type(exc).__name__


def training_images_for(bundle: Bundle, data_dir: str | Path | None) -> tuple[np.ndarray | None, str | None]:
    """The bundle's training images in data-set order: the pictures it carries, else its data set's
    when on disk (never downloads)."""
    from latentwalk.vae.datasets import load_dataset

    if bundle.pictures is not None:
        return bundle.pictures, None

    try:
        dataset = load_dataset(bundle.dataset, data_dir, download=False, progress=False)
    except (VaeError, OSError) as exc:
        return None, (f"training images: {exc}" if data_dir is not None else None)
    images = dataset.train_images
    if len(images) != len(bundle.latents) or tuple(images.shape[1:3]) != tuple(bundle.image_shape):
        return None, (f"training images: {dataset.source} has {len(images)} of shape {images.shape[1:]}, "
                      f"the model {len(bundle.latents)} of {tuple(bundle.image_shape)}")
    return images, None


def prepare_model(model: str | Path | Bundle, data_dir: str | Path | None = None) -> PreparedModel:
    """Load (unless given a Bundle) and prepare a model; raises one of LOAD_ERRORS for a bad bundle."""
    bundle = model if isinstance(model, Bundle) else load_bundle(model)
    if bundle.positions is not None:  # laid out at import (a generator's samples by what they show)
        projection = LayoutProjection(bundle.latents, bundle.positions)
        positions = np.ascontiguousarray(bundle.positions, np.float32)
    else:
        projection = fit_projection(bundle.latents)
        positions = projection.to_3d(bundle.latents)
    images, note = training_images_for(bundle, data_dir)
    return PreparedModel(bundle, projection, positions, images, note)


class ModelLoader:
    """Loads models in a background thread; the main thread `request`s and `poll`s once a frame."""

    def __init__(self, data_dir: str | Path | None = None) -> None:
        self.data_dir = data_dir
        self._worker = BatchWorker(self._prepare_batch, max_batch=1, cache_size=0, name="model-loader")
        self._tickets = itertools.count(1)
        self._wanted: tuple[int, str] | None = None  # the key of the one load whose result counts

    @property
    def loading(self) -> str | None:
        """What the newest request asked for, until its result (or error) has been polled."""
        return None if self._wanted is None else self._wanted[1]

    def request(self, model: str | Path) -> None:
        """Start loading `model`; any earlier request still loading will not be delivered."""
        # A fresh key per request: asking for the same folder again reloads it (it may have changed).
        self._wanted = (next(self._tickets), str(model))
        self._worker.submit(self._wanted, str(model), channel=_CHANNEL, latest_only=True)

    def cancel(self) -> None:
        """Forget the request in flight (a synchronous load came after it): its result is dropped."""
        self._wanted = None

    def poll(self) -> PreparedModel | str | None:
        """The requested model once ready, or its one-line error, or None (still loading, or nothing asked)."""
        outcome = None
        for result in self._worker.poll():
            if result.key != self._wanted:
                continue
            self._wanted = None
            outcome = result.error if result.error is not None else result.value
        return outcome

    def wait(self, timeout: float = 5.0) -> bool:
        """Block until no load is queued or running (tests only; the render loop never calls it)."""
        return self._worker.wait_idle(timeout)

    def _prepare_batch(self, models: list[str]) -> list[PreparedModel | str]:
        outcomes: list[PreparedModel | str] = []
        for model in models:
            try:
                outcomes.append(prepare_model(model, self.data_dir))
            except LOAD_ERRORS as exc:
                outcomes.append(error_line(exc))
        return outcomes

    def close(self) -> None:
        self._worker.close(timeout=0.0)  # a load in progress finishes on its own daemon thread
