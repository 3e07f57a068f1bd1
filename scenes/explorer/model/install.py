"""Switching the explorer's model. Every switch ends in the InstallModel command (applied through
apply(), core/apply_edits.py): `request_model` (the LoadModel command) loads in the background and
the prepare phase applies InstallModel when the load ends; `prepare_now` loads on the calling thread
for ApplySession, set-up and tests. `install` makes the whole `InstalledModel` record (GL uploads) and
is the one place that assigns `scene.installed`."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from latentwalk.scenes.explorer.core.scene_commands import InstallModel
from latentwalk.scenes.explorer.model.model_loader import LOAD_ERRORS, PreparedModel, error_line, prepare_model
from latentwalk.scenes.explorer.model.projection import LatentProjection
from latentwalk.scenes.explorer.view.grid import Guides
from latentwalk.scenes.explorer.view.palette import class_colors
from latentwalk.scenes.explorer.view.points import PointCloud


@dataclass(frozen=True)
class InstalledModel:
    """What the installed model put on the scene (`scene.installed`), replaced whole by the next
    install; which bundle it is, and why a load failed, are the state's (`state.model`)."""
    projection: LatentProjection
    positions: np.ndarray  # (N, 3) float32, the points in the 3-d view
    cloud: PointCloud
    guides: Guides
    class_counts: np.ndarray  # points per class
    training_images: np.ndarray | None  # data-set order, when its data set is on disk
    dataset_note: str | None  # why there are no training images, when the user asked for them


def request_model(scene, name_or_path: str | Path) -> None:
    """The LoadModel command: load in a background thread (a newer request supersedes this one); the
    prepare phase applies InstallModel with the outcome (`poll_loaded`)."""
    set_error(scene, None)
    scene.loader.request(name_or_path)
    if scene.app is not None:
        scene.app.frames.request_while(lambda: scene.loader.loading is not None)


def prepare_now(scene, name_or_path: str | Path) -> InstallModel:
    """Load on this thread, superseding a background request; the command that installs the outcome."""
    scene.loader.cancel()
    try:
        return InstallModel(prepare_model(name_or_path, scene.data_dir))
    except LOAD_ERRORS as exc:
        return InstallModel(error=error_line(exc))


def poll_loaded(scene) -> InstallModel | None:
    """The command that ends a background load (either way), or None while nothing ended."""
    outcome = scene.loader.poll()
    if outcome is None:
        return None
    return InstallModel(outcome) if isinstance(outcome, PreparedModel) else InstallModel(error=outcome)


def set_error(scene, error: str | None) -> None:
    model = scene.state.model
    if model.error != error:
        model.error = error
        model.touch()


def install(scene, prepared: PreparedModel) -> None:
    """The InstallModel command's work, on the main thread: upload the prepared model and switch
    everything to it."""
    bundle, positions = prepared.bundle, prepared.positions
    state = scene.state
    colors = class_colors(len(bundle.class_names), state.style.class_colors)
    lo, hi = (positions.min(axis=0), positions.max(axis=0)) if len(positions) else (np.zeros(3), np.ones(3))
    cloud = PointCloud(positions, bundle.labels, colors)  # the new one exists before the old goes
    guides = Guides(lo, hi)
    guides.show_axes, guides.show_grid = state.style.show_axes, state.style.show_grid
    if scene.installed is not None:
        scene.installed.cloud.release()
        scene.installed.guides.release()
    switching = state.model.bundle is not None and state.model.bundle is not bundle
    scene.installed = InstalledModel(
        prepared.projection, positions, cloud, guides,
        np.bincount(bundle.labels, minlength=len(bundle.class_names)),
        prepared.training_images, prepared.dataset_note)
    scene.camera.frame_points(lo, hi, aspect=scene.viewport[0] / scene.viewport[1])
    scene.camera.snap()
    scene.picker.forget_cloud()
    if switching:
        scene.decoder.set_bundle(bundle)
    scene.output_images.reset()
    scene.history.clear()  # an undo must not bring back another model's classes or points
    state.model.bundle, state.model.error = bundle, None
    state.highlight.mask = (True,) * len(bundle.class_names)
    state.highlight.points = None  # it counted the old model's points
    state.pointer.hovered = None
    state.selection.index = state.selection.latent = state.selection.source = None
    state.intent.latest = state.intent.chosen = "selection"
    state.intent.yielded_at = None
    scene.last_refusal = scene.refused = None  # a refusal names the old model's points
    for part in (state.model, state.highlight, state.pointer, state.selection, state.intent, state.view):
        part.touch()
    scene.layer_cache.set_model(positions, bundle.labels)  # and invalidates: the draw order builds meanwhile
    for listener in list(scene.model_listeners):
        listener(bundle)
