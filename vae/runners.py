"""Decoders that are not latentwalk's own: an ONNX graph (run by onnxruntime) or a TorchScript module
(torch.jit.load), each turning (B, d) latents into an image batch, and a picture table that answers a
latent with the real picture of the nearest embedded row. All of them decode numpy to numpy with
`decode(latents) -> float32 (B, H, W) or (B, H, W, 3) in [0, 1]`, so the decoder worker, `decode`,
`record` and the walk batch them the same way as the built-in decoder.

A model file is read whole (it is capped), hashed, judged and loaded from those same bytes, so what is
checked is what runs. Pickles are never loaded: a torch.save file is refused with how to export it.
"""
from __future__ import annotations

import hashlib
import io
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from latentwalk.vae.errors import VaeError
from latentwalk.vae.safeio import first_line, read_limited, size_text

MAX_MODEL_BYTES = 2 << 30  # ONNX's own protobuf limit; TorchScript decoders are far smaller
MAX_IMAGE_SIDE = 1024
MAX_LATENT_DIM = 1024
OUTPUT_RANGES = ("0,1", "-1,1")
LAYOUTS = ("chw", "hwc")
# The operator domains onnxruntime runs without a custom library.
STANDARD_DOMAINS = ("", "ai.onnx", "ai.onnx.ml", "com.microsoft")
EXPORT_HINT = ("export the decoder instead: torch.jit.script(decoder).save('decoder.pt') (or torch.jit.trace), "
               "or torch.onnx.export(decoder, torch.zeros(1, d), 'decoder.onnx', dynamic_axes={'z': {0: 'n'}})")
ONNX_INSTALL_HINT = "pip install 'latentwalk[onnx]' (or: pip install onnx onnxruntime)"


class ModelImportError(VaeError):
    """A model file that cannot be imported or run: one line naming the file and why."""


@dataclass(frozen=True)
class ModelFile:
    path: Path
    kind: str  # "onnx" | "torchscript"
    data: bytes = field(repr=False)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


def read_model_file(path: str | Path) -> ModelFile:
    """The file's bytes and its kind, judged by content (never by name): a TorchScript zip, or ONNX.
    A torch.save pickle (raw or zipped, without TorchScript code) is refused with how to export."""
    path = Path(path)
    data = read_limited(path, ModelImportError, MAX_MODEL_BYTES, what="a model file")
    if not data:
        raise ModelImportError(f"{path}: empty file, not an ONNX or TorchScript model")
    if data[:1] == b"\x80":  # pickle protocol 2+: torch.save's legacy format or a plain pickle
        raise ModelImportError(f"{path}: a Python pickle (torch.save), which latentwalk never loads; {EXPORT_HINT}")
    if data[:4] == b"PK\x03\x04":
        try:
            names = zipfile.ZipFile(io.BytesIO(data)).namelist()
        except (zipfile.BadZipFile, ValueError, OSError) as exc:
            raise ModelImportError(f"{path}: a damaged zip archive ({first_line(exc)})") from None
        if not any("/code/" in name or name.startswith("code/") for name in names):
            raise ModelImportError(f"{path}: a torch.save archive (pickled weights, no TorchScript code), which "
                                   f"latentwalk never loads; {EXPORT_HINT}")
        return ModelFile(path, "torchscript", data)
    return ModelFile(path, "onnx", data)


@dataclass
class ImportedDecoder:
    """A decoder from another framework. `run(latents float32 (B, d)) -> array` is the raw model;
    `decode` batches (one row at a time for a model fixed at batch 1) and maps its output to images."""
    kind: str
    path: Path
    latent_dim: int
    image_shape: tuple[int, int]
    channels: int
    layout: str
    output_range: str
    fixed_batch: bool
    run: Callable[[np.ndarray], np.ndarray] = field(repr=False)
    onnx_model: object | None = field(default=None, repr=False)  # the parsed graph, for the Weights panel

    def decode(self, latents: np.ndarray) -> np.ndarray:
        latents = np.ascontiguousarray(latents, np.float32)
        if self.fixed_batch and len(latents) != 1:
            parts = [self.run(latents[i:i + 1]) for i in range(len(latents))]
            raw = np.concatenate(parts) if parts else np.zeros((0,), np.float32)
        else:
            raw = self.run(latents)
        return to_images(raw, len(latents), self.layout, self.output_range, self.path,
                         expect=(*self.image_shape, self.channels))


def to_images(raw, count: int, layout: str, output_range: str, path: Path,
              expect: tuple[int, int, int] | None = None) -> np.ndarray:
    """A model's output batch as float32 (B, H, W) (one channel) or (B, H, W, 3) in [0, 1]."""
    array = np.asarray(raw)
    if array.dtype.kind != "f":
        raise ModelImportError(f"{path}: the output is {array.dtype}, not an image batch of floats")
    if array.ndim == 3:
        array = array[:, None] if layout == "chw" else array[..., None]
    if array.ndim != 4 or array.shape[0] != count:
        raise ModelImportError(f"{path}: the output has shape {array.shape}, not an image batch "
                               f"({count}, C, H, W) or ({count}, H, W, C)")
    if layout == "chw":
        array = array.transpose(0, 2, 3, 1)
    height, width, channels = array.shape[1:]
    if channels not in (1, 3):
        other = "hwc" if layout == "chw" else "chw"
        raise ModelImportError(f"{path}: the output has shape {tuple(np.asarray(raw).shape)}: {channels} channels "
                               f"read as {layout} (1 or 3 expected; is it --layout {other}?)")
    if not (0 < height <= MAX_IMAGE_SIDE and 0 < width <= MAX_IMAGE_SIDE):
        raise ModelImportError(f"{path}: output images of {height}x{width}, larger than {MAX_IMAGE_SIDE} a side")
    if expect is not None and (height, width, channels) != tuple(expect):
        raise ModelImportError(f"{path}: output images of {height}x{width}x{channels}, the bundle says "
                               f"{expect[0]}x{expect[1]}x{expect[2]}")
    images = array.astype(np.float32, copy=False)
    if output_range == "-1,1":
        images = (images + 1.0) * 0.5
    images = np.clip(np.nan_to_num(images, nan=0.0), 0.0, 1.0)
    return np.ascontiguousarray(images[..., 0] if channels == 1 else images)


# --------------------------------------------------------------------------------------------- ONNX
def _onnx_modules():
    try:
        import onnx
        import onnxruntime
    except ImportError as exc:
        raise ModelImportError(f"ONNX models need the onnx and onnxruntime packages ({exc.name} is missing): "
                               f"{ONNX_INSTALL_HINT}") from None
    return onnx, onnxruntime


def _static(dim) -> int | None:
    return int(dim.dim_value) if dim.HasField("dim_value") else None


def check_onnx_graph(model_file: ModelFile):
    """The parsed ModelProto once it is one onnxruntime can run: standard operators only, every
    initializer backed by the bytes it claims, one (N, d) float input, image-sized static outputs."""
    onnx, _ = _onnx_modules()
    path, data = model_file.path, model_file.data
    try:
        model = onnx.load_model_from_string(data)
    except Exception as exc:  # protobuf's DecodeError and friends: the file is not a whole ModelProto
        raise ModelImportError(f"{path}: not a readable ONNX model (truncated or corrupt: {first_line(exc)})") from None
    graph = model.graph
    if not graph.node or not graph.output:
        raise ModelImportError(f"{path}: not an ONNX model (no graph nodes or outputs)")
    custom = [(node.domain, node.op_type) for node in graph.node if node.domain not in STANDARD_DOMAINS]
    if custom:
        domain, op = custom[0]
        raise ModelImportError(f"{path}: uses operator {op[:40]!r} of the custom domain {domain[:40]!r}, which "
                               f"onnxruntime cannot run; export with standard ONNX operators")
    sizes = {1: 4, 2: 1, 3: 1, 4: 2, 5: 2, 6: 4, 7: 8, 9: 1, 10: 2, 11: 8, 12: 4, 13: 8, 16: 2}
    claimed = 0
    for tensor in graph.initializer:
        if tensor.data_location == onnx.TensorProto.EXTERNAL:
            raise ModelImportError(f"{path}: initializer {tensor.name[:40]!r} is stored in an external file; "
                                   f"save the model with all tensors inside (onnx.save(..., save_as_external_data=False))")
        count = 1
        for dim in tensor.dims:
            count *= max(int(dim), 0)
        claimed += count * sizes.get(tensor.data_type, 8)
        if claimed > len(data):
            raise ModelImportError(f"{path}: initializer {tensor.name[:40]!r} claims shape {tuple(tensor.dims)[:6]} "
                                   f"({size_text(count * sizes.get(tensor.data_type, 8))}), more than the file's "
                                   f"{size_text(len(data))}")
    for output in graph.output:
        dims = [_static(dim) for dim in output.type.tensor_type.shape.dim]
        pixels = 1
        for dim in dims[1:]:
            pixels *= dim or 1
        if pixels > 4 * MAX_IMAGE_SIDE * MAX_IMAGE_SIDE:
            raise ModelImportError(f"{path}: output {output.name[:40]!r} claims shape {tuple(dims)[:6]}, larger than "
                                   f"an image of {MAX_IMAGE_SIDE}x{MAX_IMAGE_SIDE}x3")
    return model


def onnx_input(model, path: Path, expect_latents: bool = True) -> tuple[str, int | None, bool]:
    """(name, latent dim or None when symbolic, batch fixed at 1) of the model's one (N, d) input
    (of any rank for an encoder, `expect_latents` False)."""
    initializers = {tensor.name for tensor in model.graph.initializer}
    inputs = [value for value in model.graph.input if value.name not in initializers]
    if len(inputs) != 1:
        raise ModelImportError(f"{path}: takes {len(inputs)} inputs; a decoder takes one, latents of shape (N, d)")
    dims = [_static(dim) for dim in inputs[0].type.tensor_type.shape.dim]
    if not expect_latents:
        return inputs[0].name, None, bool(dims) and dims[0] == 1
    if len(dims) != 2:
        raise ModelImportError(f"{path}: its input {inputs[0].name[:40]!r} has shape "
                               f"{tuple('?' if d is None else d for d in dims)}; a decoder takes latents of shape (N, d)")
    if dims[0] is not None and dims[0] != 1:
        raise ModelImportError(f"{path}: its input is fixed at batch {dims[0]}; export with a dynamic batch "
                               f"(dynamic_axes) or batch 1")
    return inputs[0].name, dims[1], dims[0] == 1


def onnx_session(model_file: ModelFile, device: str = "cpu", threads: int = 1):
    """An onnxruntime session of the checked bytes; CUDA when asked for and available."""
    _, ort = _onnx_modules()
    options = ort.SessionOptions()
    options.log_severity_level = 3
    if device == "cpu":
        options.intra_op_num_threads = threads  # llvmpipe keeps its core, as with torch
        options.inter_op_num_threads = 1
    providers = ["CPUExecutionProvider"]
    if device != "cpu" and "CUDAExecutionProvider" in ort.get_available_providers():
        providers.insert(0, "CUDAExecutionProvider")
    try:
        return ort.InferenceSession(model_file.data, sess_options=options, providers=providers)
    except Exception as exc:  # onnxruntime raises its own Fail/InvalidGraph/NotImplemented types
        raise ModelImportError(f"{model_file.path}: onnxruntime cannot load it ({first_line(exc)[:300]})") from None


def open_onnx(model_file: ModelFile, device: str = "cpu",
              expect_latents: bool = True) -> tuple[Callable, int | None, bool, object]:
    model = check_onnx_graph(model_file)
    name, latent_dim, fixed = onnx_input(model, model_file.path, expect_latents)
    session = onnx_session(model_file, device)
    output = session.get_outputs()[0].name

    def run(latents: np.ndarray) -> np.ndarray:
        try:
            return session.run([output], {name: latents})[0]
        except Exception as exc:
            raise ModelImportError(f"{model_file.path}: onnxruntime failed ({first_line(exc)[:300]})") from None

    return run, latent_dim, fixed, model


# ---------------------------------------------------------------------------------------- TorchScript
def open_torchscript(model_file: ModelFile, device: str = "cpu") -> tuple[Callable, int | None, bool, object]:
    import torch

    try:
        module = torch.jit.load(io.BytesIO(model_file.data), map_location=device)
    except Exception as exc:  # torch raises RuntimeError and friends for a bad archive
        raise ModelImportError(f"{model_file.path}: not a loadable TorchScript module ({first_line(exc)[:300]})") from None
    module.eval()
    latent_dim = None
    for parameter in module.parameters():  # the first layer's weight (out, in) names the latent width
        if parameter.ndim == 2:
            latent_dim = int(parameter.shape[1])
        break

    def run(latents: np.ndarray) -> np.ndarray:
        try:
            with torch.inference_mode():
                out = module(torch.from_numpy(latents).to(device))
        except Exception as exc:
            raise ModelImportError(f"{model_file.path}: the TorchScript module failed ({first_line(exc)[:300]})") from None
        if not isinstance(out, torch.Tensor):
            raise ModelImportError(f"{model_file.path}: the module returns {type(out).__name__}, not an image batch")
        return out.float().cpu().numpy()

    return run, latent_dim, False, None


def open_model(model_file: ModelFile, device: str = "cpu", expect_latents: bool = True):
    """(run, latent dim or None, batch fixed at 1, onnx graph or None) for a checked model file."""
    if model_file.kind == "onnx":
        return open_onnx(model_file, device, expect_latents)
    return open_torchscript(model_file, device)


# -------------------------------------------------------------------------------------- pictures
@dataclass
class PictureTable:
    """No decoder: a latent is answered with the picture of the nearest embedded row (squared
    Euclidean), so hover shows a point's own picture and a walk the real picture nearest each step."""
    embeddings: np.ndarray  # (N, d) float32
    pictures: np.ndarray  # (N, H, W) or (N, H, W, 3) uint8
    latent_dim: int = 0
    image_shape: tuple[int, int] = (0, 0)
    channels: int = 1
    kind: str = "pictures"

    def __post_init__(self) -> None:
        self.latent_dim = int(self.embeddings.shape[1])
        self.image_shape = (int(self.pictures.shape[1]), int(self.pictures.shape[2]))
        self.channels = 3 if self.pictures.ndim == 4 else 1
        self._squared = np.einsum("ij,ij->i", self.embeddings, self.embeddings)

    def nearest(self, latents: np.ndarray) -> np.ndarray:
        latents = np.asarray(latents, np.float32)
        rows = np.empty(len(latents), np.int64)
        for start in range(0, len(latents), 256):
            block = latents[start:start + 256]
            rows[start:start + len(block)] = np.argmin(self._squared[None, :] - 2.0 * block @ self.embeddings.T, axis=1)
        return rows

    def decode(self, latents: np.ndarray) -> np.ndarray:
        return self.pictures[self.nearest(latents)].astype(np.float32) / 255.0
