"""Draw a digit, see where the encoder puts it: a canvas of the model's own size (28x28 for MNIST),
painted with a soft round brush, encoded on every change by a background worker (never on the render
thread; latest wins), and shown as a selection with source "draw" (the Output panel then shows its
reconstruction, by the usual ownership rule) and as its own marker in the cloud. A PNG or JPEG dropped on
the window goes the same way (the engine's `drop_file` action; other drops stay with the Model panel).
A colour model gets a colour canvas and brush, and dropped pictures prepared as its training pictures
were (vae.encode: RGB, centre-cropped to its size); an imported decoder without an encoder gets one line
saying so instead of a canvas.

Attached to an ExplorerScene through its extension points only, like the walk tools. torch and the
encoder are imported in the worker, so they never delay the explorer's first frame.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from latentwalk.engine.markers import DISC, RING, MarkerRenderer, marker_rows
from latentwalk.engine.input import DROP_FILE
from latentwalk.engine.worker import BatchWorker, WorkResult
from latentwalk.scenes.explorer.core import commands as c

PICTURE_SUFFIXES = (".png", ".jpg", ".jpeg")
MARKER_COLOR = (0.35, 1.0, 0.35, 1.0)  # green: neither a class colour's hue family nor the walk's
MARKER_RADIUS_PX = (6.0, 12.0)  # a disc inside a ring
UNDO_DEPTH = 64


class Canvas:
    """A float image in [0, 1] (model size; (H, W) grey or (H, W, 3) colour) painted by strokes; every
    stroke (and clear) can be undone."""

    def __init__(self, shape: tuple[int, int], channels: int = 1) -> None:
        self.pixels = np.zeros((*shape, 3) if channels == 3 else tuple(shape), np.float32)
        self.brush = 1.2  # radius in canvas pixels
        self.colour = (1.0, 1.0, 1.0)  # the brush's RGB on a colour canvas
        self.version = 0
        self._undo: list[np.ndarray] = []
        self._last: tuple[float, float] | None = None
        self._rows, self._cols = np.indices(tuple(shape), dtype=np.float32) + 0.5

    @property
    def empty(self) -> bool:
        return not self.pixels.any()

    def begin_stroke(self, point: tuple[float, float]) -> None:
        """`point`: (x, y) in canvas pixels (0..W, 0..H)."""
        self._push()
        self._last = point
        self._paint(point, point)

    def continue_stroke(self, point: tuple[float, float]) -> None:
        if self._last is None:
            self.begin_stroke(point)
            return
        if point == self._last:
            return
        self._paint(self._last, point)
        self._last = point

    def end_stroke(self) -> None:
        self._last = None

    def clear(self) -> None:
        if not self.empty:
            self._push()
            self.pixels = np.zeros_like(self.pixels)
            self.version += 1

    def set(self, pixels: np.ndarray) -> None:
        """Replace the picture (a dropped image), undoably."""
        self._push()
        self.pixels = np.asarray(pixels, np.float32).copy()
        self.version += 1

    def undo(self) -> bool:
        if not self._undo:
            return False
        self.pixels = self._undo.pop()
        self._last = None
        self.version += 1
        return True

    def _push(self) -> None:
        self._undo.append(self.pixels.copy())
        del self._undo[:-UNDO_DEPTH]

    def _paint(self, start: tuple[float, float], end: tuple[float, float]) -> None:
        """Distance of each pixel centre to the segment -> an anti-aliased round brush, kept by max."""
        (x0, y0), (x1, y1) = start, end
        dx, dy = x1 - x0, y1 - y0
        length2 = dx * dx + dy * dy
        t = np.zeros_like(self._cols) if length2 == 0 else \
            np.clip(((self._cols - x0) * dx + (self._rows - y0) * dy) / length2, 0.0, 1.0)
        distance = np.hypot(self._cols - (x0 + t * dx), self._rows - (y0 + t * dy))
        coverage = np.clip(self.brush + 0.5 - distance, 0.0, 1.0)
        if self.pixels.ndim == 2:
            np.maximum(self.pixels, coverage, out=self.pixels)
        else:  # paint over what is there: colours mix only at the brush's soft edge
            coverage = coverage[..., None]
            self.pixels *= 1.0 - coverage
            self.pixels += coverage * np.asarray(self.colour, np.float32)
        self.version += 1


class EncodeJob:
    """Runs in the worker: ("pixels", array, centre) or ("file", path) -> (model input, latent)."""

    def __init__(self, bundle) -> None:
        self.bundle = bundle
        self.encoder = None

    def setup(self) -> None:
        import torch

        torch.set_num_threads(1)  # llvmpipe keeps its core (scenes/explorer/model/decoding.py)
        self.encoder = self.bundle.load_encoder() if self.bundle.has_encoder else None

    def __call__(self, payloads: list) -> list:
        return [self._one(payload) for payload in payloads]

    def _one(self, payload) -> tuple[np.ndarray, np.ndarray]:
        from latentwalk.vae.encode import encode_inputs, picture_input, require_encoder, to_model_input

        if self.encoder is None:
            require_encoder(self.bundle)  # raises the one-line reason
        shape, channels = self.bundle.image_shape, self.bundle.channels
        if payload[0] == "file":
            model_input = picture_input(payload[1], shape, channels)
        else:
            pixels, centre = payload[1], payload[2]
            # a colour canvas is already the model's input; a grey one may be centred as MNIST digits were
            centre = centre and channels == 1
            model_input = to_model_input(pixels, shape, "drawing", keep_fitting=False) if centre else pixels
        latent = encode_inputs(self.encoder, model_input[None])[0]
        return model_input, latent


def no_encoder_line(bundle) -> str:
    """Why a model takes no drawings or pictures, in one line."""
    if bundle.kind in ("onnx", "torchscript", "pictures"):
        what = "holds pictures and no encoder" if bundle.kind == "pictures" else \
            f"is an imported {'ONNX' if bundle.kind == 'onnx' else 'TorchScript'} decoder without an encoder"
        return f"{bundle.path.name} {what}: drawings and pictures cannot be placed in its space"
    return f"{bundle.path.name} has no encoder: drawings and pictures cannot be placed in its space"


def _error_text(error: str) -> str:
    """The worker's "Type: message" without the type, for messages that are already one full line."""
    kind, _, message = error.partition(": ")
    return message if kind in ("EncodeError", "BundleError") and message else error


class DrawTools:
    """Construct in the scene's `start` (GL context current, decoder made); `release` in close."""

    def __init__(self, scene) -> None:
        self.scene = scene
        self.canvas = Canvas(scene.bundle.image_shape, scene.bundle.channels)
        self.centre = True  # crop, scale and centre by mass, as MNIST digits were made
        self.latent: np.ndarray | None = None  # the drawing's (or dropped picture's) encoder mean
        self.model_input: np.ndarray | None = None  # what the encoder saw
        self.error: str | None = None
        self.source = ""  # "drawing" or the dropped file's name
        self.results = 0  # encodings applied (tests wait on it)
        self.arrived = 0  # results (or errors) taken in; the panel notes which it has drawn (`drawn`)
        self.drawn = 0
        job = EncodeJob(scene.bundle)
        # started by the first drawing (submit): its set-up imports torch, which must not delay the first frame
        self.worker = BatchWorker(job, setup=job.setup, max_batch=4, cache_size=0, name="encoder")
        self._wanted: tuple | None = None
        self._sent_version = -1
        self._markers = MarkerRenderer(capacity=2)
        from latentwalk.scenes.explorer.panels.draw import DrawPanel

        self.panel = DrawPanel(scene, self)
        scene.panels.append(self.panel)
        scene.action_handlers.append(self.handle_action)
        scene.preparers.append(self.prepare)
        scene.overlay_renderers.append(self.render_marker)
        scene.model_listeners.append(self._on_model)

    # -- requests ----------------------------------------------------------------------------------
    def encode_file(self, path: str | Path) -> None:
        self.source = Path(path).name
        self._submit(("file", str(path)))

    def handle_action(self, action) -> bool:
        """A dropped picture is encoded here; any other drop (a bundle folder) goes on to the scene."""
        if action.name == DROP_FILE and action.text and Path(action.text).suffix.lower() in PICTURE_SUFFIXES:
            self.scene.submit(c.EncodePicture(action.text))
            return True
        return False

    def _submit(self, payload) -> None:
        bundle = self.scene.bundle
        if not bundle.has_encoder:  # said at once, without a trip through the worker
            self.error = no_encoder_line(bundle)
            self._arrive()
            return
        key = ("encode", self.worker.stats.requests, payload[0])
        self._wanted = key
        self.worker.submit(key, payload, channel="draw", latest_only=True)

    # -- prepare: send the canvas when it changed, take results ------------------------------------
    def prepare(self, alpha: float) -> None:
        canvas = self.canvas
        if canvas.version != self._sent_version:
            self._sent_version = canvas.version
            if not canvas.empty:
                self.source = "drawing"
                self._submit(("pixels", canvas.pixels.copy(), self.centre))
        for result in self.worker.poll():
            self._receive(result)

    def _receive(self, result: WorkResult) -> None:
        if result.key != self._wanted:
            return  # superseded by a newer stroke
        self._arrive()
        if not result.ok:
            self.error = _error_text(result.error)
            return
        self.error = None
        self.model_input, latent = result.value
        self.latent = latent
        self.results += 1
        if result.key[2] == "file":  # a dropped picture becomes the canvas: draw over it
            self.canvas.set(self.model_input)
            self._sent_version = self.canvas.version
        self.scene.submit(c.Select(latent=tuple(float(v) for v in latent), source="draw"))

    def add_to_walk(self) -> None:
        if self.latent is not None:
            self.scene.submit(c.AddControlPoint(latent=tuple(float(v) for v in self.latent)))

    def recentre(self, centre: bool) -> None:
        self.centre = centre
        self._sent_version = -1  # encode again the same strokes

    def _arrive(self) -> None:
        """A result (or error) to show: frames until the panel has drawn it, idle or not."""
        self.arrived += 1
        if self.scene.app is not None:
            self.scene.app.frames.request_while(self._undrawn)

    def _undrawn(self) -> bool:
        return self.scene.state.ui.panels_visible and self.arrived != self.drawn

    # -- the marker --------------------------------------------------------------------------------
    def marker_position(self) -> np.ndarray | None:
        if self.latent is None:
            return None
        return self.scene.installed.projection.to_3d(self.latent[None])[0]

    def render_marker(self, ctx) -> None:
        position = self.marker_position()
        if position is None:
            return
        inner, outer = MARKER_RADIUS_PX
        rows = np.concatenate([marker_rows(position, inner, MARKER_COLOR, DISC),
                               marker_rows(position, outer, MARKER_COLOR, RING)])
        self._markers.draw(rows, ctx.view_projection, ctx.viewport)  # over the cloud, even from inside it

    # -- model switch, release ---------------------------------------------------------------------
    def _on_model(self, bundle) -> None:
        """Another model: its own encoder and size; the old point means nothing in the new space."""
        job = EncodeJob(bundle)
        self.worker.replace_fn(job, setup=job.setup)
        fresh = Canvas(bundle.image_shape, bundle.channels)
        if self.canvas.pixels.shape != fresh.pixels.shape:
            self.canvas = fresh
        self.latent = self.model_input = self._wanted = None
        self.error = None
        self._sent_version = -1

    def release(self) -> None:
        self.worker.close()
        self.panel.release()
        self._markers.release()

