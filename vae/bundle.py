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
from latentwalk.vae.colour_bundle import FACTORS_FILE, check_network, colour_shapes, read_factors
from latentwalk.vae.metadata import METADATA_FILE, Columns, metadata_text, read_bundle_metadata
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
# Imported models: a decoder from another framework, or pictures and no decoder at all.
IMPORTED_ARCHITECTURE = "imported-decoder-v1"
PICTURES_ARCHITECTURE = "pictures-v1"
# latentwalk's colour network (vae.colour_model), rebuilt from model.json's "network"
COLOUR_ARCHITECTURE = "conv-vae-colour-v1"
ARCHITECTURES = (ARCHITECTURE, IMPORTED_ARCHITECTURE, PICTURES_ARCHITECTURE, COLOUR_ARCHITECTURE)
IMPORTED_DECODER_FILES = {"onnx": "decoder.onnx", "torchscript": "decoder.pt"}
POSITIONS_FILE = "positions.npy"  # optional (N, 3) layout, when points are not laid out from their latents
PICTURES_FILE = "pictures.npy"  # uint8 (N, H, W) or (N, H, W, 3): the picture of each point
MAX_PICTURE_BYTES = 4 << 30
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
    positions: np.ndarray | None = None  # (N, 3) stored layout; None: laid out from the latents
    pictures: np.ndarray | None = None  # uint8 picture of each point (pictures bundles)
    factors: np.ndarray | None = None  # float32 (N, F) generating factors, named by meta["factor_names"]
    metadata: Columns | None = None  # text columns by name, one value a point (vae/metadata.py)

    @property
    def kind(self) -> str:
        """"conv" (latentwalk's own decoder), "onnx", "torchscript" or "pictures" (no decoder)."""
        if self.meta.get("architecture") == IMPORTED_ARCHITECTURE:
            return self.meta["decoder"]["format"]
        return "pictures" if self.meta.get("architecture") == PICTURES_ARCHITECTURE else "conv"

    @property
    def channels(self) -> int:
        return int(self.meta.get("channels", 1))

    @property
    def has_encoder(self) -> bool:
        return self.kind == "conv" and os.path.lexists(self.path / ENCODER_FILE)

    @property
    def walk_interpolation(self) -> str | None:
        """The walk's interpolation this model asks for by default (slerp for Gaussian latents)."""
        walk = self.meta.get("walk")
        return walk.get("interpolation") if isinstance(walk, dict) else None

    def load_decoder(self, device: str | torch.device = "cpu"):
        """The decoder; the file is checked again (it may have changed since loading) before the
        module is built, so a bad file never costs an allocation. BundleError when it does not fit.
        Imported bundles give an ImportedDecoder or a PictureTable (numpy in, numpy out)."""
        if self.kind != "conv":
            return self._load_imported_decoder(str(device))
        if self.meta["architecture"] == COLOUR_ARCHITECTURE:
            import torch

            from latentwalk.vae.colour_model import ColourDecoder, NetworkSpec

            spec = NetworkSpec.from_json(self.meta["network"])
            decoder = ColourDecoder(spec)
            decoder.load_state_dict(read_tensors(self.path / DECODER_FILE, colour_shapes(self.meta)[0], "ColourDecoder"))
            # oneDNN's transposed convolutions run channels-last about twice as fast on the CPU
            return decoder.to(device, memory_format=torch.channels_last).eval()
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
        if self.meta["architecture"] == COLOUR_ARCHITECTURE:
            from latentwalk.vae.colour_model import ColourEncoder, NetworkSpec

            encoder = ColourEncoder(NetworkSpec.from_json(self.meta["network"]))
            encoder.load_state_dict(read_tensors(self.path / ENCODER_FILE, colour_shapes(self.meta)[1], "ColourEncoder"))
            return encoder.to(device).eval()
        tensors = read_tensors(self.path / ENCODER_FILE, encoder_shapes(self.latent_dim, self.image_shape),
                               "ConvEncoder")
        from latentwalk.vae.model import ConvEncoder

        encoder = ConvEncoder(self.latent_dim, self.image_shape)
        encoder.load_state_dict(tensors)
        return encoder.to(device).eval()

    def _load_imported_decoder(self, device: str):
        from latentwalk.vae.runners import ImportedDecoder, ModelImportError, PictureTable, open_model, read_model_file

        if self.kind == "pictures":
            return PictureTable(self.latents, self.pictures)
        spec = self.meta["decoder"]
        path = self.path / spec["file"]
        try:
            model_file = read_model_file(path)
            if model_file.sha256 != spec["sha256"]:
                raise BundleError(f"{path}: changed since it was imported (SHA-256 {model_file.sha256[:12]}..., "
                                  f"model.json records {spec['sha256'][:12]}...); import it again")
            if model_file.kind != spec["format"]:
                raise BundleError(f"{path}: is {model_file.kind}, model.json says {spec['format']}")
            run, _, fixed, graph = open_model(model_file, "cpu" if device == "cpu" else device)
        except ModelImportError as exc:
            raise BundleError(str(exc)) from None
        return ImportedDecoder(spec["format"], path, self.latent_dim, self.image_shape, self.channels,
                               spec["layout"], spec["output_range"], fixed, run, graph)


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
    architecture = meta.get("architecture")
    if architecture not in ARCHITECTURES:
        raise BundleError(f"{meta_path}: unknown architecture {_short(architecture)}, "
                          f"expected one of {', '.join(ARCHITECTURES)}")
    latent_dim = meta.get("latent_dim")
    if not _is_int(latent_dim) or not 1 <= latent_dim <= MAX_LATENT_DIM:
        raise BundleError(f"{meta_path}: latent_dim must be a positive integer up to {MAX_LATENT_DIM}, "
                          f"got {_short(latent_dim)}")
    shape = meta.get("image_shape")
    step = 4 if architecture in (ARCHITECTURE, COLOUR_ARCHITECTURE) else 1  # our decoders upsample by 2 twice or more
    if (not isinstance(shape, list) or len(shape) != 2
            or not all(_is_int(s) and 0 < s <= MAX_IMAGE_SIDE and s % step == 0 for s in shape)):
        raise BundleError(f"{meta_path}: image_shape must be two positive "
                          f"{'multiples of 4' if step == 4 else 'sizes'} up to {MAX_IMAGE_SIDE}, got {_short(shape)}")
    if meta.get("channels", 1) not in (1, 3) or isinstance(meta.get("channels", 1), bool):
        raise BundleError(f"{meta_path}: channels must be 1 or 3, got {_short(meta.get('channels'))}")
    if architecture == IMPORTED_ARCHITECTURE:
        _check_decoder_spec(meta.get("decoder"), meta_path)
    if architecture == COLOUR_ARCHITECTURE:
        check_network(meta, meta_path)
    walk = meta.get("walk", {})
    if not isinstance(walk, dict) or walk.get("interpolation", "catmull-rom") not in ("catmull-rom", "linear", "slerp"):
        raise BundleError(f"{meta_path}: walk.interpolation must be catmull-rom, linear or slerp, got {_short(walk)}")
    names = meta.get("class_names")
    if not isinstance(names, list) or not all(isinstance(name, str) for name in names):
        raise BundleError(f"{meta_path}: class_names must be a list of strings")
    if len(names) > MAX_CLASSES:
        raise BundleError(f"{meta_path}: {len(names)} class names (at most {MAX_CLASSES})")
    if not isinstance(meta.get("dataset"), str):
        raise BundleError(f"{meta_path}: dataset must be a string")
    return meta


def _check_decoder_spec(spec, meta_path: Path) -> None:
    """An imported decoder's entry: a known format, its fixed file name, a SHA-256, how to read its output."""
    if not isinstance(spec, dict):
        raise BundleError(f"{meta_path}: decoder must be an object (format, file, sha256, layout, output_range)")
    kind = spec.get("format")
    if kind not in IMPORTED_DECODER_FILES:
        raise BundleError(f"{meta_path}: decoder.format must be onnx or torchscript, got {_short(kind)}")
    if spec.get("file") != IMPORTED_DECODER_FILES[kind]:
        raise BundleError(f"{meta_path}: decoder.file must be {IMPORTED_DECODER_FILES[kind]!r}, got {_short(spec.get('file'))}")
    digest = spec.get("sha256")
    if not isinstance(digest, str) or len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
        raise BundleError(f"{meta_path}: decoder.sha256 must be 64 lowercase hex digits, got {_short(digest)}")
    if spec.get("layout") not in ("chw", "hwc") or spec.get("output_range") not in ("0,1", "-1,1"):
        raise BundleError(f"{meta_path}: decoder.layout must be chw or hwc and decoder.output_range 0,1 or -1,1")


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
    architecture = meta["architecture"]
    if architecture == ARCHITECTURE:
        check_tensors(path / DECODER_FILE, decoder_shapes(latent_dim, image_shape), "ConvDecoder")
        if os.path.lexists(path / ENCODER_FILE):
            check_tensors(path / ENCODER_FILE, encoder_shapes(latent_dim, image_shape), "ConvEncoder")
    elif architecture == COLOUR_ARCHITECTURE:
        decoder_expected, encoder_expected = colour_shapes(meta)
        check_tensors(path / DECODER_FILE, decoder_expected, "ColourDecoder")
        if os.path.lexists(path / ENCODER_FILE):
            check_tensors(path / ENCODER_FILE, encoder_expected, "ColourEncoder")
    elif architecture == IMPORTED_ARCHITECTURE:
        decoder_path = path / meta["decoder"]["file"]
        if not decoder_path.is_file():  # read, hashed and checked whole by load_decoder, in the worker
            raise BundleError(f"{decoder_path}: missing (the bundle's imported decoder)")

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
    positions = pictures = None
    if os.path.lexists(path / POSITIONS_FILE):
        positions_path = path / POSITIONS_FILE

        def check_positions(shape: tuple, dtype: np.dtype) -> None:
            if shape != (len(latents), 3) or dtype.kind != "f":
                raise BundleError(f"{positions_path}: {dtype} {shape}, expected float ({len(latents)}, 3)")

        positions = read_npy(positions_path, check=check_positions).astype(np.float32, copy=False)
        if not np.isfinite(positions).all():
            raise BundleError(f"{positions_path}: contains NaN or Inf")
    if architecture == PICTURES_ARCHITECTURE or (architecture == IMPORTED_ARCHITECTURE
                                                 and os.path.lexists(path / PICTURES_FILE)):
        pictures_path = path / PICTURES_FILE
        expected = (len(latents), *image_shape) + ((3,) if meta.get("channels", 1) == 3 else ())

        def check_pictures(shape: tuple, dtype: np.dtype) -> None:
            if shape != expected or dtype != np.uint8:
                raise BundleError(f"{pictures_path}: {dtype} {shape}, expected uint8 {expected}")

        pictures = read_npy(pictures_path, check=check_pictures, max_bytes=MAX_PICTURE_BYTES)
    factors = read_factors(path, meta, len(latents))
    return Bundle(path=path, meta=meta, latents=latents,
                  labels=labels.astype(compact_label_dtype(len(class_names)), copy=False), latent_dim=latent_dim,
                  image_shape=image_shape, dataset=meta["dataset"], class_names=class_names,
                  positions=positions, pictures=pictures, factors=factors,
                  metadata=read_bundle_metadata(path, len(latents)))



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


def check_points(out_dir: Path, latents: np.ndarray, labels: np.ndarray, class_names: list[str],
                 latent_dim: int) -> None:
    """What every bundle's points must be: finite float (N, d) latents, N > 0, a named class each."""
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


def write_bundle(out_dir: str | Path, *, decoder: ConvDecoder, encoder: ConvEncoder | None = None,
                 latents: np.ndarray, labels: np.ndarray, dataset: str, class_names: list[str],
                 summary: dict, preprocessing: dict | None = None, factors: np.ndarray | None = None,
                 factor_names: list[str] | None = None) -> Path:
    """Write a bundle atomically; an existing bundle at `out_dir` is replaced only once the new
    one is complete and loads. Refuses (BundleError) anything inconsistent or non-finite. A colour
    network's decoder (it has a `spec`) is written with its description and `preprocessing`, and
    `factors` (N, F) named by `factor_names` when given."""
    import torch
    from safetensors.torch import save_file

    out_dir = Path(out_dir).expanduser().absolute()
    latents = np.asarray(latents)
    labels = np.asarray(labels)
    latent_dim, image_shape = decoder.latent_dim, tuple(decoder.image_shape)
    check_points(out_dir, latents, labels, class_names, latent_dim)
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
    spec = getattr(decoder, "spec", None)
    if spec is not None:
        meta.update(architecture=COLOUR_ARCHITECTURE, channels=spec.channels, network=spec.to_json(),
                    preprocessing=_json_safe(preprocessing or {}, out_dir))
        if factors is not None:
            meta["factor_names"] = [str(name) for name in factor_names or []]

    def write_weights(staging: Path) -> None:
        for name, module in ((DECODER_FILE, decoder), (ENCODER_FILE, encoder)):
            if module is None:
                continue
            state = {key: value.detach().float().cpu().contiguous() for key, value in module.state_dict().items()}
            bad = [key for key, value in state.items() if not torch.isfinite(value).all()]
            if bad:
                raise BundleError(f"{out_dir}: {name} weights {bad[0]} contain NaN or Inf")
            with write_errors(out_dir / name):
                save_file(state, str(staging / name), metadata={"architecture": meta["architecture"]})
        if spec is not None and factors is not None:
            with write_errors(out_dir / FACTORS_FILE):
                np.save(staging / FACTORS_FILE, np.asarray(factors, np.float32), allow_pickle=False)

    return _publish_bundle(out_dir, meta, latents, labels, write_weights)


def write_imported_bundle(out_dir: str | Path, *, model_file=None, decoder_spec: dict | None = None,
                          latents: np.ndarray, labels: np.ndarray, image_shape: tuple[int, int], channels: int,
                          dataset: str, class_names: list[str], summary: dict, positions: np.ndarray | None = None,
                          pictures: np.ndarray | None = None, walk: dict | None = None,
                          metadata: Columns | None = None) -> Path:
    """A bundle around a decoder from another framework (`model_file`, a runners.ModelFile, copied in
    byte for byte with its SHA-256 in model.json) or, with `pictures` and no model, around the real
    picture of each point; `metadata`: text columns kept in METADATA_FILE. Atomic and verified by
    loading, as write_bundle."""
    out_dir = Path(out_dir).expanduser().absolute()
    latents = np.asarray(latents)
    labels = np.asarray(labels)
    check_points(out_dir, latents, labels, class_names, latents.shape[1] if latents.ndim == 2 else 0)
    if positions is not None and (positions.shape != (len(latents), 3) or not np.isfinite(positions).all()):
        raise BundleError(f"{out_dir}: layout positions {positions.shape} do not fit {len(latents)} points")
    check_bundle_target(out_dir)
    meta = {
        "format": FORMAT_NAME,
        "version": FORMAT_VERSION,
        "architecture": PICTURES_ARCHITECTURE if model_file is None else IMPORTED_ARCHITECTURE,
        "latent_dim": int(latents.shape[1]),
        "image_shape": [int(image_shape[0]), int(image_shape[1])],
        "channels": int(channels),
        "dataset": dataset,
        "class_names": [str(name) for name in class_names],
        "count": int(len(latents)),
        "has_encoder": False,
        "summary": _json_safe(summary, out_dir),
    }
    if model_file is not None:
        meta["decoder"] = {**(decoder_spec or {}), "format": model_file.kind,
                           "file": IMPORTED_DECODER_FILES[model_file.kind], "sha256": model_file.sha256,
                           "bytes": len(model_file.data), "source": str(Path(model_file.path).absolute())}
    if walk:
        meta["walk"] = dict(walk)

    def write_extras(staging: Path) -> None:
        if model_file is not None:
            with write_errors(out_dir / meta["decoder"]["file"]):
                (staging / meta["decoder"]["file"]).write_bytes(model_file.data)
        if positions is not None:
            with write_errors(out_dir / POSITIONS_FILE):
                np.save(staging / POSITIONS_FILE, positions.astype(np.float32), allow_pickle=False)
        if pictures is not None:
            with write_errors(out_dir / PICTURES_FILE):
                np.save(staging / PICTURES_FILE, np.ascontiguousarray(pictures, np.uint8), allow_pickle=False)
        if metadata:
            with write_errors(out_dir / METADATA_FILE):
                (staging / METADATA_FILE).write_text(metadata_text(metadata), encoding="utf-8")

    return _publish_bundle(out_dir, meta, latents, labels, write_extras)


def _publish_bundle(out_dir: Path, meta: dict, latents: np.ndarray, labels: np.ndarray, write_extras) -> Path:
    """Stage the bundle beside `out_dir` (`write_extras(staging)` adds its model files), load it once,
    then swap it into place; the staging folder never outlives a failure."""
    with write_errors(out_dir.parent):
        out_dir.parent.mkdir(parents=True, exist_ok=True)
        staging = staging_folder(out_dir)
    try:
        write_extras(staging)
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
