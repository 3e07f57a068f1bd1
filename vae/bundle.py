"""Model bundles: a folder with model.json, decoder.safetensors, [encoder.safetensors],
latents.npy (float32 (N, d): encoder means of the training images, in data-set order) and
labels.npy (N,).

Loading never unpickles and checks everything up front, so a bad bundle fails with one line
naming the file instead of failing later inside the explorer. Writing is atomic: the bundle is
built and verified in a temporary folder beside the target, then renamed into place.
"""
from __future__ import annotations

import contextlib
import json
import math
import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import numpy as np
import torch
from torch import nn

from latentwalk.vae.errors import BundleError
from latentwalk.vae.model import ConvDecoder, ConvEncoder

FORMAT_NAME = "latentwalk-bundle"
FORMAT_VERSION = 1
ARCHITECTURE = "conv-vae-tfjs-v1"
MODEL_FILE = "model.json"
DECODER_FILE = "decoder.safetensors"
ENCODER_FILE = "encoder.safetensors"
LATENTS_FILE = "latents.npy"
LABELS_FILE = "labels.npy"


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _publish_mode(path: Path, directory: bool = False) -> None:
    """mkstemp/mkdtemp create private (0600/0700) entries; what we publish gets the usual mode."""
    os.chmod(path, (0o777 if directory else 0o666) & ~_umask())


@contextlib.contextmanager
def atomic_file(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside `path`; rename it onto `path` only if the block succeeds."""
    path = Path(path)
    handle, temp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(handle)
    temp = Path(temp_name)
    try:
        yield temp
        _publish_mode(temp)
        os.replace(temp, path)
    finally:
        temp.unlink(missing_ok=True)


_SAFETENSORS_IO = re.compile(r"I/O error: (.*?)(?: \(os error \d+\))?(?: at path .*)?$")


def _write_reason(exc: BaseException) -> str:
    """`No space left on device`, from an OSError or a safetensors serializing error alike."""
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    text = _first_line(exc)
    match = _SAFETENSORS_IO.search(text)
    return match.group(1) if match else text


@contextlib.contextmanager
def write_errors(path: str | Path, error: type[Exception] = BundleError) -> Iterator[None]:
    """A failed write in the block (disk full, read-only, I/O error) becomes one line naming `path`.

    safetensors reports I/O failures as SafetensorError, not OSError, so both are caught.
    """
    from safetensors import SafetensorError

    try:
        yield
    except (OSError, SafetensorError) as exc:
        raise error(f"{path}: cannot write ({_write_reason(exc)})") from None


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
        return (self.path / ENCODER_FILE).is_file()

    def load_decoder(self, device: str | torch.device = "cpu") -> ConvDecoder:
        decoder = ConvDecoder(self.latent_dim, self.image_shape)
        decoder.load_state_dict(read_weights(self.path / DECODER_FILE, decoder))
        return decoder.to(device).eval()

    def load_encoder(self, device: str | torch.device = "cpu") -> ConvEncoder | None:
        """The encoder, or None for bundles without one (imported decoders)."""
        if not self.has_encoder:
            return None
        encoder = ConvEncoder(self.latent_dim, self.image_shape)
        encoder.load_state_dict(read_weights(self.path / ENCODER_FILE, encoder))
        return encoder.to(device).eval()


def read_weights(path: Path, module: nn.Module) -> dict[str, torch.Tensor]:
    """A state dict from `path` that exactly fits `module`: same names, shapes, finite values."""
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    if not path.is_file():
        raise BundleError(f"{path}: missing")
    try:
        tensors = load_file(str(path))
    except (SafetensorError, OSError, ValueError, RuntimeError) as exc:
        raise BundleError(f"{path}: corrupt or truncated safetensors ({_first_line(exc)})") from None
    expected = {name: tuple(value.shape) for name, value in module.state_dict().items()}
    missing = sorted(set(expected) - set(tensors))
    unexpected = sorted(set(tensors) - set(expected))
    if missing or unexpected:
        raise BundleError(f"{path}: tensors do not fit {type(module).__name__}: "
                          f"missing {missing or 'none'}, unexpected {unexpected or 'none'}")
    for name, tensor in tensors.items():
        if tuple(tensor.shape) != expected[name]:
            raise BundleError(f"{path}: tensor {name} has shape {tuple(tensor.shape)}, expected {expected[name]}")
        if not tensor.is_floating_point():
            raise BundleError(f"{path}: tensor {name} has dtype {tensor.dtype}, expected floating point")
        if not torch.isfinite(tensor).all():
            raise BundleError(f"{path}: tensor {name} contains NaN or Inf")
    return {name: tensor.float() for name, tensor in tensors.items()}


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def resolve_model(name_or_path: str | Path) -> Path:
    """A bundled model's name (a folder of assets/models/) or a bundle folder's path -> its folder."""
    from latentwalk.assets import MODELS_DIR

    text = str(name_or_path)
    if text and os.sep not in text and "/" not in text and text not in (".", ".."):
        bundled = MODELS_DIR / text
        if (bundled / MODEL_FILE).is_file():
            return bundled
    path = Path(text).expanduser()
    if not path.exists():
        available = ", ".join(list_bundled_models()) or "none"
        raise BundleError(f"{text}: no such model bundle (not a folder; bundled models: {available})")
    if not path.is_dir():
        raise BundleError(f"{path}: not a model bundle folder")
    return path


def list_bundled_models() -> list[str]:
    from latentwalk.assets import MODELS_DIR

    if not MODELS_DIR.is_dir():
        return []
    return sorted(entry.name for entry in MODELS_DIR.iterdir() if (entry / MODEL_FILE).is_file())


def _load_meta(path: Path) -> dict:
    meta_path = path / MODEL_FILE
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BundleError(f"{meta_path}: missing (not a model bundle)") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise BundleError(f"{meta_path}: cannot read ({_first_line(exc)})") from None
    except json.JSONDecodeError as exc:
        raise BundleError(f"{meta_path}: bad JSON at line {exc.lineno} column {exc.colno}: {exc.msg}") from None
    if not isinstance(meta, dict):
        raise BundleError(f"{meta_path}: expected a JSON object")
    if meta.get("format") != FORMAT_NAME:
        raise BundleError(f"{meta_path}: format is {meta.get('format')!r}, expected {FORMAT_NAME!r}")
    if meta.get("version") != FORMAT_VERSION:
        raise BundleError(f"{meta_path}: unsupported version {meta.get('version')!r} (this build reads {FORMAT_VERSION})")
    if meta.get("architecture") != ARCHITECTURE:
        raise BundleError(f"{meta_path}: unknown architecture {meta.get('architecture')!r}, expected {ARCHITECTURE!r}")
    latent_dim = meta.get("latent_dim")
    if not isinstance(latent_dim, int) or isinstance(latent_dim, bool) or latent_dim < 1:
        raise BundleError(f"{meta_path}: latent_dim must be a positive integer, got {latent_dim!r}")
    shape = meta.get("image_shape")
    if (not isinstance(shape, list) or len(shape) != 2
            or not all(isinstance(s, int) and not isinstance(s, bool) and s > 0 and s % 4 == 0 for s in shape)):
        raise BundleError(f"{meta_path}: image_shape must be two positive multiples of 4, got {shape!r}")
    names = meta.get("class_names")
    if not isinstance(names, list) or not all(isinstance(name, str) for name in names):
        raise BundleError(f"{meta_path}: class_names must be a list of strings")
    if not isinstance(meta.get("dataset"), str):
        raise BundleError(f"{meta_path}: dataset must be a string")
    return meta


NPY_MAGIC = b"\x93NUMPY"
ZIP_MAGIC = b"PK\x03\x04"


def read_npy(path: str | Path, error: type[Exception] = BundleError) -> np.ndarray:
    """One array from a .npy file, never unpickled; any failure is one-line `error` naming the file.

    The header is checked first: without it numpy takes any file for a pickle and says so."""
    path = Path(path)
    try:
        with open(path, "rb") as handle:
            head = handle.read(len(NPY_MAGIC))
            if head.startswith(ZIP_MAGIC):
                raise error(f"{path}: not a single .npy array (an .npz archive?)")
            if head != NPY_MAGIC:
                raise error(f"{path}: not a valid .npy array ({'empty file' if not head else 'no .npy header'})")
            handle.seek(0)
            array = np.load(handle, allow_pickle=False)
    except FileNotFoundError:
        raise error(f"{path}: no such file") from None
    except IsADirectoryError:
        raise error(f"{path}: is a folder, not a .npy file") from None
    except OSError as exc:
        raise error(f"{path}: cannot read ({exc.strerror or exc})") from None
    except (ValueError, EOFError) as exc:
        if "allow_pickle" in str(exc):
            raise error(f"{path}: not a readable .npy array (it holds Python objects, which are never unpickled)") from None
        raise error(f"{path}: not a valid .npy array ({_first_line(exc)})") from None
    return array


def load_bundle(name_or_path: str | Path) -> Bundle:
    path = resolve_model(name_or_path)
    meta = _load_meta(path)
    latent_dim = meta["latent_dim"]
    image_shape = (meta["image_shape"][0], meta["image_shape"][1])
    class_names = list(meta["class_names"])
    read_weights(path / DECODER_FILE, ConvDecoder(latent_dim, image_shape))
    if (path / ENCODER_FILE).is_file():
        read_weights(path / ENCODER_FILE, ConvEncoder(latent_dim, image_shape))

    latents_path, labels_path = path / LATENTS_FILE, path / LABELS_FILE
    latents = read_npy(latents_path)
    if latents.ndim != 2 or latents.shape[1] != latent_dim:
        raise BundleError(f"{latents_path}: shape {latents.shape}, expected (N, {latent_dim})")
    if len(latents) == 0:
        raise BundleError(f"{latents_path}: shape {latents.shape}: no latent points to show")
    if latents.dtype.kind != "f":
        raise BundleError(f"{latents_path}: dtype {latents.dtype}, expected float32")
    if not np.isfinite(latents).all():
        raise BundleError(f"{latents_path}: contains NaN or Inf")
    labels = read_npy(labels_path)
    if labels.ndim != 1 or labels.dtype.kind not in "iu":
        raise BundleError(f"{labels_path}: {labels.dtype} {labels.shape}, expected integer labels (N,)")
    if len(labels) != len(latents):
        raise BundleError(f"{labels_path}: {len(labels)} labels but {latents_path.name} has {len(latents)} rows")
    if len(labels) and (labels.min() < 0 or labels.max() >= len(class_names)):
        raise BundleError(f"{labels_path}: labels span {labels.min()}..{labels.max()} "
                          f"but model.json names {len(class_names)} classes")
    return Bundle(path=path, meta=meta, latents=latents.astype(np.float32, copy=False),
                  labels=labels.astype(np.int64, copy=False), latent_dim=latent_dim,
                  image_shape=image_shape, dataset=meta["dataset"], class_names=class_names)


def _json_safe(summary: dict, where: Path) -> dict:
    try:
        text = json.dumps(summary, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise BundleError(f"{where}: training summary is not plain JSON ({exc})") from None
    return json.loads(text)


def check_writable_folder(folder: str | Path, error: type[Exception] = BundleError,
                          subject: str | Path | None = None) -> None:
    """Fail in one line, before any work, if files cannot be created in `folder`, or (while it
    does not exist yet) in the nearest existing folder above it, where it would be made. The
    message names `subject` (default: the folder)."""
    folder = Path(folder).absolute()
    subject = folder if subject is None else subject
    existing = folder
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise error(f"{subject}: cannot write ({existing} is not a folder)")
    try:
        handle, probe = tempfile.mkstemp(prefix=".latentwalk-probe.", dir=existing)
    except OSError as exc:
        raise error(f"{subject}: cannot write ({_write_reason(exc)})") from None
    os.close(handle)
    os.unlink(probe)


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
        staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", suffix=".tmp", dir=out_dir.parent))
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
                _publish_mode(entry)
            _publish_mode(staging, directory=True)
            _swap_into_place(staging, out_dir)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    return out_dir


def _swap_into_place(staging: Path, out_dir: Path) -> None:
    if not out_dir.exists():
        os.replace(staging, out_dir)
        return
    retired = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", suffix=".old", dir=out_dir.parent))
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
