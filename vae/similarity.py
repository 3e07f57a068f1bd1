"""Do two trainings of the same model look the same inside? Per-layer similarity of two bundles, and
their weights as colour.

The figure is linear CKA (centred kernel alignment, Kornblith et al. 2019) of the two decoders'
activations on the same inputs. Comparing weights entry by entry says nothing across independent
trainings: hidden units come out in an arbitrary order (any permutation of a layer's channels,
undone in the next layer, is the same function) and in arbitrary rotation and scale. Linear CKA
compares what the layers compute instead, and is invariant to exactly those changes: to any
orthogonal transform of a layer's features (permutations included) and to isotropic scaling. It
is 1 for layers that agree up to such a change and near 0 for unrelated ones; unlike CCA it does
not call any two layers wider than the number of inputs identical.

"The same inputs" are the same training images: a bundle's latents.npy row i is the encoder mean
of training image i, so decoding row i of each bundle shows both decoders image i, each in its own
latent coordinates, even when the two latent spaces are rotated or differ in dimension.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from latentwalk.vae.activations import layer_outputs_batch, tile_grid
from latentwalk.vae.bundle import ARCHITECTURE, Bundle
from latentwalk.vae.errors import BundleError, VaeError
from latentwalk.vae.model import ConvDecoder

DEFAULT_SAMPLES = 500
COMPARED_LAYERS = ("latent", "dense", "deconv1", "deconv2", "deconv3")  # reshape has dense's values
WEIGHT_LAYERS = (("dense", "fc"), ("deconv1", "deconv1"), ("deconv2", "deconv2"), ("deconv3", "deconv3"))


class CompareError(VaeError):
    """Two bundles that cannot be compared on the same inputs."""


# ----------------------------------------------------------------- linear CKA
def linear_cka(x: np.ndarray | torch.Tensor, y: np.ndarray | torch.Tensor) -> float:
    """Linear CKA of two representations of the same n inputs, (n, p) and (n, q); in [0, 1].

    Computed from the n x n Gram matrices, <HKH, HLH> / (|HKH| |HLH|), so wide layers (25k features)
    cost n^2 memory, not p^2."""
    x = torch.as_tensor(x).reshape(len(x), -1).double()
    y = torch.as_tensor(y).reshape(len(y), -1).double()
    if len(x) != len(y):
        raise ValueError(f"CKA needs the same inputs: {len(x)} rows against {len(y)}")
    x = x - x.mean(dim=0, keepdim=True)  # centring the features centres the Gram matrix (HKH)
    y = y - y.mean(dim=0, keepdim=True)
    gram_x, gram_y = x @ x.T, y @ y.T
    norms = torch.linalg.matrix_norm(gram_x) * torch.linalg.matrix_norm(gram_y)
    if norms <= 0:
        return 0.0  # a layer constant over the inputs carries no information to align
    return float((gram_x * gram_y).sum() / norms)


@dataclass(frozen=True)
class LayerSimilarity:
    layer: str
    shape_a: tuple[int, ...]
    shape_b: tuple[int, ...]
    cka: float
    weight_correlation: float | None  # entry-by-entry, for contrast; None when the shapes differ


@dataclass(frozen=True)
class Comparison:
    name_a: str
    name_b: str
    samples: int
    layers: list[LayerSimilarity]

    def as_dict(self) -> dict:
        return {"a": self.name_a, "b": self.name_b, "samples": self.samples, "measure": "linear CKA",
                "layers": [{"layer": row.layer, "shape_a": list(row.shape_a), "shape_b": list(row.shape_b),
                            "cka": row.cka, "weight_correlation": row.weight_correlation} for row in self.layers]}


def sample_indices(count: int, samples: int, seed: int = 0) -> np.ndarray:
    """`samples` training-image indices (sorted, reproducible) out of `count`."""
    if samples >= count:
        return np.arange(count)
    return np.sort(np.random.default_rng(seed).choice(count, size=samples, replace=False))


def shared_indices(a: Bundle, b: Bundle, samples: int = DEFAULT_SAMPLES, seed: int = 0) -> np.ndarray:
    if a.dataset != b.dataset:
        raise CompareError(f"{a.path} was trained on {a.dataset!r} and {b.path} on {b.dataset!r}: "
                           "similarity needs the same input images")
    return sample_indices(min(len(a.latents), len(b.latents)), samples, seed)


def activations_on(decoder: ConvDecoder, latents: np.ndarray) -> dict[str, torch.Tensor]:
    """Layer name -> (n, features) activations of `decoder` for `latents`, plus "latent" itself."""
    z = torch.from_numpy(np.ascontiguousarray(latents, np.float32))
    with torch.inference_mode():
        layers = {name: tensor.reshape(len(z), -1) for name, _, tensor in layer_outputs_batch(decoder, z)}
    layers["latent"] = z
    return layers


def weight_correlation(first: torch.Tensor, second: torch.Tensor) -> float | None:
    if first.shape != second.shape:
        return None
    a, b = first.flatten().double(), second.flatten().double()
    a, b = a - a.mean(), b - b.mean()
    norms = a.norm() * b.norm()
    return float(a @ b / norms) if norms > 0 else 0.0


def compare_decoders(decoder_a: ConvDecoder, latents_a: np.ndarray, decoder_b: ConvDecoder,
                     latents_b: np.ndarray, names: tuple[str, str] = ("A", "B")) -> Comparison:
    """Per-layer linear CKA; row i of both latent arrays must stand for the same input."""
    acts_a, acts_b = activations_on(decoder_a, latents_a), activations_on(decoder_b, latents_b)
    weights = {layer: module for layer, module in WEIGHT_LAYERS}
    rows = []
    for layer in COMPARED_LAYERS:
        correlation = None
        if layer in weights:
            correlation = weight_correlation(getattr(decoder_a, weights[layer]).weight.detach(),
                                             getattr(decoder_b, weights[layer]).weight.detach())
        rows.append(LayerSimilarity(layer, tuple(acts_a[layer].shape[1:]), tuple(acts_b[layer].shape[1:]),
                                    linear_cka(acts_a[layer], acts_b[layer]), correlation))
    return Comparison(names[0], names[1], len(latents_a), rows)


def compare_bundles(a: Bundle, b: Bundle, samples: int = DEFAULT_SAMPLES, seed: int = 0) -> Comparison:
    for bundle in (a, b):
        if bundle.kind != "conv":  # no layers of ours to line up: said in one line, not a traceback
            raise BundleError(f"{bundle.path}: an imported {bundle.kind} model; comparisons need two of "
                              f"latentwalk's own decoders")
        if bundle.meta.get("architecture") != ARCHITECTURE:
            raise BundleError(f"{bundle.path}: a colour network; comparisons need two of latentwalk's grey "
                              "28x28-style decoders")
    indices = shared_indices(a, b, samples, seed)
    decoder_a, decoder_b = a.load_decoder(), b.load_decoder()
    return compare_decoders(decoder_a, a.latents[indices], decoder_b, b.latents[indices],
                            (str(a.path.name), str(b.path.name)))


def format_table(comparison: Comparison) -> str:
    lines = [f"A = {comparison.name_a}, B = {comparison.name_b}: decoder layers on the same "
             f"{comparison.samples} training images",
             f"{'layer':<9} {'A shape':<14} {'B shape':<14} {'linear CKA':>10}  {'weight corr':>11}"]
    for row in comparison.layers:
        correlation = "-" if row.weight_correlation is None else f"{row.weight_correlation:+.3f}"
        lines.append(f"{row.layer:<9} {_shape(row.shape_a):<14} {_shape(row.shape_b):<14} "
                     f"{row.cka:>10.3f}  {correlation:>11}")
    lines.append("linear CKA: 1 = the layers compute the same up to rotation/permutation and scale, "
                 "0 = unrelated; weight corr compares raw weights entry by entry, which independent "
                 "trainings do not share")
    return "\n".join(lines)


def _shape(shape: tuple[int, ...]) -> str:
    return "x".join(str(size) for size in shape)


# ----------------------------------------------------------------- weights as colour
# A diverging map (after ColorBrewer RdBu): blue for negative, near-white for 0, red for positive.
DIVERGING_ANCHORS = np.array([[33, 102, 172], [103, 169, 207], [247, 247, 247], [239, 138, 98],
                              [178, 24, 43]], np.float32)
GAP_COLOUR = np.array([24, 24, 24], np.uint8)
# The colour range is +-this percentile of |w|: a few large weights would otherwise leave the rest
# near white. Larger weights saturate at the ends of the map.
RANGE_PERCENTILE = 99.0


def diverging_rgb(values: np.ndarray) -> np.ndarray:
    """Values in [-1, 1] (NaN for gaps) -> uint8 RGB (..., 3)."""
    values = np.asarray(values, np.float32)
    gaps = ~np.isfinite(values)
    position = (np.clip(np.nan_to_num(values), -1, 1) + 1) * 0.5 * (len(DIVERGING_ANCHORS) - 1)
    low = np.minimum(np.floor(position).astype(np.int64), len(DIVERGING_ANCHORS) - 2)
    frac = (position - low)[..., None]
    rgb = DIVERGING_ANCHORS[low] * (1 - frac) + DIVERGING_ANCHORS[low + 1] * frac
    out = np.rint(rgb).astype(np.uint8)
    out[gaps] = GAP_COLOUR
    return out


@dataclass(frozen=True)
class WeightsImage:
    layer: str
    rgb: np.ndarray  # uint8 (H, W, 3), one colour range for the layer
    index: np.ndarray  # int64 (H, W): flat index into the weight tensor, -1 on gaps
    limit: float  # the layer's colour range is [-limit, +limit] (RANGE_PERCENTILE of |w|)
    caption: str
    rgb_per_kernel: np.ndarray  # uint8 (H, W, 3): each tile in its own range (its largest |w|)
    tile_limits: np.ndarray  # float32 (T,): that range, per tile
    tile_of: np.ndarray  # int64 (H, W): which tile a pixel belongs to, -1 on gaps
    weights: np.ndarray  # float32, the weight tensor (its shape names the flat index)
    row_labels: list[str]  # what each row of tiles is, top to bottom (a channel number)
    column_labels: list[str]  # what each column of tiles is, left to right
    row_axis: str  # what the rows are, e.g. "32 input channels"
    column_axis: str
    tile_axis: str  # what one tile is, e.g. "a 3x3 kernel"


@dataclass(frozen=True)
class TileAxes:
    columns: int
    caption: str
    row_axis: str
    column_axis: str
    tile_axis: str
    row_labels: list[str]
    column_labels: list[str]


def weight_tiles(layer: str, weight: np.ndarray, latent_dim: int, base: tuple[int, int]) -> tuple[np.ndarray, TileAxes]:
    """(tiles (T, h, w) of flat weight indices, how they are laid out and labelled) for one decoder layer."""
    flat = np.arange(weight.size).reshape(weight.shape)
    if layer == "dense":  # (32*h0*w0, d): each latent dimension writes a h0 x w0 map into each channel
        tiles = flat.reshape(32, base[0], base[1], latent_dim).transpose(3, 0, 1, 2).reshape(-1, *base)
        return tiles, TileAxes(32, f"rows: {latent_dim} latent dims, columns: 32 channels, {base[0]}x{base[1]} maps",
                               f"{latent_dim} latent dimensions", "32 channels",
                               f"the {base[0]}x{base[1]} map a dimension adds to a channel",
                               [f"z{i}" for i in range(latent_dim)], [str(c) for c in range(32)])
    inputs, outputs = weight.shape[:2]  # ConvTranspose2d weights are (in, out, kh, kw)
    tiles = flat.reshape(inputs * outputs, *weight.shape[2:])
    kernel = "x".join(str(size) for size in weight.shape[2:])
    if outputs >= 8:
        return tiles, TileAxes(outputs, f"rows: {inputs} input channels, columns: {outputs} output channels, "
                                        f"{kernel} kernels", f"{inputs} input channels", f"{outputs} output channels",
                               f"a {kernel} kernel", [str(i) for i in range(inputs)], [str(o) for o in range(outputs)])
    columns = max(1, int(np.ceil(np.sqrt(inputs * outputs))))
    rows = int(np.ceil(inputs * outputs / columns))
    return tiles, TileAxes(columns, f"{inputs} kernels of {kernel} (one per input channel)",
                           f"input channels, {columns} a row", f"+0 to +{columns - 1}",
                           f"a {kernel} kernel (input channel = row + column)",
                           [str(r * columns) for r in range(rows)], [f"+{c}" for c in range(columns)])


def weights_image(layer: str, decoder: ConvDecoder, padding: int = 1) -> WeightsImage:
    """One decoder layer's weights as colour tiles, in a symmetric range: the layer's (+-RANGE_PERCENTILE
    of |w|), and each tile's own (its largest |w|), where a few strong channels no longer leave the
    others white."""
    module = dict(WEIGHT_LAYERS)[layer]
    weight = getattr(decoder, module).weight.detach().float().cpu().numpy()
    tiles, axes = weight_tiles(layer, weight, decoder.latent_dim, decoder.base)
    index = tile_grid(tiles, axes.columns, padding, fill=-1)
    tile_of = tile_grid(np.broadcast_to(np.arange(len(tiles))[:, None, None], tiles.shape), axes.columns,
                        padding, fill=-1)
    flat = weight.reshape(-1)
    limit = float(np.percentile(np.abs(weight), RANGE_PERCENTILE)) or float(np.abs(weight).max()) or 1.0
    tile_limits = np.abs(flat[tiles]).reshape(len(tiles), -1).max(axis=1).astype(np.float32)
    tile_limits[tile_limits <= 0] = 1.0
    shown = flat[np.maximum(index, 0)]
    values = np.where(index >= 0, shown / limit, np.nan)
    per_kernel = np.where(index >= 0, shown / tile_limits[np.maximum(tile_of, 0)], np.nan)
    return WeightsImage(layer, diverging_rgb(values), index, limit, axes.caption, diverging_rgb(per_kernel),
                        tile_limits, tile_of, weight, axes.row_labels, axes.column_labels, axes.row_axis,
                        axes.column_axis, axes.tile_axis)
