"""The decoder service: a BatchWorker thread owns the model and turns latent vectors into images;
the main thread submits requests and, once a frame, `pump()`s finished results to whoever
subscribed to their channel (the Output panel for "hover", a filmstrip for its own channel).

The worker never touches GL and the render loop never waits on it. On CPU it runs torch with one
thread so llvmpipe keeps its core (measured: two torch threads cost 27 % missed frames).
"""
from __future__ import annotations

import threading
from collections import deque
from typing import Callable, Hashable

import numpy as np

from latentwalk.engine.gl import Texture2D
from latentwalk.engine.worker import BatchWorker, WorkResult
from latentwalk.vae.bundle import Bundle

HOVER_CHANNEL = "hover"
# A held decoder (see DecoderService) sets up after warm() or, failing that, after this long.
HOLD_LIMIT_S = 5.0
ResultListener = Callable[[WorkResult], None]


def default_device() -> str:
    import torch  # here, not at import: the explorer's first frame must not wait for torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def decode_batch(decoder, latents: np.ndarray) -> np.ndarray:
    """(B, d) -> float32 (B, H, W) in [0, 1]; a module-level seam so tests can make it fail."""
    from latentwalk.vae.decode import decode_latents

    return decode_latents(decoder, latents, batch_size=max(1, len(latents)))


class DecodeJob:
    """What the worker runs for one model: `setup` (in the worker thread) loads the decoder."""

    def __init__(self, bundle: Bundle, device: str | None, go: threading.Event | None = None,
                 closing: threading.Event | None = None) -> None:
        self.bundle = bundle
        self.device = device
        self.go = go
        self.closing = closing
        self.decoder = None

    def setup(self) -> None:
        if self.go is not None:
            self.go.wait(HOLD_LIMIT_S)
        if self.closing is not None and self.closing.is_set():
            return  # shutting down before the first decode: loading torch now would only delay the exit
        import torch  # in the worker thread: torch's import never holds up a frame

        if self.device is None:
            self.device = default_device()
        if self.device == "cpu":
            torch.set_num_threads(1)
        self.decoder = self.bundle.load_decoder(self.device)

    def __call__(self, latents: list[np.ndarray]) -> list[np.ndarray]:
        return list(decode_batch(self.decoder, np.stack(latents)))


def image_to_rgb_u8(image: np.ndarray) -> np.ndarray:
    """A float image in [0, 1], (H, W) grey or (H, W, 3), as uint8 RGB (what a frame shows of it)."""
    pixels = texture_pixels(image)
    if pixels.ndim == 2:
        pixels = np.repeat(pixels[:, :, None], 3, axis=2)
    return np.ascontiguousarray(pixels)


def texture_pixels(image: np.ndarray) -> np.ndarray:
    """An image as a texture holds it: uint8 (H, W) for grey, (H, W, 3) for colour. Float images are
    in [0, 1]; uint8 ones (training pictures) are taken as they are."""
    image = np.asarray(image)
    if image.ndim == 3 and image.shape[2] == 1:
        image = image[..., 0]
    if image.dtype == np.uint8:
        return np.ascontiguousarray(image)
    return np.ascontiguousarray(np.clip(np.rint(image.astype(np.float32) * 255.0), 0, 255).astype(np.uint8))


def upload_image(texture: Texture2D | None, pixels: np.ndarray, *, at: tuple[int, int] | None = None,
                 size: tuple[int, int] | None = None) -> Texture2D:
    """The one path by which pictures reach textures: a single-channel texture shown grey or an RGB
    one, chosen by `pixels`' channels (texture_pixels). The texture is made, or made again when its
    channels or `size` (width, height; default the pixels' own) differ, then `pixels` go in at `at`
    (a cell of an atlas) or fill it. Returns the texture to keep."""
    height, width = pixels.shape[:2]
    components = 1 if pixels.ndim == 2 else pixels.shape[2]
    size = size or (width, height)
    if texture is not None and texture.components != components:
        texture.release()
        texture = None
    whole = at is None and size == (width, height)
    if texture is None:
        blank = pixels if whole else np.zeros((size[1], size[0], *pixels.shape[2:]), np.uint8)
        texture = Texture2D.from_image(blank, filter="nearest", grey=components == 1)
        if whole:
            return texture
    elif (texture.width, texture.height) != size:
        texture.resize(*size, data=pixels if whole else np.zeros((size[1], size[0], *pixels.shape[2:]), np.uint8))
        if whole:
            return texture
    texture.update(pixels, *(at or (0, 0)))
    return texture


class ImageSlot:
    """One texture that shows the latest image given to it (nearest filtering: sharp pixels)."""

    def __init__(self) -> None:
        self.texture: Texture2D | None = None
        self.image: np.ndarray | None = None  # what was uploaded, float or uint8

    def show(self, image: np.ndarray) -> None:
        self.texture = upload_image(self.texture, texture_pixels(image))
        self.image = image

    def clear(self) -> None:
        self.image = None

    @property
    def texture_id(self) -> int | None:
        return self.texture.id if self.texture is not None and self.image is not None else None

    def release(self) -> None:
        if self.texture is not None:
            self.texture.release()
            self.texture = None
        self.image = None


class DecoderService:
    """Requests in, images out. Keys are ("point", i) for data-set points, ("z", bytes) for any latent."""

    def __init__(self, bundle: Bundle, *, device: str | None = None, max_batch: int = 64,
                 cache_size: int = 4096, held: bool = False) -> None:
        """`held`: requests queue, but the worker imports torch and loads the decoder only after
        `warm()` (the explorer calls it once its first frame is on screen; torch's import holds the
        GIL for about a second and would delay that frame)."""
        self._device = device  # None: chosen in the worker (cuda if available), which imports torch
        self.bundle = bundle
        self._go = threading.Event()
        self._closing = threading.Event()
        if not held:
            self._go.set()
        job = self._job = DecodeJob(bundle, device, self._go, self._closing)
        self.worker = BatchWorker(job, setup=job.setup, max_batch=max_batch, cache_size=cache_size,
                                  name="decoder")
        self._listeners: dict[str, list[ResultListener]] = {}
        self.last_error: str | None = None
        self.last_batch_ms = 0.0
        self.last_batch_size = 0
        self._recent_batch_ms: deque[float] = deque(maxlen=9)
        self.results_seen = 0

    def warm(self) -> None:
        """Let the worker load torch and the decoder now, ahead of the first request; idempotent."""
        if not self._go.is_set():
            self._go.set()
            self.worker.start()

    @property
    def device(self) -> str:
        """Where decoding runs; "auto" until the worker has chosen."""
        return self._job.device or self._device or "auto"

    def set_bundle(self, bundle: Bundle) -> None:
        """Another model: queued work is dropped, the cache cleared, the new decoder set up in the worker."""
        job = self._job = DecodeJob(bundle, self._job.device or self._device, self._go, self._closing)
        self.bundle = bundle
        self.worker.replace_fn(job, setup=job.setup)
        self.last_error = None

    # ----------------------------------------------------------------- requests
    def request_point(self, index: int, channel: str = HOVER_CHANNEL, *, latest_only: bool = True) -> Hashable:
        key = ("point", int(index))
        self.worker.submit(key, self.bundle.latents[int(index)], channel=channel, latest_only=latest_only)
        return key

    def request_latent(self, latent: np.ndarray, channel: str, *, latest_only: bool = False) -> Hashable:
        latent = np.ascontiguousarray(latent, dtype=np.float32).reshape(-1)
        key = ("z", latent.tobytes())
        self.worker.submit(key, latent, channel=channel, latest_only=latest_only)
        return key

    def subscribe(self, channel: str, listener: ResultListener) -> None:
        """`listener(result)` is called on the main thread, from pump(), for each result of `channel`."""
        self._listeners.setdefault(channel, []).append(listener)

    def unsubscribe(self, channel: str, listener: ResultListener) -> None:
        if listener in self._listeners.get(channel, []):
            self._listeners[channel].remove(listener)

    # ----------------------------------------------------------------- main-thread delivery
    def pump(self, timeout: float = 0.0, channels: tuple[str, ...] | None = None) -> int:
        """Deliver finished results of the current model (of `channels` only, when given); returns how
        many were delivered. With a timeout, wait that long for the first one (the deterministic frame
        mode, and a hover's image for a few ms while the decoder is that fast)."""
        delivered = 0
        generation = self.worker.generation
        for result in self.worker.poll(timeout, channels):
            if result.generation != generation:
                continue
            self.results_seen += 1
            if result.batch_size:
                self.last_batch_ms = result.seconds * 1000.0
                self._recent_batch_ms.append(self.last_batch_ms)
                self.last_batch_size = result.batch_size
            if result.error is not None:
                self.last_error = result.error
            else:
                self.last_error = None if result.channel == HOVER_CHANNEL else self.last_error
            for listener in list(self._listeners.get(result.channel, ())):
                listener(result)
            delivered += 1
        return delivered

    @property
    def typical_batch_ms(self) -> float:
        """The median of the last few batches' times (0 before the first): one slow batch on a busy
        machine does not change what the decoder usually takes."""
        return float(np.median(self._recent_batch_ms)) if self._recent_batch_ms else 0.0

    def wait(self, timeout: float = 5.0) -> bool:
        """Block until the worker is idle (tests and benches only; the render loop never calls it)."""
        return self.worker.wait_idle(timeout)

    def close(self) -> None:
        self._closing.set()
        self._go.set()  # a held worker waiting for warm() ends now instead of after HOLD_LIMIT_S
        self.worker.close()
