"""Images -> latents: the encoder's means, and any picture turned into the model's input format.

A picture already in the input format (the model's size, one grey channel, dark background, as
the training images are) is taken as it is. Any other is converted the way the MNIST digits were
made from NIST's scans: grey, inverted when its background is light, cropped to the ink's
bounding box, scaled so its longer side fills 20 of 28 pixels (aspect kept, anti-aliased), and
pasted into the full frame so that its centre of mass sits at the centre.

A colour model (three channels) takes pictures as colour pictures are prepared for training: RGB with
the EXIF orientation applied and transparency flattened onto black, the shorter side scaled to the
model's size and the longer one centre-cropped, values in [0, 1].
"""
from __future__ import annotations

import os
import warnings
from pathlib import Path

import numpy as np
import torch

from latentwalk.vae.atomic import atomic_file, check_writable_folder, write_errors
from latentwalk.vae.errors import VaeError
from latentwalk.vae.model import ConvEncoder
from latentwalk.vae.safeio import MAX_PICTURE_PIXELS, open_regular

IMAGE_FORMATS = ("PNG", "JPEG")
DIGIT_BOX = 20 / 28  # MNIST: the digit's longer side is 20 pixels of the 28-pixel frame
INK_THRESHOLD = 0.1  # of the brightest ink: fainter pixels are background noise, not the digit's extent


class EncodeError(VaeError):
    """Images that cannot be encoded (unreadable file, blank picture, no encoder in the bundle)."""


# ----------------------------------------------------------------- pictures -> model input
def read_picture(path: str | Path, channels: int = 1) -> np.ndarray:
    """A PNG or JPEG file as float32 in [0, 1], upright as its EXIF orientation says (as a viewer shows
    it): grey (H, W), transparency flattened onto a background that contrasts with the ink, or with
    `channels` 3 RGB (H, W, 3), transparency flattened onto black. Only a regular file is opened (a FIFO
    would block), and its pixels are counted from the header before it is decoded. One-line EncodeError
    naming the file for anything unreadable."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    path = Path(path)
    try:
        with open_regular(path, EncodeError, what="an image") as handle, warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # our own cap is lower: checked below
            image = Image.open(handle, formats=IMAGE_FORMATS)
            with image:
                width, height = image.size
                if width * height > MAX_PICTURE_PIXELS:
                    raise EncodeError(f"{path}: {width}x{height} is too large (the limit is "
                                      f"{MAX_PICTURE_PIXELS // 1_000_000} million pixels)")
                image.load()
                upright = ImageOps.exif_transpose(image)
                return picture_to_grey(upright) if channels == 1 else picture_to_rgb(upright)
    except UnidentifiedImageError:
        raise EncodeError(f"{path}: not a PNG or JPEG image") from None
    except Image.DecompressionBombError:
        raise EncodeError(f"{path}: image too large to be a drawing") from None
    except OSError as exc:
        raise EncodeError(f"{path}: cannot read the image ({_first_line(exc)})") from None
    except (ValueError, SyntaxError) as exc:  # PIL raises these for some corrupt headers
        raise EncodeError(f"{path}: corrupt image ({_first_line(exc)})") from None


def picture_to_rgb(image) -> np.ndarray:
    """A PIL image as float32 RGB (H, W, 3) in [0, 1], transparency flattened onto black."""
    rgba = np.asarray(image.convert("RGBA"), np.float32) / 255.0
    return np.ascontiguousarray(rgba[..., :3] * rgba[..., 3:])


def to_colour_input(rgb: np.ndarray, image_shape: tuple[int, int], name: str = "image") -> np.ndarray:
    """float32 (H, W, 3) in [0, 1] at the model's size: scaled (area-averaged when shrinking) until it
    covers the frame, then centre-cropped; a picture already the model's size is taken as it is."""
    from PIL import Image

    rgb = np.asarray(rgb, np.float32)
    if rgb.ndim != 3 or rgb.shape[2] != 3 or min(rgb.shape[:2]) < 1:
        raise EncodeError(f"{name}: expected an RGB picture (H, W, 3), got shape {rgb.shape}")
    height, width = image_shape
    if rgb.shape[:2] == (height, width):
        return rgb
    scale = max(height / rgb.shape[0], width / rgb.shape[1])
    size = (max(width, round(rgb.shape[1] * scale)), max(height, round(rgb.shape[0] * scale)))
    pixels = Image.fromarray(np.clip(np.rint(rgb * 255.0), 0, 255).astype(np.uint8), "RGB")
    resized = np.asarray(pixels.resize(size, Image.Resampling.BOX if scale < 1 else Image.Resampling.BILINEAR),
                         np.float32) / 255.0
    top, left = (size[1] - height) // 2, (size[0] - width) // 2
    return np.ascontiguousarray(resized[top:top + height, left:left + width])


def picture_input(path: str | Path, image_shape: tuple[int, int], channels: int = 1) -> np.ndarray:
    """A picture file as the model's input: grey (H, W) the MNIST way, or RGB (H, W, 3) for a colour model."""
    if channels == 3:
        return to_colour_input(read_picture(path, 3), image_shape, str(path))
    return to_model_input(read_picture(path), image_shape, str(path))


def picture_to_grey(image) -> np.ndarray:
    """A PIL image as float32 grey in [0, 1]."""
    has_alpha = image.mode in ("RGBA", "LA", "PA", "La", "RGBa") or "transparency" in image.info
    if not has_alpha:
        return np.asarray(image.convert("L"), np.float32) / 255.0
    rgba = np.asarray(image.convert("RGBA"), np.float32) / 255.0
    grey = rgba[..., :3] @ np.array([0.299, 0.587, 0.114], np.float32)
    alpha = rgba[..., 3]
    opaque = alpha > 0.5
    ink_is_dark = grey[opaque].mean() < 0.5 if opaque.any() else True
    background = 1.0 if ink_is_dark else 0.0
    return grey * alpha + background * (1.0 - alpha)


def is_model_input(grey: np.ndarray, image_shape: tuple[int, int]) -> bool:
    """Already the model's format: its size, and light ink on a dark background."""
    return tuple(grey.shape) == tuple(image_shape) and _border(grey).mean() < 0.5


def to_model_input(grey: np.ndarray, image_shape: tuple[int, int], name: str = "image", *,
                   keep_fitting: bool = True) -> np.ndarray:
    """float32 (H, W) in [0, 1], light ink on black, as the model was trained on (see module doc).
    `keep_fitting=False` normalises even a picture already in the model's format (a drawing on a
    canvas of the model's size, drawn anywhere at any size)."""
    grey = np.asarray(grey, np.float32)
    if grey.ndim != 2 or min(grey.shape) < 1:
        raise EncodeError(f"{name}: expected a 2-d picture, got shape {grey.shape}")
    if keep_fitting and is_model_input(grey, image_shape):
        return grey
    ink = 1.0 - grey if _border(grey).mean() >= 0.5 else grey.copy()
    ink = np.clip(ink - np.median(_border(ink)), 0.0, None)  # paper that is not quite white
    peak = float(ink.max())
    if peak <= 1e-3:
        raise EncodeError(f"{name}: blank picture (no ink to encode)")
    ink /= peak
    rows = np.flatnonzero((ink > INK_THRESHOLD).any(axis=1))
    cols = np.flatnonzero((ink > INK_THRESHOLD).any(axis=0))
    ink = ink[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]
    return _centre_by_mass(_scale_into_box(ink, image_shape), image_shape)


def _border(grey: np.ndarray) -> np.ndarray:
    return np.concatenate([grey[0], grey[-1], grey[:, 0], grey[:, -1]])


def _scale_into_box(ink: np.ndarray, image_shape: tuple[int, int]) -> np.ndarray:
    from PIL import Image

    box = max(1, round(DIGIT_BOX * min(image_shape)))
    height, width = ink.shape
    scale = box / max(height, width)
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    resized = Image.fromarray(ink, mode="F").resize(size, Image.Resampling.LANCZOS if scale < 1
                                                    else Image.Resampling.BILINEAR)
    return np.clip(np.asarray(resized, np.float32), 0.0, 1.0)


def _centre_by_mass(ink: np.ndarray, image_shape: tuple[int, int]) -> np.ndarray:
    """Paste `ink` into a black frame so its centre of mass lands on the frame's centre (clipped
    where a lopsided shape would leave the frame)."""
    height, width = image_shape
    frame = np.zeros((height, width), np.float32)
    total = float(ink.sum())
    rows, cols = np.indices(ink.shape)
    mass_row = float((rows * ink).sum() / total) if total > 0 else (ink.shape[0] - 1) / 2
    mass_col = float((cols * ink).sum() / total) if total > 0 else (ink.shape[1] - 1) / 2
    top = int(round((height - 1) / 2 - mass_row))
    left = int(round((width - 1) / 2 - mass_col))
    src_top, src_left = max(0, -top), max(0, -left)
    dst_top, dst_left = max(0, top), max(0, left)
    rows_n = min(ink.shape[0] - src_top, height - dst_top)
    cols_n = min(ink.shape[1] - src_left, width - dst_left)
    if rows_n > 0 and cols_n > 0:
        frame[dst_top:dst_top + rows_n, dst_left:dst_left + cols_n] = \
            ink[src_top:src_top + rows_n, src_left:src_left + cols_n]
    return frame


def load_pictures(paths: list[str | Path], image_shape: tuple[int, int], channels: int = 1) -> np.ndarray:
    """Files -> float32 (N, H, W) (or (N, H, W, 3) for a colour model) model inputs, one line naming the
    first bad file."""
    return np.stack([picture_input(path, image_shape, channels) for path in paths])


def encode_in_chunks(encoder: ConvEncoder, count: int, inputs_of, chunk: int, batch_size: int = 256,
                     progress: bool = False) -> np.ndarray:
    """The encoder's means for `count` inputs made `chunk` at a time by `inputs_of(start, stop)`, so a
    large source is never whole in memory as float32 model inputs; float32 (N, d)."""
    from tqdm import tqdm

    latents = np.empty((count, encoder.latent_dim), np.float32)
    with tqdm(total=count, unit="image", desc="encoding", disable=not progress) as bar:
        for start in range(0, count, chunk):
            stop = min(count, start + chunk)
            latents[start:stop] = encode_inputs(encoder, inputs_of(start, stop), batch_size=batch_size)
            bar.update(stop - start)
    return latents


def idx_to_inputs(images: np.ndarray, image_shape: tuple[int, int], name: str) -> np.ndarray:
    """uint8 (N, H, W) images of an IDX file -> float32 model inputs (exactly /255 when they fit)."""
    if images.ndim != 3 or images.dtype != np.uint8:
        raise EncodeError(f"{name}: expected uint8 images (N, H, W), got {images.dtype} {images.shape}")
    if len(images) == 0:
        raise EncodeError(f"{name}: holds no images")
    grey = images.astype(np.float32) / 255.0
    if tuple(images.shape[1:]) == tuple(image_shape):
        return grey  # a data set of the model's own format is taken as it is, even a light-background one
    return np.stack([to_model_input(picture, image_shape, f"{name}[{index}]") for index, picture in enumerate(grey)])


# ----------------------------------------------------------------- the encoder
def encode_inputs(encoder: ConvEncoder, inputs: np.ndarray, batch_size: int = 256,
                  progress: bool = False) -> np.ndarray:
    """float32 (N, H, W) (grey) or (N, H, W, 3) (colour) in [0, 1] -> the encoder's means, float32 (N, d);
    `progress`: a bar on stderr. A single picture (no N) is a batch of one."""
    from tqdm import tqdm

    inputs = np.asarray(inputs, np.float32)
    if inputs.ndim == 2 or (inputs.ndim == 3 and inputs.shape[2] == 3 and inputs.shape[:2] == tuple(encoder.image_shape)):
        inputs = inputs[None]
    channels = 3 if inputs.ndim == 4 else 1
    if channels != getattr(encoder, "channels", 1):
        raise EncodeError(f"{'colour' if channels == 3 else 'grey'} inputs do not fit an encoder of "
                          f"{getattr(encoder, 'channels', 1)} channel(s)")
    if tuple(inputs.shape[1:3]) != tuple(encoder.image_shape):
        raise EncodeError(f"inputs of shape {inputs.shape[1:]} do not fit a {encoder.image_shape} encoder")
    device = next(encoder.parameters(), torch.empty(0)).device  # a model of no weights runs on the CPU
    means = np.empty((len(inputs), encoder.latent_dim), np.float32)
    with torch.inference_mode():
        for start in tqdm(range(0, len(inputs), batch_size), desc="encoding", unit="batch", disable=not progress,
                          leave=False, dynamic_ncols=True):
            x = torch.from_numpy(np.ascontiguousarray(inputs[start:start + batch_size]))
            x = (x.unsqueeze(1) if x.ndim == 3 else x.permute(0, 3, 1, 2)).to(device)  # (B, C, H, W)
            means[start:start + len(x)] = encoder(x)[0].float().cpu().numpy()
    return means


def load_colour_pictures(paths: list[str | Path], bundle) -> np.ndarray:
    """Files -> float32 inputs of a colour-network bundle, made as its training pictures were (shorter
    side scaled, centre crop, vae.images): (N, H, W, 3), or (N, H, W) for a one-channel model."""
    from latentwalk.vae.images import PictureRefused, decode_picture

    side = bundle.image_shape[0]
    pictures = []
    for path in paths:
        try:
            pixels, _ = decode_picture(path, side)
        except PictureRefused as exc:
            raise EncodeError(f"{path}: {exc}") from None
        pictures.append(pixels if bundle.channels == 3 else pixels @ np.array([0.299, 0.587, 0.114]))
    return np.stack(pictures).astype(np.float32) / 255.0


def require_encoder(bundle, device: str | torch.device = "cpu") -> ConvEncoder:
    encoder = bundle.load_encoder(device)
    if encoder is None:
        raise EncodeError(f"{bundle.path}: this model has no encoder (decoder-only bundle, e.g. imported "
                          "from TF.js), so it cannot encode images")
    return encoder


# ----------------------------------------------------------------- output
def check_npy_output(path: str | Path) -> Path:
    """Refuse, before any work, an output that is not a writable .npy path."""
    path = Path(path)
    if path.suffix.lower() != ".npy":
        raise EncodeError(f"{path}: --out must end in .npy")
    if path.is_dir():
        raise EncodeError(f"{path}: is a folder")
    if os.path.lexists(path) and not path.is_file():  # written beside and renamed: a link would be replaced
        raise EncodeError(f"{path}: is a link to nothing, a loop or a special file, not a .npy file")
    if not path.parent.is_dir():
        raise EncodeError(f"{path}: folder {path.parent} does not exist")
    check_writable_folder(path.parent, EncodeError, subject=path)
    return path


def write_latents(latents: np.ndarray, path: str | Path) -> Path:
    """float32 (N, d) to .npy, renamed into place only once completely written."""
    path = check_npy_output(path)
    with write_errors(path, EncodeError), atomic_file(path) as temp:
        with open(temp, "wb") as handle:
            np.save(handle, np.asarray(latents, np.float32), allow_pickle=False)
    return path


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
