"""Import a TensorFlow.js graph-model decoder of the original browser tool as a `ConvDecoder`.

The graph is evaluated symbolically from its output back to the input placeholder: integer
shape arithmetic (Shape, StridedSlice, Pack, Const) is computed for real, and every float op
becomes one step of a linear chain. The chain must be exactly the original architecture; its
weights are then permuted from TF's channels-last layouts into the module's layouts.
"""
from __future__ import annotations

import base64
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from latentwalk.vae.errors import TfjsError
from latentwalk.vae.model import ConvDecoder
from latentwalk.vae.bundle import MAX_IMAGE_SIDE, MAX_LATENT_DIM
from latentwalk.vae.safeio import MAX_JSON_BYTES, parse_json, read_limited
from latentwalk.vae.tfjs_weights import read_weights

SUPPORTED_OPS = frozenset({
    "Placeholder", "Const", "Identity", "MatMul", "_FusedMatMul", "BiasAdd", "Relu", "Sigmoid",
    "Reshape", "Shape", "StridedSlice", "Pack", "Conv2DBackpropInput",
})
_FUSABLE = ("BiasAdd", "Relu")


@dataclass
class TfjsDecoder:
    """An imported decoder: the module, its geometry and where it came from."""
    decoder: ConvDecoder
    latent_dim: int
    image_shape: tuple[int, int]
    # True when the graph itself ends in Sigmoid: the module still returns the pre-sigmoid values
    # and decoding applies the sigmoid, so pixels equal TF's output either way.
    graph_applies_sigmoid: bool
    source: dict = field(default_factory=dict)


@dataclass
class _Node:
    name: str
    op: str
    inputs: list[str]
    attr: dict


@dataclass
class _Step:
    """One float op of the chain from the placeholder to the output."""
    kind: str  # dense | bias | relu | sigmoid | reshape | deconv
    node: str
    params: dict


@dataclass
class _Float:
    """A float tensor known by its static shape (batch is None) and the ops that made it."""
    shape: tuple
    steps: list[_Step]


def _attr(node: _Node, key: str, default=None):
    value = node.attr.get(key)
    if value is None:
        return default
    if "s" in value:
        return base64.b64decode(value["s"]).decode("utf-8", "replace")
    if "list" in value:
        items = value["list"]
        if "s" in items:
            return [base64.b64decode(s).decode("utf-8", "replace") for s in items["s"]]
        return [int(i) for i in items.get("i", [])]
    for key_, cast in (("i", int), ("b", bool), ("f", float)):
        if key_ in value:
            return cast(value[key_])
    return value


_IN_PROGRESS = object()


class _GraphWalker:
    """Evaluates the graph from its output node; `value(name)` memoizes each node."""

    def __init__(self, model_json: Path, nodes: dict[str, _Node], weights: dict[str, np.ndarray]):
        self.file = model_json
        self.nodes = nodes
        self.weights = weights
        self.memo: dict[str, object] = {}

    def fail(self, node: _Node, problem: str) -> TfjsError:
        return TfjsError(f"{self.file}: node {node.name} ({node.op}): {problem}")

    def value(self, name: str):
        if name not in self.memo:
            node = self.nodes.get(name)
            if node is None:
                raise TfjsError(f"{self.file}: graph refers to missing node {name}")
            self.memo[name] = _IN_PROGRESS
            try:
                self.memo[name] = getattr(self, "_op_" + node.op.lstrip("_"))(node)
            except (IndexError, TypeError, ValueError) as exc:  # malformed attrs or inputs
                raise self.fail(node, f"malformed node ({type(exc).__name__}: {exc})") from None
        if self.memo[name] is _IN_PROGRESS:
            raise TfjsError(f"{self.file}: graph has a cycle through node {name}")
        return self.memo[name]

    def float_input(self, node: _Node, index: int) -> _Float:
        value = self.value(node.inputs[index])
        if not isinstance(value, _Float):
            raise self.fail(node, f"input {index} is a constant where a computed tensor is expected")
        return value

    def const_input(self, node: _Node, index: int, kind: str) -> np.ndarray:
        value = self.value(node.inputs[index])
        if isinstance(value, _Float) or np.asarray(value).dtype.kind != kind:
            raise self.fail(node, f"input {index} must be a {'float' if kind == 'f' else 'int'} constant")
        return np.asarray(value)

    def int_list(self, node: _Node, index: int) -> list:
        value = self.value(node.inputs[index])
        if isinstance(value, _Float):
            raise self.fail(node, f"input {index} must be an integer shape")
        return list(value) if isinstance(value, list) else np.asarray(value).reshape(-1).tolist()

    def _op_Const(self, node):
        if node.name not in self.weights:
            raise self.fail(node, "constant has no data in the weights manifest")
        return self.weights[node.name]

    def _op_Placeholder(self, node):
        dims = [int(d.get("size", -1)) for d in (_attr(node, "shape") or {}).get("shape", {}).get("dim", [])]
        if len(dims) != 2 or dims[1] <= 0:
            raise self.fail(node, f"input shape {dims} is not (batch, latent_dim)")
        return _Float((None, dims[1]), [])

    def _op_Identity(self, node):
        return self.value(node.inputs[0])

    def _op_Shape(self, node):
        value = self.value(node.inputs[0])
        return list(value.shape) if isinstance(value, _Float) else list(np.shape(value))

    def _op_StridedSlice(self, node):
        data = self.int_list(node, 0)
        begin, end, strides = (self.int_list(node, i) for i in (1, 2, 3))
        if _attr(node, "ellipsis_mask", 0) or _attr(node, "new_axis_mask", 0) or len(begin) != 1:
            raise self.fail(node, "only 1-d slices without ellipsis/new-axis masks are supported")
        start = None if _attr(node, "begin_mask", 0) & 1 else begin[0]
        stop = None if _attr(node, "end_mask", 0) & 1 else end[0]
        if _attr(node, "shrink_axis_mask", 0) & 1:
            return data[begin[0]]
        return data[start:stop:strides[0]]

    def _op_Pack(self, node):
        if _attr(node, "axis", 0) != 0:
            raise self.fail(node, "only axis 0 is supported")
        items = []
        for i in range(len(node.inputs)):
            item = self.int_list(node, i)
            if len(item) != 1:
                raise self.fail(node, "only scalars can be packed")
            items.append(item[0])
        return items

    def _op_MatMul(self, node, fused: tuple = ()):
        x = self.float_input(node, 0)
        kernel = self.const_input(node, 1, "f")
        if _attr(node, "transpose_a", False):
            raise self.fail(node, "transpose_a is not supported")
        if _attr(node, "transpose_b", False):
            kernel = kernel.T
        if len(x.shape) != 2 or kernel.ndim != 2 or kernel.shape[0] != x.shape[1]:
            raise self.fail(node, f"cannot multiply {x.shape} by {kernel.shape}")
        steps = x.steps + [_Step("dense", node.name, {"kernel": kernel})]
        for i, op in enumerate(fused):
            if op == "BiasAdd":
                bias = self.const_input(node, 2 + i, "f")
                steps.append(self._bias_step(node, bias, kernel.shape[1]))
            else:
                steps.append(_Step(op.lower(), node.name, {}))
        return _Float((None, kernel.shape[1]), steps)

    def _op_FusedMatMul(self, node):
        fused = tuple(_attr(node, "fused_ops", []))
        if any(op not in _FUSABLE for op in fused) or fused.count("BiasAdd") != 1 or fused[0] != "BiasAdd":
            raise self.fail(node, f"unsupported fused ops {list(fused)}")
        return self._op_MatMul(node, fused)

    def _bias_step(self, node, bias: np.ndarray, channels: int) -> _Step:
        if bias.shape != (channels,):
            raise self.fail(node, f"bias shape {bias.shape} does not match {channels} channels")
        return _Step("bias", node.name, {"bias": bias})

    def _op_BiasAdd(self, node):
        x = self.float_input(node, 0)
        if _attr(node, "data_format", "NHWC") != "NHWC":
            raise self.fail(node, "only NHWC data_format is supported")
        step = self._bias_step(node, self.const_input(node, 1, "f"), x.shape[-1])
        return _Float(x.shape, x.steps + [step])

    def _op_Relu(self, node):
        x = self.float_input(node, 0)
        return _Float(x.shape, x.steps + [_Step(node.op.lower(), node.name, {})])

    _op_Sigmoid = _op_Relu

    def _op_Reshape(self, node):
        x = self.float_input(node, 0)
        target = self.int_list(node, 1)
        if not target or target[0] not in (None, -1) or any(d is None or d <= 0 for d in target[1:]):
            raise self.fail(node, f"target shape {target} must keep the batch and fix every other axis")
        if math.prod(target[1:]) != math.prod(x.shape[1:]):
            raise self.fail(node, f"cannot reshape {x.shape} to {target}")
        shape = (None, *target[1:])
        return _Float(shape, x.steps + [_Step("reshape", node.name, {"shape": shape[1:]})])

    def _op_Conv2DBackpropInput(self, node):
        sizes = self.int_list(node, 0)
        kernel = self.const_input(node, 1, "f")
        x = self.float_input(node, 2)
        if _attr(node, "data_format", "NHWC") != "NHWC":
            raise self.fail(node, "only NHWC data_format is supported")
        if any(d != 1 for d in _attr(node, "dilations", [1, 1, 1, 1])):
            raise self.fail(node, "dilations are not supported")
        strides = _attr(node, "strides", [])
        padding = _attr(node, "padding", "")
        if len(strides) != 4 or strides[0] != 1 or strides[3] != 1 or padding not in ("SAME", "VALID"):
            raise self.fail(node, f"unsupported strides {strides} / padding {padding}")
        if len(x.shape) != 4 or kernel.ndim != 4 or len(sizes) != 4 or sizes[0] not in (None, -1):
            raise self.fail(node, f"expects NHWC input and output, got {x.shape} -> {sizes}")
        if kernel.shape[3] != x.shape[3] or kernel.shape[2] != sizes[3]:
            raise self.fail(node, f"filter {kernel.shape} does not map {x.shape[3]} to {sizes[3]} channels")
        for axis in (1, 2):
            k, s, out, inp = kernel.shape[axis - 1], strides[axis], sizes[axis], x.shape[axis]
            expected_in = -(-out // s) if padding == "SAME" else (out - k) // s + 1
            if expected_in != inp:
                raise self.fail(node, f"output size {out} is inconsistent with input {inp} (stride {s})")
        shape = (None, *sizes[1:])
        params = {"kernel": kernel, "strides": tuple(strides[1:3]), "padding": padding,
                  "in_shape": x.shape[1:], "out_shape": shape[1:]}
        return _Float(shape, x.steps + [_Step("deconv", node.name, params)])


def same_padding(size_in: int, size_out: int, kernel: int, stride: int) -> tuple[int, int]:
    """TF's SAME padding (before, after) of the conv whose gradient is a transposed conv from
    size_in to size_out."""
    total = max((size_in - 1) * stride + kernel - size_out, 0)
    return total // 2, total - total // 2


# The module's transposed convs: (out channels, stride, TF padding (before, after) it reproduces).
_MODULE_DECONVS = ((64, 2, (0, 1)), (32, 2, (0, 1)), (1, 1, (1, 1)))
_CHAIN = ("dense", "bias", "relu", "reshape", "deconv", "bias", "relu",
          "deconv", "bias", "relu", "deconv", "bias")


def _parse_graph(model_json: Path) -> tuple[dict, dict[str, _Node], str]:
    class NotJson(Exception):
        pass

    data = read_limited(model_json, TfjsError, MAX_JSON_BYTES, what="a model.json file")
    try:
        doc = parse_json(data, model_json, NotJson)
    except NotJson as exc:
        raise TfjsError(f"{model_json}: not valid JSON: {str(exc)[len(str(model_json)) + 2:]}") from None
    if not isinstance(doc, dict) or doc.get("format") != "graph-model":
        raise TfjsError(f"{model_json}: not a TensorFlow.js graph model (format is "
                        f"{doc.get('format') if isinstance(doc, dict) else None!r})")
    try:
        raw_nodes = doc["modelTopology"]["node"]
        nodes = {}
        for raw in raw_nodes:
            inputs = [i.split(":")[0] for i in raw.get("input", []) if not i.startswith("^")]
            nodes[raw["name"]] = _Node(raw["name"], raw["op"], inputs, raw.get("attr", {}))
    except (KeyError, TypeError):
        raise TfjsError(f"{model_json}: modelTopology.node is missing or malformed") from None
    for node in nodes.values():
        if node.op not in SUPPORTED_OPS:
            raise TfjsError(f"{model_json}: unsupported op {node.op} (node {node.name})")
    return doc, nodes, _output_node(doc, nodes, model_json)


def _output_node(doc: dict, nodes: dict[str, _Node], model_json: Path) -> str:
    outputs = (doc.get("signature") or {}).get("outputs") or {}
    names = [o.get("name", "").split(":")[0] for o in outputs.values() if isinstance(o, dict)]
    if not names:  # no signature: the one node that nothing consumes
        consumed = {i for n in nodes.values() for i in n.inputs}
        names = [n for n in nodes if n not in consumed]
    if len(names) != 1:
        raise TfjsError(f"{model_json}: expected exactly one output, found {names}")
    return names[0]


def _check_chain(steps: list[_Step], model_json: Path) -> bool:
    """Raises unless the steps are the supported architecture; True when it ends in Sigmoid."""
    kinds = [s.kind for s in steps]
    sigmoid = kinds[-1:] == ["sigmoid"]
    body = kinds[:-1] if sigmoid else kinds
    for i, expected in enumerate(_CHAIN):
        found = steps[i] if i < len(body) else None
        if found is None or found.kind != expected:
            what = f"{found.kind} (node {found.node})" if found else "the end of the graph"
            raise TfjsError(f"{model_json}: not the supported decoder architecture: step {i + 1} "
                            f"should be {expected}, found {what}")
    if len(body) > len(_CHAIN):
        extra = steps[len(_CHAIN)]
        raise TfjsError(f"{model_json}: not the supported decoder architecture: unexpected "
                        f"{extra.kind} (node {extra.node}) after the last transposed conv")
    return sigmoid


def _state_dict(steps: list[_Step], model_json: Path) -> tuple[dict, int, tuple[int, int]]:
    dense, dense_bias, reshape = steps[0], steps[1], steps[3]
    h0, w0, c0 = reshape.params["shape"] if len(reshape.params["shape"]) == 3 else (0, 0, 0)
    if c0 != 32:
        raise TfjsError(f"{model_json}: node {reshape.node}: reshape to "
                        f"{reshape.params['shape']}, expected (h, w, 32)")
    latent_dim = dense.params["kernel"].shape[0]
    # TF flattens the dense output as (h, w, c); the module reads it as (c, h, w).
    kernel = dense.params["kernel"].reshape(latent_dim, h0, w0, c0).transpose(0, 3, 1, 2)
    bias = dense_bias.params["bias"].reshape(h0, w0, c0).transpose(2, 0, 1)
    state = {"fc.weight": kernel.reshape(latent_dim, -1).T, "fc.bias": bias.reshape(-1)}
    deconvs = [(s, steps[i + 1]) for i, s in enumerate(steps) if s.kind == "deconv"]
    size = (h0, w0)
    for index, ((step, bias_step), (channels, stride, pads)) in enumerate(zip(deconvs, _MODULE_DECONVS), 1):
        p = step.params
        kh, kw, out_c, _ = p["kernel"].shape
        out_h, out_w, _ = p["out_shape"]
        want = (size[0] * stride, size[1] * stride, channels)
        if p["out_shape"] != want or p["strides"] != (stride, stride) or (kh, kw) != (3, 3) \
                or p["padding"] != "SAME":
            raise TfjsError(f"{model_json}: node {step.node}: transposed conv {kh}x{kw} "
                            f"{p['padding']} stride {p['strides']} -> {p['out_shape']}, expected "
                            f"3x3 SAME stride {stride} -> {want}")
        got = (same_padding(size[0], out_h, kh, stride), same_padding(size[1], out_w, kw, stride))
        if got != (pads, pads):
            raise TfjsError(f"{model_json}: node {step.node}: SAME padding {got} differs from the "
                            f"module's {pads}")
        # TF filter [kh, kw, out, in] -> torch ConvTranspose2d weight [in, out, kh, kw]; both are
        # the gradient of a cross-correlation, so no spatial flip.
        state[f"deconv{index}.weight"] = p["kernel"].transpose(3, 2, 0, 1)
        state[f"deconv{index}.bias"] = bias_step.params["bias"]
        size = (out_h, out_w)
    return state, latent_dim, size


def load_tfjs_decoder(model_json: str | Path) -> TfjsDecoder:
    """Read a TF.js graph model (model.json and its shards) as a ConvDecoder computing what TF does.
    Whatever the files hold, the only error is a one-line TfjsError naming the file."""
    model_json = Path(model_json)
    try:
        return _load(model_json)
    except (KeyError, TypeError, ValueError, AttributeError, IndexError, OverflowError, RecursionError) as exc:
        # the checks above name each problem they foresee; this names what a hostile graph found
        detail = str(exc).splitlines()[0][:120] if str(exc) else ""
        raise TfjsError(f"{model_json}: malformed graph model ({type(exc).__name__}: {detail})") from None


def _load(model_json: Path) -> TfjsDecoder:
    doc, nodes, output = _parse_graph(model_json)
    weights = read_weights(model_json, doc.get("weightsManifest", []))
    result = _GraphWalker(model_json, nodes, weights).value(output)
    if not isinstance(result, _Float):
        raise TfjsError(f"{model_json}: output node {output} is a constant")
    sigmoid = _check_chain(result.steps, model_json)
    state, latent_dim, image_shape = _state_dict(result.steps, model_json)
    if not 1 <= latent_dim <= MAX_LATENT_DIM or not all(0 < side <= MAX_IMAGE_SIDE for side in image_shape):
        raise TfjsError(f"{model_json}: a {latent_dim}-d decoder of {image_shape} images is beyond what a bundle "
                        f"may hold ({MAX_LATENT_DIM}-d, {MAX_IMAGE_SIDE} pixels a side)")
    decoder = ConvDecoder(latent_dim=latent_dim, image_shape=image_shape)
    expected = {k: tuple(v.shape) for k, v in decoder.state_dict().items()}
    got = {k: v.shape for k, v in state.items()}
    if expected != got:
        raise TfjsError(f"{model_json}: weight shapes {got} do not fit the decoder {expected}")
    decoder.load_state_dict({k: torch.from_numpy(np.ascontiguousarray(v, dtype=np.float32))
                             for k, v in state.items()})
    decoder.eval()
    source = {"format": "tfjs-graph-model", "file": str(model_json.resolve()),
              "generated_by": doc.get("generatedBy"), "converted_by": doc.get("convertedBy"),
              "output_node": output, "graph_applies_sigmoid": sigmoid}
    return TfjsDecoder(decoder, latent_dim, image_shape, sigmoid, source)
