"""Switching the explorer's model: a background load (`request_model`, the LoadModel command), a
synchronous one (`load_model`, for sessions and set-up), and the install on the main thread (GL
uploads, the decoder's new generation, the state's model part). Called by the scene's apply and
prepare phases only."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from latentwalk.scenes.explorer.view.grid import Guides
from latentwalk.scenes.explorer.model.model_loader import LOAD_ERRORS, PreparedModel, error_line, prepare_model
from latentwalk.scenes.explorer.view.palette import class_colors
from latentwalk.scenes.explorer.view.points import PointCloud


def request_model(scene, name_or_path: str | Path) -> None:
    """Load in a background thread; `poll_loaded` installs it once ready (a newer request supersedes
    this one); on failure the current model stays and state.model.error says why."""
    _set_error(scene, None)
    scene.loader.request(name_or_path)


def load_model(scene, name_or_path: str | Path) -> bool:
    """Switch now; on failure keep the current model and set state.model.error (one line)."""
    scene.loader.cancel()
    try:
        prepared = prepare_model(name_or_path, scene.data_dir)
    except LOAD_ERRORS as exc:
        _set_error(scene, error_line(exc))
        return False
    install(scene, prepared)
    return True


def poll_loaded(scene) -> bool:
    """Prepare phase: install a model that finished loading; True if a load ended (either way)."""
    outcome = scene.loader.poll()
    if isinstance(outcome, PreparedModel):
        install(scene, outcome)
    elif outcome is not None:
        _set_error(scene, outcome)
    return outcome is not None


def _set_error(scene, error: str | None) -> None:
    model = scene.state.model
    if model.error != error:
        model.error = error
        model.touch()


def install(scene, prepared: PreparedModel) -> None:
    """Main thread: upload the prepared model and switch everything to it."""
    bundle, positions = prepared.bundle, prepared.positions
    state = scene.state
    colors = class_colors(len(bundle.class_names), state.style.class_colors)
    lo, hi = (positions.min(axis=0), positions.max(axis=0)) if len(positions) else (np.zeros(3), np.ones(3))
    cloud = PointCloud(positions, bundle.labels, colors)  # the new one exists before the old goes
    guides = Guides(lo, hi)
    guides.show_axes, guides.show_grid = state.style.show_axes, state.style.show_grid
    for old in (scene.cloud, scene.guides):
        if old is not None:
            old.release()
    switching = state.model.bundle is not None and state.model.bundle is not bundle
    scene.projection, scene.positions = prepared.projection, positions
    scene.cloud, scene.guides, scene.class_colors = cloud, guides, colors
    scene.class_counts = np.bincount(bundle.labels, minlength=len(bundle.class_names))
    scene.training_images, scene.dataset_note = prepared.training_images, prepared.dataset_note
    scene.camera.frame_points(lo, hi, aspect=scene.viewport[0] / scene.viewport[1])
    scene.camera.snap()
    scene.picker.forget_view()
    if switching:
        scene.decoder.set_bundle(bundle)
    scene.outputs.reset()
    scene.history.clear()  # an undo must not bring back another model's classes or points
    state.model.bundle, state.model.error = bundle, None
    state.highlight.mask = (True,) * len(bundle.class_names)
    state.pointer.hovered = None
    state.selection.index = state.selection.latent = state.selection.source = None
    state.output.owner, state.output.caption = None, ""
    state.output.intent = state.output.chosen = "selection"
    state.output.yielded_at = None
    scene.last_refusal = scene.refused = None  # a refusal names the old model's points
    for part in (state.model, state.highlight, state.pointer, state.selection, state.output, state.view):
        part.touch()
    scene.layer_cache.set_model(positions, bundle.labels)  # and invalidates: the draw order builds meanwhile
    for listener in list(scene.model_listeners):
        listener(bundle)
