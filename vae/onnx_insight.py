"""What an imported decoder shows in the Activations and Weights panels. ONNX exposes its graph: every
node's output can be asked for (a second session of the same bytes with those outputs added), and its
initializers are the weights. TorchScript modules and bundles of pictures expose neither in a form worth
drawing, and the panels say so in one line."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MAX_LAYERS = 48  # a deep generator has hundreds of nodes; the first ones past the latent tell most
NOT_AVAILABLE = {
    "torchscript": "a TorchScript decoder does not expose its layers: activations and weights are not "
                   "available (export it to ONNX to see them)",
    "pictures": "this bundle holds pictures, not a decoder: there are no layers or weights to show",
}


@dataclass(frozen=True)
class GraphLayer:
    name: str
    description: str
    shape: tuple[int, ...]
    values: np.ndarray  # float32, without the batch axis: (features,) or (channels, H, W)


def unavailable(kind: str) -> str | None:
    """Why the panels have nothing to show for a bundle of this kind; None when they do."""
    return NOT_AVAILABLE.get(kind)


def initializers(graph) -> list[tuple[str, tuple[int, ...], int]]:
    """(name, shape, values) of each weight tensor of an ONNX graph, in file order."""
    out = []
    for tensor in graph.graph.initializer:
        shape = tuple(int(d) for d in tensor.dims)
        out.append((tensor.name, shape, int(np.prod(shape)) if shape else 1))
    return out


class GraphActivations:
    """One decode of a latent that returns every float node output of the graph, as layers."""

    def __init__(self, decoder) -> None:
        import onnx

        from latentwalk.vae.runners import ModelFile, onnx_session

        model = onnx.ModelProto()
        model.CopyFrom(decoder.onnx_model)
        present = {output.name for output in model.graph.output}
        self.ops: dict[str, str] = {}
        for node in model.graph.node:
            if node.op_type in ("Constant", "Shape", "ConstantOfShape"):
                continue
            for name in node.output:
                if name and name not in present and len(self.ops) < MAX_LAYERS:
                    model.graph.output.append(onnx.ValueInfoProto(name=name))
                    self.ops[name] = node.op_type
        self.input = decoder.onnx_model.graph.input[0].name
        self.session = onnx_session(ModelFile(decoder.path, "onnx", model.SerializeToString()))
        self.names = [output.name for output in self.session.get_outputs()]

    def __call__(self, latent: np.ndarray) -> list[GraphLayer]:
        outputs = self.session.run(None, {self.input: np.asarray(latent, np.float32).reshape(1, -1)})
        layers = []
        for name, value in zip(self.names, outputs):
            value = np.asarray(value)
            if value.dtype.kind != "f" or value.ndim < 2 or value.shape[0] != 1:
                continue
            values = value[0].astype(np.float32)
            if values.ndim == 2:
                values = values[None]
            elif values.ndim > 3:
                values = values.reshape(-1)
            op = self.ops.get(name, "output")
            layers.append(GraphLayer(name, f"{op} node of the ONNX graph", tuple(value.shape[1:]), values))
        return layers
