"""Model bundles: a folder with model.json, decoder.safetensors, [encoder.safetensors],
latents.npy (float32 (N, d): encoder means of the training images, in data-set order) and
labels.npy (N,).

Loading never unpickles and checks everything up front, so a bad bundle fails with one line
naming the file instead of failing later inside the explorer. Writing is atomic: the bundle is
built and verified in a temporary folder beside the target, then renamed into place.
"""
from __future__ import annotations

import json
import math
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from latentwalk.vae.atomic import check_writable_folder, publish_mode, staging_folder, write_errors
from latentwalk.vae.errors import BundleError
from latentwalk.vae.shapes import decoder_shapes, encoder_shapes
from latentwalk.vae.safeio import first_line as _first_line, load_json_file
from latentwalk.vae.safeio import read_npy as _read_npy, safetensors_shapes

__all__ = ["Bundle", "load_bundle", "read_npy", "write_bundle"]

FORMAT_NAME = "latentwalk-bundle"
FORMAT_VERSION = 1
ARCHITECTURE = "conv-vae-tfjs-v1"
MODEL_FILE = "model.json"
DECODER_FILE = "decoder.safetensors"
ENCODER_FILE = "encoder.safetensors"
LATENTS_FILE = "latents.npy"
LABELS_FILE = "labels.npy"
# What a bundle may claim. Real models are far smaller (mnist: 3-d, 28x28, 60k points, 170 KB of
# weights); the caps keep a hostile model.json from asking for terabytes before any check runs.
MAX_LATENT_DIM = 1024
MAX_IMAGE_SIDE = 1024
MAX_POINTS = 20_000_000
MAX_WEIGHTS_BYTES = 1 << 30
MAX_CLASSES = 100_000


def compact_label_dtype(class_count: int) -> np.dtype:
    """The smallest signed integer type that holds labels 0..class_count-1: a million points' labels
    as int64 were 8 MB for what fits in one byte each (signed, so label arithmetic cannot wrap)."""
    for dtype in (np.int8, np.int16, np.int32):
        if class_count <= np.iinfo(dtype).max + 1:
            return np.dtype(dtype)
    return np.dtype(np.int64)


@dataclass
class Bundle:
    path: Path
    meta: dict
    latents: np.ndarray
    labels: np.ndarray
    latent_dim: int
    image_shape: tuple[int, int]
    dataset: str
    class_names: list[str]

    @property
    def has_encoder(self) -> bool:
        return os.path.lexists(self.path / ENCODER_FILE)

    def load_decoder(self, device: str | torch.device = "cpu") -> ConvDecoder:
        """The decoder; the file is checked again (it may have changed since loading) before the
        module is built, so a bad file never costs an allocation. BundleError when it does not fit."""
        tensors = read_tensors(self.path / DECODER_FILE, decoder_shapes(self.latent_dim, self.image_shape),
                               "ConvDecoder")
        from latentwalk.vae.model import ConvDecoder  # torch: only once a decoder is wanted

        decoder = ConvDecoder(self.latent_dim, self.image_shape)
        decoder.load_state_dict(tensors)
        return decoder.to(device).eval()

    def load_encoder(self, device: str | torch.device = "cpu") -> ConvEncoder | None:
        """The encoder, or None for bundles without one (imported decoders)."""
        if not self.has_encoder:
            return None
        tensors = read_tensors(self.path / ENCODER_FILE, encoder_shapes(self.latent_dim, self.image_shape),
                               "ConvEncoder")
        from latentwalk.vae.model import ConvEncoder

        encoder = ConvEncoder(self.latent_dim, self.image_shape)
        encoder.load_state_dict(tensors)
        return encoder.to(device).eval()


def check_weights_file(path: Path, expected: dict[str, tuple[int, ...]], owner: str) -> None:
    """The safetensors header at `path` names exactly the tensors `expected` (name -> shape) with
    floating dtypes, and the file's length backs them: checked before anything is allocated."""
    found = safetensors_shapes(path, BundleError, max_bytes=MAX_WEIGHTS_BYTES)
    missing = sorted(set(expected) - set(found))
    unexpected = sorted(set(found) - set(expected))
    if missing or unexpected:
        raise BundleError(f"{path}: tensors do not fit {owner}: "
                          f"missing {missing or 'none'}, unexpected {[n[:60] for n in unexpected[:8]] or 'none'}")
    for name, (dtype, shape) in found.items():
        if shape != expected[name]:
            raise BundleError(f"{path}: tensor {name} has shape {shape}, expected {expected[name]}")
        if not dtype.startswith(("F", "BF")):
            raise BundleError(f"{path}: tensor {name} has dtype {dtype}, expected floating point")


def read_weights(path: Path, module: nn.Module) -> dict[str, torch.Tensor]:
    """A state dict from `path` that exactly fits `module`: same names, shapes, finite values."""
    expected = {name: tuple(value.shape) for name, value in module.state_dict().items()}
    return read_tensors(path, expected, type(module).__name__)


def read_tensors(path: Path, expected: dict[str, tuple[int, ...]], owner: str) -> dict[str, torch.Tensor]:
    """The tensors of `path` as float32, after check_weights_file; NaN/Inf refused."""
    import torch
    from safetensors.torch import load_file

    check_weights_file(path, expected, owner)
    try:
        tensors = load_file(str(path))
    except MemoryError:
        raise BundleError(f"{path}: not enough memory to read the weights") from None
    except Exception as exc:  # safetensors' Rust errors have no common Python base worth naming
        raise BundleError(f"{path}: corrupt or truncated safetensors ({_first_line(exc)})") from None
    for name, tensor in tensors.items():
        if tuple(tensor.shape) != expected.get(name):  # the file changed since its header was checked
            raise BundleError(f"{path}: tensor {name} has shape {tuple(tensor.shape)}, expected {expected.get(name)}")
        if not tensor.is_floating_point():
            raise BundleError(f"{path}: tensor {name} has dtype {tensor.dtype}, expected floating point")
        if not torch.isfinite(tensor).all():
            raise BundleError(f"{path}: tensor {name} contains NaN or Inf")
    return {name: tensor.float() for name, tensor in tensors.items()}


def check_tensors(path: Path, expected: dict[str, tuple[int, ...]], owner: str) -> None:
    """What read_tensors checks, read with numpy: loading a bundle needs no torch (the explorer's
    first frame does not wait for it to import; the decoder worker loads the weights later)."""
    from safetensors.numpy import load_file

    check_weights_file(path, expected, owner)
    try:
        arrays = load_file(str(path))
    except Exception:  # corrupt, or a dtype numpy lacks (bfloat16): torch reads it, or says why not
        read_tensors(path, expected, owner)
        return
    for name, array in arrays.items():
        if tuple(array.shape) != expected.get(name):
            raise BundleError(f"{path}: tensor {name} has shape {tuple(array.shape)}, expected {expected.get(name)}")
        if array.dtype.kind != "f":
            raise BundleError(f"{path}: tensor {name} has dtype {array.dtype}, expected floating point")
        if not np.isfinite(array).all():
            raise BundleError(f"{path}: tensor {name} contains NaN or Inf")


def resolve_model(name_or_path: str | Path) -> Path:
    """A bundled model's name (a folder of assets/models/) or a bundle folder's path -> its folder."""
    from latentwalk.assets import MODELS_DIR

    text = str(name_or_path)
    shown = text if len(text) <= 200 and text.isprintable() else _printable(text)
    if "\0" in text:
        raise BundleError(f"{shown}: not a model bundle name or folder (it holds a NUL character)")
    try:
        if text and os.sep not in text and "/" not in text and text not in (".", ".."):
            bundled = MODELS_DIR / text
            if (bundled / MODEL_FILE).is_file():
                return bundled
        path = Path(text).expanduser()
        if not path.exists():
            available = ", ".join(list_bundled_models()) or "none"
            raise BundleError(f"{shown}: no such model bundle (not a folder; bundled models: {available})")
        if not path.is_dir():
            raise BundleError(f"{path}: not a model bundle folder")
    except (OSError, RuntimeError) as exc:  # a name too long, ~nosuchuser (RuntimeError), a loop of links
        raise BundleError(f"{shown}: not a usable model bundle path ({getattr(exc, 'strerror', None) or exc})") from None
    return path


def _printable(text: str, limit: int = 80) -> str:
    """`text` for a one-line message: control characters escaped, cut at `limit`."""
    escaped = text.encode("unicode_escape").decode("ascii")
    return escaped if len(escaped) <= limit else escaped[:limit] + "..."


def list_bundled_models() -> list[str]:
    from latentwalk.assets import MODELS_DIR

    if not MODELS_DIR.is_dir():
        return []
    return sorted(entry.name for entry in MODELS_DIR.iterdir() if (entry / MODEL_FILE).is_file())


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _load_meta(path: Path) -> dict:
    meta_path = path / MODEL_FILE
    meta = load_json_file(meta_path, BundleError, limit=MODEL_JSON_LIMIT, missing="missing (not a model bundle)")
    if not isinstance(meta, dict):
        raise BundleError(f"{meta_path}: expected a JSON object")
    if meta.get("format") != FORMAT_NAME:
        raise BundleError(f"{meta_path}: format is {_short(meta.get('format'))}, expected {FORMAT_NAME!r}")
    if meta.get("version") != FORMAT_VERSION:
        raise BundleError(f"{meta_path}: unsupported version {_short(meta.get('version'))} "
                          f"(this build reads {FORMAT_VERSION})")
    if meta.get("architecture") != ARCHITECTURE:
        raise BundleError(f"{meta_path}: unknown architecture {_short(meta.get('architecture'))}, "
                          f"expected {ARCHITECTURE!r}")
    latent_dim = meta.get("latent_dim")
    if not _is_int(latent_dim) or not 1 <= latent_dim <= MAX_LATENT_DIM:
        raise BundleError(f"{meta_path}: latent_dim must be a positive integer up to {MAX_LATENT_DIM}, "
                          f"got {_short(latent_dim)}")
    shape = meta.get("image_shape")
    if (not isinstance(shape, list) or len(shape) != 2
            or not all(_is_int(s) and 0 < s <= MAX_IMAGE_SIDE and s % 4 == 0 for s in shape)):
        raise BundleError(f"{meta_path}: image_shape must be two positive multiples of 4 up to {MAX_IMAGE_SIDE}, "
                          f"got {_short(shape)}")
    names = meta.get("class_names")
    if not isinstance(names, list) or not all(isinstance(name, str) for name in names):
        raise BundleError(f"{meta_path}: class_names must be a list of strings")
    if len(names) > MAX_CLASSES:
        raise BundleError(f"{meta_path}: {len(names)} class names (at most {MAX_CLASSES})")
    if not isinstance(meta.get("dataset"), str):
        raise BundleError(f"{meta_path}: dataset must be a string")
    return meta


def _short(value, limit: int = 60) -> str:
    """repr of a value from a file, cut short: a hostile file's value must not flood the one line."""
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "..."


MODEL_JSON_LIMIT = 4 << 20


def read_npy(path: str | Path, error: type[Exception] = BundleError, *,
             check=None, max_bytes: int | None = None) -> np.ndarray:
    """One array from a .npy file, never unpickled; any failure is one-line `error` naming the file.
    The header (shape, dtype) is checked against the file's length (and `check`) before reading."""
    extra = {} if max_bytes is None else {"max_bytes": max_bytes}
    return _read_npy(path, error, check=check, **extra)


def _latents_check(path: Path, latent_dim: int):
    def check(shape: tuple, dtype: np.dtype) -> None:
        if len(shape) != 2 or shape[1] != latent_dim:
            raise BundleError(f"{path}: shape {shape}, expected (N, {latent_dim})")
        if shape[0] == 0:
            raise BundleError(f"{path}: shape {shape}: no latent points to show")
        if shape[0] > MAX_POINTS:
            raise BundleError(f"{path}: {shape[0]} points, more than the {MAX_POINTS} a bundle may hold")
        if dtype.kind != "f":
            raise BundleError(f"{path}: dtype {dtype}, expected float32")
    return check


def _labels_check(path: Path, latents_path: Path, rows: int):
    def check(shape: tuple, dtype: np.dtype) -> None:
        if len(shape) != 1 or dtype.kind not in "iu":
            raise BundleError(f"{path}: {dtype} {shape}, expected integer labels (N,)")
        if shape[0] != rows:
            raise BundleError(f"{path}: {shape[0]} labels but {latents_path.name} has {rows} rows")
    return check


def load_bundle(name_or_path: str | Path) -> Bundle:
    """The bundle at a path or of a bundled model's name. Whatever the files hold, the only error
    raised is BundleError (a VaeError) with one line naming the file; sizes and shapes are checked
    against the files before anything is allocated."""
    path = resolve_model(name_or_path)
    try:
        return _load_bundle(path)
    except MemoryError:  # within every cap, yet more than this machine has free
        raise BundleError(f"{path}: not enough memory to load this bundle") from None


def _load_bundle(path: Path) -> Bundle:
    meta = _load_meta(path)
    latent_dim = meta["latent_dim"]
    image_shape = (meta["image_shape"][0], meta["image_shape"][1])
    class_names = list(meta["class_names"])
    check_tensors(path / DECODER_FILE, decoder_shapes(latent_dim, image_shape), "ConvDecoder")
    if os.path.lexists(path / ENCODER_FILE):
        check_tensors(path / ENCODER_FILE, encoder_shapes(latent_dim, image_shape), "ConvEncoder")

    latents_path, labels_path = path / LATENTS_FILE, path / LABELS_FILE
    latents = read_npy(latents_path, check=_latents_check(latents_path, latent_dim))
    if not np.isfinite(latents).all():
        raise BundleError(f"{latents_path}: contains NaN or Inf")
    with np.errstate(over="ignore"):
        latents = latents.astype(np.float32, copy=False)
    if not np.isfinite(latents).all():
        raise BundleError(f"{latents_path}: values beyond float32 range")
    labels = read_npy(labels_path, check=_labels_check(labels_path, latents_path, len(latents)))
    if len(labels) and (labels.min() < 0 or labels.max() >= len(class_names)):
        raise BundleError(f"{labels_path}: labels span {labels.min()}..{labels.max()} "
                          f"but model.json names {len(class_names)} classes")
    return Bundle(path=path, meta=meta, latents=latents,
                  labels=labels.astype(compact_label_dtype(len(class_names)), copy=False), latent_dim=latent_dim,
                  image_shape=image_shape, dataset=meta["dataset"], class_names=class_names)


def _json_safe(summary: dict, where: Path) -> dict:
    try:
        text = json.dumps(summary, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise BundleError(f"{where}: training summary is not plain JSON ({exc})") from None
    return json.loads(text)


def check_bundle_target(out_dir: Path) -> None:
    """A bundle may replace a bundle or an empty folder, never anything else, and only where
    files can be created (it is staged beside `out_dir`)."""
    if out_dir.exists() and (not out_dir.is_dir() or (not (out_dir / MODEL_FILE).is_file() and any(out_dir.iterdir()))):
        raise BundleError(f"{out_dir}: exists and is not a model bundle; refusing to replace it")
    check_writable_folder(out_dir.parent)


def write_bundle(out_dir: str | Path, *, decoder: ConvDecoder, encoder: ConvEncoder | None = None,
                 latents: np.ndarray, labels: np.ndarray, dataset: str, class_names: list[str],
                 summary: dict) -> Path:
    """Write a bundle atomically; an existing bundle at `out_dir` is replaced only once the new
    one is complete and loads. Refuses (BundleError) anything inconsistent or non-finite."""
    import torch
    from safetensors.torch import save_file

    out_dir = Path(out_dir).expanduser().absolute()
    latents = np.asarray(latents)
    labels = np.asarray(labels)
    latent_dim, image_shape = decoder.latent_dim, tuple(decoder.image_shape)
    if latents.ndim != 2 or latents.shape[1] != latent_dim or latents.dtype.kind != "f":
        raise BundleError(f"{out_dir}: latents {latents.dtype} {latents.shape} do not fit a {latent_dim}-d decoder")
    if len(latents) == 0:
        raise BundleError(f"{out_dir}: no latent points to write (latents {latents.shape})")
    if not np.isfinite(latents).all():
        raise BundleError(f"{out_dir}: latents contain NaN or Inf")
    if labels.shape != (len(latents),) or labels.dtype.kind not in "iu":
        raise BundleError(f"{out_dir}: labels {labels.dtype} {labels.shape} do not match {len(latents)} latents")
    if len(labels) and (labels.min() < 0 or labels.max() >= len(class_names)):
        raise BundleError(f"{out_dir}: label {labels.max()} has no class name ({len(class_names)} given)")
    if encoder is not None and (encoder.latent_dim, tuple(encoder.image_shape)) != (latent_dim, image_shape):
        raise BundleError(f"{out_dir}: encoder does not match the decoder's latent dim / image shape")
    check_bundle_target(out_dir)

    meta = {
        "format": FORMAT_NAME,
        "version": FORMAT_VERSION,
        "architecture": ARCHITECTURE,
        "latent_dim": latent_dim,
        "image_shape": list(image_shape),
        "dataset": dataset,
        "class_names": [str(name) for name in class_names],
        "count": int(len(latents)),
        "has_encoder": encoder is not None,
        "summary": _json_safe(summary, out_dir),
    }
    with write_errors(out_dir.parent):
        out_dir.parent.mkdir(parents=True, exist_ok=True)
        staging = staging_folder(out_dir)
    try:
        for name, module in ((DECODER_FILE, decoder), (ENCODER_FILE, encoder)):
            if module is None:
                continue
            state = {key: value.detach().float().cpu().contiguous() for key, value in module.state_dict().items()}
            bad = [key for key, value in state.items() if not torch.isfinite(value).all()]
            if bad:
                raise BundleError(f"{out_dir}: {name} weights {bad[0]} contain NaN or Inf")
            with write_errors(out_dir / name):
                save_file(state, str(staging / name), metadata={"architecture": ARCHITECTURE})
        with write_errors(out_dir / LATENTS_FILE):
            np.save(staging / LATENTS_FILE, latents.astype(np.float32), allow_pickle=False)
        with write_errors(out_dir / LABELS_FILE):
            np.save(staging / LABELS_FILE, labels.astype(np.int64), allow_pickle=False)
        with write_errors(out_dir / MODEL_FILE):
            (staging / MODEL_FILE).write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
        load_bundle(staging)  # what lands at out_dir has loaded once already
        with write_errors(out_dir):
            for entry in staging.iterdir():
                publish_mode(entry)
            publish_mode(staging, directory=True)
            _swap_into_place(staging, out_dir)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    return out_dir


def _swap_into_place(staging: Path, out_dir: Path) -> None:
    if not out_dir.exists():
        os.replace(staging, out_dir)
        return
    retired = staging_folder(out_dir, suffix=".old")
    os.rmdir(retired)
    os.replace(out_dir, retired)
    try:
        os.replace(staging, out_dir)
    except OSError:
        os.replace(retired, out_dir)  # put the old bundle back: nothing is lost
        raise
    shutil.rmtree(retired, ignore_errors=True)


def finite_or_none(value: float) -> float | None:
    """JSON has no NaN: summaries store non-finite numbers as null."""
    return value if math.isfinite(value) else None
