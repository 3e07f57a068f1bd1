"""Reading a TensorFlow.js weights manifest: shards concatenated per group, little-endian
values, float16 and uint8/uint16 quantized weights dequantized, every value checked finite."""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from latentwalk.vae.errors import TfjsError
from latentwalk.vae.safeio import read_limited

MAX_SHARD_BYTES = 1 << 30  # all shards of one model together

_STORED_DTYPES = {"float32": np.float32, "int32": np.int32, "bool": np.bool_,
                  "uint8": np.uint8, "uint16": np.uint16, "float16": np.float16}


def read_weights(model_json: Path, manifest: list) -> dict[str, np.ndarray]:
    """Every weight of a TF.js weights manifest, dequantized, by name. Shards of a group are
    concatenated in their listed order; groups are independent byte streams."""
    weights: dict[str, np.ndarray] = {}
    if not isinstance(manifest, list):
        raise TfjsError(f"{model_json}: weightsManifest is not a list")
    for group in manifest:
        try:
            paths = [model_json.parent / p for p in group["paths"]]
            specs = group["weights"]
            if not isinstance(specs, list):
                raise TypeError
        except (KeyError, TypeError):
            raise TfjsError(f"{model_json}: a weightsManifest group lacks 'paths' or 'weights'") from None
        chunks = []
        for path in paths:
            chunks.append(read_limited(path, TfjsError, MAX_SHARD_BYTES - sum(map(len, chunks)),
                                       missing="cannot read weight shard: no such file", what="a weight shard"))
        buffer = b"".join(chunks)
        shard_names = ", ".join(str(p) for p in paths)
        offset = 0
        for spec in specs:
            name, array, offset = _read_one_weight(spec, buffer, offset, shard_names, model_json)
            weights[name] = array
        if offset != len(buffer):
            raise TfjsError(f"{shard_names}: weight shards hold {len(buffer)} bytes but "
                            f"{model_json.name} describes {offset}: wrong or corrupt shard")
    return weights


def _read_one_weight(spec: dict, buffer: bytes, offset: int, shard_names: str,
                     model_json: Path) -> tuple[str, np.ndarray, int]:
    try:
        name, shape, dtype = spec["name"], [int(s) for s in spec["shape"]], spec["dtype"]
        if not isinstance(name, str) or any(s < 0 for s in shape) or len(shape) > 8:
            raise ValueError
    except (KeyError, TypeError, ValueError, OverflowError):
        raise TfjsError(f"{model_json}: malformed weight entry {str(spec)[:80]}") from None
    quant = spec.get("quantization")
    stored = quant.get("dtype") if isinstance(quant, dict) else dtype
    if stored not in _STORED_DTYPES or dtype not in ("float32", "int32", "bool"):
        raise TfjsError(f"{model_json}: weight {name} has unsupported dtype {stored}")
    count = math.prod(shape)
    np_dtype = np.dtype(_STORED_DTYPES[stored]).newbyteorder("<")
    end = offset + count * np_dtype.itemsize
    if end > len(buffer):
        raise TfjsError(f"{shard_names}: truncated weight shard: {name} needs bytes {offset}..{end} "
                        f"but the shards hold {len(buffer)}")
    array = np.frombuffer(buffer, np_dtype, count, offset).reshape(shape)
    if quant:
        array = _dequantize(array, quant, dtype, name, model_json)
    else:
        array = array.astype(_STORED_DTYPES[dtype])
    if array.dtype.kind == "f" and not np.isfinite(array).all():
        raise TfjsError(f"{shard_names}: weight {name} contains NaN or Inf")
    return name, array, end


def _dequantize(array: np.ndarray, quant: dict, dtype: str, name: str, model_json: Path) -> np.ndarray:
    if quant["dtype"] == "float16":
        values = array.astype(np.float32)
    else:
        try:
            scale, low = float(quant["scale"]), float(quant["min"])
        except (KeyError, TypeError, ValueError):
            raise TfjsError(f"{model_json}: weight {name} is quantized without scale/min") from None
        values = (array.astype(np.float64) * scale + low).astype(np.float32)
    if dtype == "int32":
        return np.rint(values).astype(np.int32)
    return values.astype(np.float32)
