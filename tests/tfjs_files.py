"""TF.js graph-model decoders written by the tests: the original tool's topology (node for node, as its
converter wrote it) with seeded random weights, so the import is tested on a bare clone. A `compat`
test checks this topology against the original's real model.json."""
from __future__ import annotations

import base64
import json
from pathlib import Path

import numpy as np

PREFIX = "StatefulPartitionedCall/sequential_1/"
SHARD = "group1-shard1of1.bin"
# The original's transposed convs: (layer name, output (h, w, channels), stride).
DECONVS = (("conv2d_transpose", (14, 14, 64), 2), ("conv2d_transpose_1", (28, 28, 32), 2),
           ("conv2d_transpose_2", (28, 28, 1), 1))
RESHAPE = (7, 7, 32)


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def _const(name: str, value: np.ndarray) -> dict:
    dtype = "DT_INT32" if value.dtype.kind == "i" else "DT_FLOAT"
    shape = {"dim": [{"size": str(d)} for d in value.shape]} if value.shape else {}
    return {"name": name, "op": "Const",
            "attr": {"value": {"tensor": {"dtype": dtype, "tensorShape": shape}}, "dtype": {"type": dtype}}}


def _dynamic_batch_shape(layer: str, source: str, sizes: tuple[int, ...], pack_name: str,
                         constants: list) -> list[dict]:
    """Shape -> StridedSlice (the batch) -> Pack with the fixed sizes: how Keras builds an output shape."""
    for suffix, value in (("stack", 0), ("stack_1", 1), ("stack_2", 1)):
        constants.append((f"{PREFIX}{layer}/strided_slice/{suffix}", np.array([value], np.int32)))
    pack_inputs = [f"{PREFIX}{layer}/strided_slice"]
    for axis, size in enumerate(sizes, 1):
        name = f"{PREFIX}{layer}/{pack_name}/{axis}"
        constants.append((name, np.array(size, np.int32)))
        pack_inputs.append(name)
    int_attr = {"T": {"type": "DT_INT32"}}
    masks = {mask: {"i": "1" if mask == "shrink_axis_mask" else "0"}
             for mask in ("begin_mask", "end_mask", "ellipsis_mask", "new_axis_mask", "shrink_axis_mask")}
    return [
        {"name": f"{PREFIX}{layer}/Shape", "op": "Shape", "input": [source],
         "attr": {"T": {"type": "DT_FLOAT"}, "out_type": {"type": "DT_INT32"}}},
        {"name": f"{PREFIX}{layer}/strided_slice", "op": "StridedSlice",
         "input": [f"{PREFIX}{layer}/Shape"] + [f"{PREFIX}{layer}/strided_slice/{s}" for s in ("stack", "stack_1", "stack_2")],
         "attr": {**int_attr, "Index": {"type": "DT_INT32"}, **masks}},
        {"name": f"{PREFIX}{layer}/{pack_name}", "op": "Pack", "input": pack_inputs,
         "attr": {**int_attr, "axis": {"i": "0"}, "N": {"i": str(len(pack_inputs))}}},
    ]


def decoder_graph(weights: dict[str, np.ndarray], latent_dim: int = 3) -> tuple[list[dict], list[tuple]]:
    """The original's node list and its constants in manifest order, for float `weights` keyed by
    'dense' / 'dense_bias' / '<layer>' / '<layer>_bias'."""
    float_attr = {"T": {"type": "DT_FLOAT"}}
    nhwc = {"data_format": {"s": _b64("NHWC")}}
    constants: list[tuple[str, np.ndarray]] = []
    ops: list[dict] = [{"name": "input_2", "op": "Placeholder",
                        "attr": {"shape": {"shape": {"dim": [{"size": "-1"}, {"size": str(latent_dim)}]}},
                                 "dtype": {"type": "DT_FLOAT"}}}]
    dense = f"{PREFIX}dense_1/Relu"
    ops.append({"name": dense, "op": "_FusedMatMul", "device": "/device:CPU:0",
                "input": ["input_2", f"{PREFIX}dense_1/MatMul/ReadVariableOp", f"{PREFIX}dense_1/BiasAdd/ReadVariableOp"],
                "attr": {**float_attr, "transpose_a": {"b": False}, "transpose_b": {"b": False},
                         "epsilon": {"f": 0.0}, "num_args": {"i": "1"},
                         "fused_ops": {"list": {"s": [_b64("BiasAdd"), _b64("Relu")]}}}})
    ops += _dynamic_batch_shape("reshape", dense, RESHAPE, "Reshape/shape", constants)
    source = f"{PREFIX}reshape/Reshape"
    ops.append({"name": source, "op": "Reshape", "input": [dense, f"{PREFIX}reshape/Reshape/shape"],
                "attr": {**float_attr, "Tshape": {"type": "DT_INT32"}}})
    for index, (layer, sizes, stride) in enumerate(DECONVS):
        stack_constants: list = []
        ops += _dynamic_batch_shape(layer, source, sizes, "stack", stack_constants)
        kernel = f"{PREFIX}{layer}/conv2d_transpose/ReadVariableOp"
        constants[:0] = stack_constants + [(kernel, weights[layer])]  # the converter lists the last layer first
        ops.append({"name": f"{PREFIX}{layer}/conv2d_transpose", "op": "Conv2DBackpropInput",
                    "input": [f"{PREFIX}{layer}/stack", kernel, source],
                    "attr": {**float_attr, **nhwc, "dilations": {"list": {"i": ["1"] * 4}},
                             "padding": {"s": _b64("SAME")}, "explicit_paddings": {"list": {}},
                             "strides": {"list": {"i": ["1", str(stride), str(stride), "1"]}},
                             "use_cudnn_on_gpu": {"b": True}}})
        ops.append({"name": f"{PREFIX}{layer}/BiasAdd", "op": "BiasAdd",
                    "input": [f"{PREFIX}{layer}/conv2d_transpose", f"{PREFIX}{layer}/BiasAdd/ReadVariableOp"],
                    "attr": {**float_attr, **nhwc}})
        source = f"{PREFIX}{layer}/BiasAdd"
        if index < len(DECONVS) - 1:
            ops.append({"name": f"{PREFIX}{layer}/Relu", "op": "Relu", "input": [source], "attr": float_attr})
            source = f"{PREFIX}{layer}/Relu"
    ops.append({"name": "Identity", "op": "Identity", "input": [source], "attr": float_attr})
    # Manifest order as the converter wrote it: deconv shapes and kernels (last layer first), the dense
    # weights, the reshape's constants, then the three deconv biases.
    reshape_constants = [c for c in constants if "/reshape/" in c[0]]
    deconv_constants = [c for c in constants if "/reshape/" not in c[0]]
    ordered = deconv_constants + [(f"{PREFIX}dense_1/MatMul/ReadVariableOp", weights["dense"]),
                                  (f"{PREFIX}dense_1/BiasAdd/ReadVariableOp", weights["dense_bias"])]
    ordered += reshape_constants
    ordered += [(f"{PREFIX}{layer}/BiasAdd/ReadVariableOp", weights[f"{layer}_bias"]) for layer, _, _ in DECONVS]
    return [_const(name, value) for name, value in ordered] + ops, ordered


def random_decoder_weights(seed: int = 0, latent_dim: int = 3) -> dict[str, np.ndarray]:
    """He-scaled normal weights in TF's layouts, so every layer's output varies (std well above 1)."""
    rng = np.random.default_rng(seed)
    channels_in = RESHAPE[2]
    weights = {"dense": rng.normal(0, np.sqrt(2 / latent_dim), (latent_dim, int(np.prod(RESHAPE)))),
               "dense_bias": rng.normal(0, 0.1, int(np.prod(RESHAPE)))}
    for layer, (_, _, channels_out), stride in DECONVS:
        fan_in = 9 * channels_in / stride ** 2
        weights[layer] = rng.normal(0, np.sqrt(2 / fan_in), (3, 3, channels_out, channels_in))
        weights[f"{layer}_bias"] = rng.normal(0, 0.1, channels_out)
        channels_in = channels_out
    return {name: value.astype(np.float32) for name, value in weights.items()}


def write_tfjs_decoder(folder: Path, seed: int = 0, latent_dim: int = 3) -> Path:
    """A TF.js graph-model decoder (model.json + one shard) in `folder`; returns the model.json path."""
    folder.mkdir(parents=True, exist_ok=True)
    nodes, constants = decoder_graph(random_decoder_weights(seed, latent_dim), latent_dim)
    manifest = [{"name": name, "shape": list(value.shape), "dtype": "int32" if value.dtype.kind == "i" else "float32"}
                for name, value in constants]
    (folder / SHARD).write_bytes(b"".join(value.astype(value.dtype.newbyteorder("<")).tobytes()
                                          for _, value in constants))
    doc = {"format": "graph-model", "generatedBy": "2.7.0", "convertedBy": "TensorFlow.js Converter v3.11.0",
           "signature": {"inputs": {"input_2": {"name": "input_2:0", "dtype": "DT_FLOAT", "tensorShape": {
               "dim": [{"size": "-1"}, {"size": str(latent_dim)}]}}},
               "outputs": {"conv2d_transpose_2": {"name": "Identity:0", "dtype": "DT_FLOAT", "tensorShape": {
                   "dim": [{"size": "-1"}, {"size": "28"}, {"size": "28"}, {"size": "1"}]}}}},
           "modelTopology": {"node": nodes, "library": {}, "versions": {"producer": 898}},
           "weightsManifest": [{"paths": [SHARD], "weights": manifest}]}
    model_json = folder / "model.json"
    model_json.write_text(json.dumps(doc))
    return model_json
