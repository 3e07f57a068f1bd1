"""Inside the model, for the Activations and Weights panels: one background worker (never the render
thread) that runs the current decoder layer by layer for the latent whose image Output shows (latest
wins), and compares the current bundle with another one (per-layer linear CKA, weights as colour).

Work is asked for only while a panel is open, so a closed panel costs nothing. torch and the model
code are imported in the worker, so they never delay the explorer's first frame.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from latentwalk.engine.worker import BatchWorker, WorkResult

ACTIVATIONS_CHANNEL = "activations"
COMPARE_CHANNEL = "compare"
INITIALIZERS_CHANNEL = "initializers"
COMPARE_SAMPLES = 200  # training images for the panel's CKA: a second or two on one thread


@dataclass(frozen=True)
class LayerView:
    name: str
    description: str
    shape: tuple[int, ...]
    values: np.ndarray  # float32, the layer's output (the panel lays it out)
    channels: int | None  # for a 1-d layer, the channels the next layer reshapes it into


@dataclass(frozen=True)
class WeightsView:
    comparison: object  # vae.similarity.Comparison
    images_a: dict  # layer -> WeightsImage
    images_b: dict
    path_b: Path
    layers: tuple[str, ...]  # the layers pictured, in order (decoder, then the colour encoder's first)


class InsightJob:
    def __init__(self, bundle) -> None:
        self.bundle = bundle
        self.decoder = None
        self.graph_activations = None  # an imported ONNX decoder's layers

    def setup(self) -> None:
        import torch

        torch.set_num_threads(1)  # llvmpipe keeps its core (scenes/explorer/model/decoding.py)
        if self.bundle.kind in ("conv", "onnx"):
            self.decoder = self.bundle.load_decoder()
        if self.bundle.kind == "onnx":
            from latentwalk.vae.onnx_insight import GraphActivations

            self.graph_activations = GraphActivations(self.decoder)

    def __call__(self, payloads: list) -> list:
        return [self._one(payload) for payload in payloads]

    def _one(self, payload):
        from latentwalk.vae.activations import decoder_activations
        from latentwalk.vae.bundle import load_bundle
        from latentwalk.vae.similarity import compare_bundles

        if payload[0] == "initializers":
            from latentwalk.vae.onnx_insight import initializers

            return initializers(self.decoder.onnx_model)
        if payload[0] == "activations" and self.graph_activations is not None:
            return [LayerView(layer.name, layer.description, layer.shape, layer.values, None)
                    for layer in self.graph_activations(payload[1])]
        if payload[0] == "activations":
            layers = decoder_activations(self.decoder, payload[1])
            return [LayerView(layer.name, layer.description, layer.shape, layer.values,
                              following.shape[0] if layer.values.ndim == 1 and following is not None else None)
                    for layer, following in zip(layers, layers[1:] + [None])]
        other = load_bundle(payload[1])
        comparison = compare_bundles(self.bundle, other, samples=COMPARE_SAMPLES)
        images_a, images_b = weight_images(self.bundle, self.decoder), weight_images(other, other.load_decoder())
        layers = tuple(layer for layer in images_a if layer in images_b)
        return WeightsView(comparison, images_a, images_b, other.path, layers)


def weight_images(bundle, decoder) -> dict:
    """Layer -> WeightsImage of the decoder's weighted layers, and of a colour encoder's first layer (the
    kernels that read a picture's R, G and B) where the bundle has one."""
    from latentwalk.vae.similarity import ENCODER_LAYER, weight_layers, weights_image

    images = {layer: weights_image(layer, decoder) for layer, _ in weight_layers(decoder)}
    if bundle.channels == 3 and bundle.has_encoder:
        images[ENCODER_LAYER[0]] = weights_image(ENCODER_LAYER[0], bundle.load_encoder())
    return images


def output_latent(scene) -> np.ndarray | None:
    """The latent of the image the Output panel shows (its owner's), or None."""
    state, owner = scene.state, scene.output_images.shown_owner
    if owner == "hover" and state.pointer.hovered is not None:
        return scene.bundle.latents[state.pointer.hovered]
    if owner == "selection":
        if state.selection.index is not None:
            return scene.bundle.latents[state.selection.index]
        if state.selection.latent is not None:
            return np.asarray(state.selection.latent, np.float32)
    if owner == "walk" and scene.state.walk.path is not None:
        latent = scene.state.walk.path.current_latent()
        return None if latent is None else np.asarray(latent, np.float32)
    return None


def _unavailable(bundle) -> str | None:
    from latentwalk.vae.onnx_insight import unavailable

    return unavailable(bundle.kind) if bundle is not None else None


class InsightService:
    """Requests in, layer views and comparisons out, delivered in the scene's prepare phase."""

    def __init__(self, scene) -> None:
        self.scene = scene
        job = InsightJob(scene.bundle)
        # started by the first request: its set-up imports torch, which must not delay the first frame
        self.worker = BatchWorker(job, setup=job.setup, max_batch=1, cache_size=64, name="insight")
        self.activations: list[LayerView] | None = None
        self.activations_latent: np.ndarray | None = None
        self.weights: WeightsView | None = None
        self.compare_error: str | None = None
        self.comparing: str | None = None  # the bundle being compared, while it runs
        self.activations_error: str | None = None
        self.activations_wanted = False  # set by the Activations panel while it is open
        self.unavailable = _unavailable(scene.bundle)  # why the panels have nothing to show, in one line
        self.initializers: list | None = None  # an ONNX decoder's weights: (name, shape, values)
        self._initializers_key = None
        self.arrived = 0  # results taken in; the panels note which they have drawn (`drawn`)
        self.drawn = 0
        self._wanted_key = None
        self._compare_key = None

    def compare_with(self, name_or_path: str) -> None:
        self.comparing, self.compare_error = str(name_or_path), None
        self._compare_key = ("compare", str(name_or_path), self.worker.generation)
        self.worker.submit(self._compare_key, ("compare", str(name_or_path)), channel=COMPARE_CHANNEL,
                           latest_only=True)

    def ask_for_initializers(self) -> None:
        """The Weights panel of an ONNX decoder is open: list its initializers (once per model)."""
        if self._initializers_key is None:
            self._initializers_key = ("initializers", self.worker.generation)
            self.worker.submit(self._initializers_key, ("initializers",), channel=INITIALIZERS_CHANNEL,
                               latest_only=True)

    def prepare(self, alpha: float) -> None:
        if self.activations_wanted and self.unavailable is None:
            latent = output_latent(self.scene)
            if latent is not None:
                key = ("activations", np.asarray(latent, np.float32).tobytes())
                if key != self._wanted_key:
                    self._wanted_key = key
                    self.worker.submit(key, ("activations", np.asarray(latent, np.float32)),
                                       channel=ACTIVATIONS_CHANNEL, latest_only=True)
        for result in self.worker.poll():
            self._receive(result)

    def _undrawn(self) -> bool:
        """Holding a result the panels have not drawn yet."""
        return self.scene.state.ui.panels_visible and self.arrived != self.drawn

    def _receive(self, result: WorkResult) -> None:
        if result.generation != self.worker.generation:
            return
        self.arrived += 1
        if self.scene.app is not None:  # taken in by an idle frame's prepare too: frames until it shows
            self.scene.app.frames.request_while(self._undrawn)
        if result.channel == ACTIVATIONS_CHANNEL and result.key == self._wanted_key:
            self.activations_error = result.error
            if result.ok:
                self.activations = result.value
                self.activations_latent = np.frombuffer(result.key[1], np.float32).copy()
        elif result.channel == INITIALIZERS_CHANNEL and result.key == self._initializers_key:
            if result.ok:
                self.initializers = result.value
            else:
                self.compare_error = result.error
        elif result.channel == COMPARE_CHANNEL and result.key == self._compare_key:
            self.comparing = None
            if result.ok:
                self.weights = result.value
            else:
                kind, _, message = result.error.partition(": ")
                self.compare_error = message if kind in ("BundleError", "CompareError") else result.error

    @property
    def busy(self) -> bool:
        return self.worker.pending_count > 0

    def on_model(self, bundle) -> None:
        job = InsightJob(bundle)
        self.worker.replace_fn(job, setup=job.setup)
        self.unavailable = _unavailable(bundle)
        self.initializers = self._initializers_key = None
        self.activations = self.activations_latent = self.weights = self.activations_error = None
        self._wanted_key = self._compare_key = None
        self.comparing = self.compare_error = None

    def close(self) -> None:
        self.worker.close()


class InsightTools:
    """The Activations and Weights panels and their worker, attached through the scene's extension
    points; construct in the scene's `start`, `release` in close."""

    def __init__(self, scene) -> None:
        from latentwalk.scenes.explorer.panels.activations import ActivationsPanel
        from latentwalk.scenes.explorer.panels.weights import WeightsPanel

        self.scene = scene
        self.service = InsightService(scene)
        self.activations_panel = ActivationsPanel(scene, self.service)
        self.weights_panel = WeightsPanel(scene, self.service)
        scene.panels.extend([self.activations_panel, self.weights_panel])
        scene.preparers.append(self.service.prepare)
        scene.model_listeners.append(self.service.on_model)

    def release(self) -> None:
        self.service.close()
        self.activations_panel.release()
        self.weights_panel.release()
