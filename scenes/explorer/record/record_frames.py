"""What each recorded frame shows, computed without GL: the walk's timeline, the decoded image of every
frame's own step, the class of the training point nearest to it, and the 2-d layouts around them.

Decisions:
- Frame i of n sits at t = i / (n - 1) on an open walk (the first frame shows the first control point,
  the last frame the last one) and at t = i / n on a closed one (the frame after the last would be the
  first again, so a looping video does not stutter). `--orbit DEG` turns the camera by the same
  fraction of DEG.
- Every frame's image is decoded here, in batches just before those frames are rendered, from the curve
  at each frame's own t: no frame can show a stale image, however slow the machine. A frame is a pure
  function of its index.
- Images are scaled by a whole factor (nearest: sharp pixels). The caption names the class of the
  nearest training point in latent space (Euclidean), worded as that ("nearest training image: a 4"),
  never as the class of the decoded image, which may look like another digit where classes meet.
  A caption is made smaller, and moved in from the edge, until it fits the frame whole.
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np


BACKGROUND_RGB = (20, 20, 26)  # the explorer's background, (0.08, 0.08, 0.10)
CAPTION_RGB = (235, 235, 235)
INSET_BORDER_RGB = (200, 200, 210)
IMAGE_SHARE = 0.78  # of the panel's height, for the image layout's image
INSET_SHARE = 0.28  # of the frame's height, for the view layout's inset
CAPTION_EDGE_PX = 4  # a caption keeps this far from the frame's left and right edges
NEAREST_CHUNK = 64  # frames per distance block: 64 x 60k floats = 15 MB


def walk_fractions(frames: int, closed: bool) -> np.ndarray:
    """The walk position (and orbit fraction) of each frame, in [0, 1]."""
    if frames < 1:
        raise ValueError(f"a recording needs at least one frame, got {frames}")
    if closed:
        return np.arange(frames, dtype=np.float64) / frames
    return np.linspace(0.0, 1.0, frames) if frames > 1 else np.zeros(1)


def nearest_caption(class_name: str, word: str = "training image") -> str:
    """What a frame's caption says: the class of the training image nearest to its latent, as that
    (a bundle of pictures shows that real picture itself, and says "real picture")."""
    return f"nearest {word}: {with_article(class_name)}"


def with_article(name: str) -> str:
    """'a 4', 'an 8', 'an 11', 'an Ankle boot': the article by how the name is said."""
    word = name.strip()
    vowel_sound = word.startswith("8") or word in ("11", "18") or word[:1].lower() in ("a", "e", "i", "o")
    return f"{'an' if vowel_sound else 'a'} {word}"


def nearest_points(latents: np.ndarray, data: np.ndarray) -> np.ndarray:
    """For each row of `latents`, the index of the nearest row of `data` (squared Euclidean)."""
    data = np.asarray(data, np.float32)
    data_sq = np.einsum("ij,ij->i", data, data)
    result = np.empty(len(latents), np.int64)
    for start in range(0, len(latents), NEAREST_CHUNK):
        block = np.asarray(latents[start:start + NEAREST_CHUNK], np.float32)
        distances = data_sq[None, :] - 2.0 * block @ data.T  # + |block|^2, the same along each row
        result[start:start + len(block)] = np.argmin(distances, axis=1)
    return result


class WalkFrames:
    """The decoded image and caption of every frame of a recording, decoded CHUNK frames at a time just
    before they are needed (a long recording never holds all its images at once)."""

    CHUNK = 64

    def __init__(self, bundle, curve, fractions: np.ndarray, decoder=None) -> None:
        self.bundle = bundle
        self.curve = curve
        self.fractions = np.asarray(fractions, np.float64)
        self.decoder = decoder or bundle.load_decoder("cpu")
        self._start = -1
        self._images = np.zeros((0, *bundle.image_shape), np.float32)
        self._captions: list[str] = []

    def __len__(self) -> int:
        return len(self.fractions)

    def latents(self, start: int, stop: int) -> np.ndarray:
        return np.stack([self.curve.at(float(t)) for t in self.fractions[start:stop]]).astype(np.float32)

    def _load(self, index: int) -> int:
        """Decode the chunk holding frame `index`; returns the index within it."""
        start = index - index % self.CHUNK
        if start != self._start:
            from latentwalk.vae.decode import decode_latents

            latents = self.latents(start, min(len(self), start + self.CHUNK))
            self._images = decode_latents(self.decoder, latents, batch_size=len(latents))
            nearest = nearest_points(latents, self.bundle.latents)
            word = "real picture" if getattr(self.bundle, "kind", "conv") == "pictures" else "training image"
            self._captions = [nearest_caption(self.bundle.class_names[int(self.bundle.labels[i])], word)
                              for i in nearest]
            self._start = start
        return index - start

    def image(self, index: int) -> np.ndarray:
        """Frame `index`'s decoded image, float (H, W) in [0, 1]."""
        position = self._load(index)  # first: it may replace self._images
        return self._images[position]

    def caption(self, index: int) -> str:
        position = self._load(index)
        return self._captions[position]

    def rgb(self, index: int) -> np.ndarray:
        return to_rgb_u8(self.image(index))


def to_rgb_u8(image: np.ndarray) -> np.ndarray:
    """A float image in [0, 1], (H, W) grey or (H, W, 3), as uint8 RGB (as the explorer's textures get it)."""
    pixels = np.clip(np.rint(np.asarray(image, np.float32) * 255.0), 0, 255).astype(np.uint8)
    return np.repeat(pixels[:, :, None], 3, axis=2) if pixels.ndim == 2 else pixels


def upscale(image: np.ndarray, factor: int) -> np.ndarray:
    """Nearest-neighbour enlargement by a whole factor."""
    return np.repeat(np.repeat(image, factor, axis=0), factor, axis=1)


def _font(px: int):
    from PIL import ImageFont

    try:
        return ImageFont.load_default(size=px)
    except (TypeError, OSError, ImportError):  # a Pillow without FreeType: its fixed bitmap font
        return ImageFont.load_default()


@lru_cache(maxsize=64)
def caption_mask(text: str, px: int) -> np.ndarray:
    """The text's coverage as a float32 (h, w) mask in [0, 1], tightly cropped."""
    from PIL import Image, ImageDraw

    font = _font(px)
    left, top, right, bottom = ImageDraw.Draw(Image.new("L", (1, 1))).textbbox((0, 0), text, font=font)
    canvas = Image.new("L", (max(1, right - left), max(1, bottom - top)), 0)
    ImageDraw.Draw(canvas).text((-left, -top), text, fill=255, font=font)
    return np.asarray(canvas, np.float32) / 255.0


def draw_caption(frame: np.ndarray, text: str, px: int, center_x: int, top: int,
                 color=CAPTION_RGB) -> None:
    """Blend `text` into `frame` in place, centred on `center_x` where it fits: a caption wider than the
    frame is drawn smaller, and one that would cross an edge is moved in (clipped only vertically)."""
    px = max(6, int(px))
    mask = caption_mask(text, px)
    room = frame.shape[1] - 2 * CAPTION_EDGE_PX
    while mask.shape[1] > room and px > 6:
        px = max(6, px * room // mask.shape[1])
        mask = caption_mask(text, px)
    height, width = mask.shape
    x0 = min(max(int(center_x - width // 2), CAPTION_EDGE_PX), frame.shape[1] - CAPTION_EDGE_PX - width)
    x0, y0 = max(0, x0), int(top)
    fx0, fy0 = max(0, x0), max(0, y0)
    fx1, fy1 = min(frame.shape[1], x0 + width), min(frame.shape[0], y0 + height)
    if fx0 >= fx1 or fy0 >= fy1:
        return
    alpha = mask[fy0 - y0:fy1 - y0, fx0 - x0:fx1 - x0, None]
    region = frame[fy0:fy1, fx0:fx1].astype(np.float32)
    frame[fy0:fy1, fx0:fx1] = np.rint(region * (1.0 - alpha) + np.asarray(color, np.float32) * alpha)


def image_panel(image: np.ndarray, caption: str, size: tuple[int, int]) -> np.ndarray:
    """The image layout: the decoded image (RGB uint8) enlarged sharp and centred, its caption below."""
    width, height = size
    panel = np.empty((height, width, 3), np.uint8)
    panel[:] = BACKGROUND_RGB
    image_h, image_w = image.shape[:2]
    caption_px = max(10, height // 14)
    factor = max(1, int(min(IMAGE_SHARE * height / image_h, 0.9 * width / image_w)))
    big = upscale(image, factor)
    big_h, big_w = big.shape[:2]
    big_h, big_w = min(big_h, height), min(big_w, width)
    block = big_h + caption_px * 3 // 2
    y0 = max(0, (height - block) // 2)
    x0 = (width - big_w) // 2
    panel[y0:y0 + big_h, x0:x0 + big_w] = big[:big_h, :big_w]
    draw_caption(panel, caption, caption_px, width // 2, y0 + big_h + caption_px // 2)
    return panel


def inset_size(frame_height: int, image_height: int) -> int:
    """The whole factor that makes the view layout's inset about INSET_SHARE of the frame's height."""
    return max(1, int(round(INSET_SHARE * frame_height / image_height)))


def draw_inset(frame: np.ndarray, image: np.ndarray, caption: str) -> None:
    """The view layout's inset, in place: the image enlarged in the bottom-right corner, framed, with
    its caption above it."""
    height, width = frame.shape[:2]
    big = upscale(image, inset_size(height, image.shape[0]))
    big_h, big_w = big.shape[:2]
    margin, border = max(4, height // 48), max(1, height // 360)
    x1, y1 = width - margin, height - margin
    x0, y0 = max(0, x1 - big_w), max(0, y1 - big_h)
    frame[max(0, y0 - border):y1 + border, max(0, x0 - border):x1 + border] = INSET_BORDER_RGB
    frame[y0:y1, x0:x1] = big[big_h - (y1 - y0):, big_w - (x1 - x0):]
    caption_px = max(10, height // 28)
    draw_caption(frame, caption, caption_px, (x0 + x1) // 2, y0 - border - caption_px * 3 // 2)
