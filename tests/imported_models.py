"""Small models exported the way a person exports theirs (torch.onnx.export, torch.jit.script), and the
hostile model files an import must refuse in one line. Seeded: the same files every run."""
from __future__ import annotations

import pickle
import warnings
from pathlib import Path

import numpy as np
import torch
from torch import nn

LATENT_DIM = 4
GENERATOR_DIM = 6


class TinyDecoder(nn.Module):
    """(N, 4) -> (N, 1, 8, 8) in [0, 1]: a dense layer, a reshape, a transposed convolution."""

    def __init__(self) -> None:
        super().__init__()
        self.dense = nn.Linear(LATENT_DIM, 2 * 4 * 4)
        self.deconv = nn.ConvTranspose2d(2, 1, 4, stride=2, padding=1)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        x = torch.relu(self.dense(z)).reshape(-1, 2, 4, 4)
        return torch.sigmoid(self.deconv(x))


class TinyGenerator(nn.Module):
    """(N, 6) -> (N, 3, 8, 8) in [-1, 1] (tanh), ruled by z[:, 0]: its sign decides the picture's
    brightness, so a layout and clusters of what it makes must follow z[:, 0]."""

    def __init__(self) -> None:
        super().__init__()
        self.dense = nn.Linear(GENERATOR_DIM, 3 * 4 * 4)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        texture = 0.1 * torch.tanh(self.dense(z)).reshape(-1, 3, 4, 4)
        texture = torch.nn.functional.interpolate(texture, scale_factor=2.0, mode="nearest")
        return torch.tanh(3.0 * z[:, :1, None, None] + texture)


PRIMARY_SHAPE = (12, 12)


def primary_pattern() -> np.ndarray:
    """(3, 12, 12): every pixel pure red, green or blue. Top half: red, green, blue bands left to right;
    bottom half: blue, red, green, so a swapped axis or channel order shows as much as a grey path."""
    pattern = np.zeros((3, *PRIMARY_SHAPE), np.float32)
    for column in range(PRIMARY_SHAPE[1]):
        band = column // 4
        pattern[band, :6, column] = 1.0
        pattern[(band + 2) % 3, 6:, column] = 1.0
    return pattern


class PrimaryDecoder(nn.Module):
    """(N, 4) -> (N, 3, 12, 12) in [0, 1]: primary_pattern() at a brightness 0.5 + 0.5 sigmoid(z0), so
    every picture is pure colour and each latent's picture is its own."""

    def __init__(self) -> None:
        super().__init__()
        self.dense = nn.Linear(LATENT_DIM, 1)  # names the latent width (TorchScript imports read it)
        self.register_buffer("pattern", torch.from_numpy(primary_pattern()))

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        level = 0.5 + 0.5 * torch.sigmoid(z[:, :1])
        return self.pattern.unsqueeze(0) * level[:, :, None, None]


class PrimaryEncoder(nn.Module):
    """(N, 3, 12, 12) -> (mean, logvar), each (N, 4): the mean of red, of green and of blue, and 0, so a
    grey input (equal channels) cannot pass for a coloured one. Stands in for a colour model's encoder."""

    latent_dim, image_shape, channels = LATENT_DIM, PRIMARY_SHAPE, 3

    def forward(self, x: torch.Tensor):
        mean = torch.cat([x.mean(dim=(2, 3)), torch.zeros_like(x[:, :1, 0, 0])], dim=1)
        return mean, torch.zeros_like(mean)


def primary_images(latents: np.ndarray) -> np.ndarray:
    """What PrimaryDecoder makes of `latents`, as (N, 12, 12, 3) in [0, 1], computed without it."""
    level = 0.5 + 0.5 / (1.0 + np.exp(-np.asarray(latents, np.float64)[:, 0]))
    return (primary_pattern().transpose(1, 2, 0)[None] * level[:, None, None, None]).astype(np.float32)


def seeded(module_type) -> nn.Module:
    torch.manual_seed(0)
    return module_type().eval()


def export_onnx(module: nn.Module, dim: int, path: Path) -> Path:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the exporter's deprecation notes
        torch.onnx.export(module, (torch.zeros(1, dim),), str(path), input_names=["z"], output_names=["image"],
                          dynamic_axes={"z": {0: "n"}, "image": {0: "n"}}, dynamo=False)
    return path


def export_torchscript(module: nn.Module, path: Path) -> Path:
    torch.jit.script(module).save(str(path))
    return path


def reference_images(module: nn.Module, latents: np.ndarray, output_range: str = "0,1") -> np.ndarray:
    """What the source model makes of `latents`, as the bundle should show it: (N, H, W) or (N, H, W, 3)."""
    with torch.inference_mode():
        images = module(torch.from_numpy(np.asarray(latents, np.float32))).numpy().transpose(0, 2, 3, 1)
    if output_range == "-1,1":
        images = (images + 1.0) / 2.0
    return images[..., 0] if images.shape[3] == 1 else images


def _onnx_graph(path: Path, nodes, outputs, initializers=()) -> Path:
    import onnx
    from onnx import TensorProto, helper

    graph = helper.make_graph(nodes, "hostile", [helper.make_tensor_value_info("z", TensorProto.FLOAT, ["n", 4])],
                              outputs, initializer=list(initializers))
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    path.write_bytes(model.SerializeToString())
    return path


def hostile_model_files(folder: Path, onnx_decoder: Path) -> dict[str, Path]:
    """name -> a model file that must be refused (see test_import_model)."""
    from onnx import TensorProto, helper

    folder.mkdir(parents=True, exist_ok=True)
    files = {}
    data = onnx_decoder.read_bytes()
    files["truncated"] = folder / "truncated.onnx"
    files["truncated"].write_bytes(data[: len(data) // 2])
    files["custom-op"] = _onnx_graph(
        folder / "custom.onnx", [helper.make_node("Dream", ["z"], ["image"], domain="com.example.dreams")],
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, ["n", 1, 8, 8])])
    files["not-an-image"] = export_onnx(seeded(lambda: nn.Linear(LATENT_DIM, 5)), LATENT_DIM, folder / "linear.onnx")
    # a weight that says it is 2 GB, backed by nothing
    huge = TensorProto(name="w", data_type=TensorProto.FLOAT, dims=[1 << 29], raw_data=b"")
    files["2gb-weight"] = _onnx_graph(
        folder / "huge_weight.onnx", [helper.make_node("Add", ["z", "w"], ["image"])],
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, ["n", 1, 8, 8])], [huge])
    # an output that says each image is 1 x 40000 x 40000 floats (6.4 GB)
    files["2gb-output"] = _onnx_graph(
        folder / "huge_output.onnx", [helper.make_node("Identity", ["z"], ["image"])],
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, ["n", 1, 40000, 40000])])
    files["torch-save"] = folder / "weights.pth"
    torch.save(seeded(TinyDecoder).state_dict(), files["torch-save"])
    files["pickle"] = folder / "model.pkl"
    files["pickle"].write_bytes(pickle.dumps(_Tripwire(folder / "unpickled"), protocol=4))
    files["empty"] = folder / "empty.onnx"
    files["empty"].write_bytes(b"")
    return files


class _Tripwire:
    """Unpickling this creates a file: the test proves the import never unpickles."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (Path.touch, (self.marker,))
