"""The colour network's part of a bundle, read without torch: its description in model.json
("network": what rebuilds vae.colour_model's modules) and the optional per-point factors file."""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from latentwalk.vae.errors import BundleError
from latentwalk.vae.safeio import read_npy
from latentwalk.vae.shapes import colour_decoder_shapes, colour_encoder_shapes

FACTORS_FILE = "factors.npy"  # optional float32 (N, F): each point's generating factors, named in model.json
LIKELIHOODS = ("gaussian", "gaussian-learned", "bernoulli")


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _short(value, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "..."


def check_network(meta: dict, meta_path: Path) -> None:
    """The colour network's description: what rebuilds it, within what a bundle may claim."""
    net = meta.get("network")
    fields = ("latent_dim", "image_shape", "channels", "widths", "likelihood", "sigma")
    if not isinstance(net, dict) or any(key not in net for key in fields):
        raise BundleError(f"{meta_path}: network must be an object with {', '.join(fields)}")
    widths = net["widths"]
    if (not isinstance(widths, list) or not 2 <= len(widths) <= 8
            or not all(_is_int(w) and 1 <= w <= 1024 for w in widths)):
        raise BundleError(f"{meta_path}: network.widths must be 2 to 8 channel counts up to 1024, got {_short(widths)}")
    if (net["latent_dim"] != meta["latent_dim"] or net["image_shape"] != meta["image_shape"]
            or net["channels"] != meta.get("channels", 1)):
        raise BundleError(f"{meta_path}: network latent_dim, image_shape and channels must match the bundle's")
    if net["likelihood"] not in LIKELIHOODS or not isinstance(net["sigma"], (int, float)) or not 0 < net["sigma"] < 10:
        raise BundleError(f"{meta_path}: network.likelihood must be one of {', '.join(LIKELIHOODS)} with a sigma in (0, 10)")
    step = 2 ** len(widths)
    if any(side % step for side in meta["image_shape"]):
        raise BundleError(f"{meta_path}: image_shape {meta['image_shape']} cannot be halved {len(widths)} times")
    names = meta.get("factor_names", [])
    if not isinstance(names, list) or len(names) > 64 or not all(isinstance(n, str) and len(n) <= 64 for n in names):
        raise BundleError(f"{meta_path}: factor_names must be a list of at most 64 short strings")


def colour_shapes(meta: dict) -> tuple[dict, dict]:
    net = meta["network"]
    args = (net["latent_dim"], tuple(net["image_shape"]), net["channels"], tuple(net["widths"]))
    return colour_decoder_shapes(*args), colour_encoder_shapes(*args)


def read_factors(path: Path, meta: dict, rows: int) -> np.ndarray | None:
    factors_path = path / FACTORS_FILE
    if not os.path.lexists(factors_path):
        return None
    columns = len(meta.get("factor_names", []))

    def check(shape: tuple, dtype: np.dtype) -> None:
        if shape != (rows, columns) or dtype.kind != "f":
            raise BundleError(f"{factors_path}: {dtype} {shape}, expected float ({rows}, {columns}) "
                              "(a column for each of model.json's factor_names)")

    factors = read_npy(factors_path, BundleError, check=check).astype(np.float32, copy=False)
    if not np.isfinite(factors).all():
        raise BundleError(f"{factors_path}: contains NaN or Inf")
    return factors
