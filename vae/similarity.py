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
# the grey 28x28 decoder's (vae.model); the colour network's come from weight_layers()
COMPARED_LAYERS = ("latent", "dense", "deconv1", "deconv2", "deconv3")  # reshape has dense's values
WEIGHT_LAYERS = (("dense", "fc"), ("deconv1", "deconv1"), ("deconv2", "deconv2"), ("deconv3", "deconv3"))
# the colour encoder's first convolution, which reads the picture's R, G and B: (layer, module path)
ENCODER_LAYER = ("enc1", "convs.0")


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


def weight_layers(decoder) -> tuple[tuple[str, str], ...]:
    """(layer name, module path) of each weighted decoder layer, in order; the names are
    layer_outputs_batch's, so each has its activations for CKA."""
    if not hasattr(decoder, "ups"):
        return WEIGHT_LAYERS
    ups = tuple((f"up{index}", f"ups.{index - 1}") for index in range(1, len(decoder.ups) + 1))
    return (("dense", "fc"),) + ups + (("out", "out"),)


def compared_layers(decoder) -> tuple[str, ...]:
    return ("latent",) + tuple(layer for layer, _ in weight_layers(decoder))


def network_description(bundle: Bundle) -> str:
    """What must match for two bundles' layers to line up, in words."""
    height, width = bundle.image_shape
    if bundle.meta.get("architecture") == ARCHITECTURE:
        return f"the grey {height}x{width} decoder"
    net = bundle.meta["network"]
    colour = "RGB" if net["channels"] == 3 else "grey"
    return f"the {colour} {height}x{width} network of widths {'-'.join(map(str, net['widths']))}"


def check_same_network(a: Bundle, b: Bundle) -> None:
    """The same layers, of the same shapes but for the latent width (CKA compares across it)."""
    def network(bundle):
        net = bundle.meta.get("network") or {}
        return (bundle.meta.get("architecture"), tuple(bundle.image_shape), bundle.channels,
                tuple(net.get("widths", ())))

    if network(a) != network(b):
        raise CompareError(f"{a.path} has {network_description(a)} and {b.path} {network_description(b)}: "
                           "comparisons need the same architecture")


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
    weights = dict(weight_layers(decoder_a))
    rows = []
    for layer in compared_layers(decoder_a):
        correlation = None
        if layer in weights:
            correlation = weight_correlation(decoder_a.get_submodule(weights[layer]).weight.detach(),
                                             decoder_b.get_submodule(weights[layer]).weight.detach())
        rows.append(LayerSimilarity(layer, tuple(acts_a[layer].shape[1:]), tuple(acts_b[layer].shape[1:]),
                                    linear_cka(acts_a[layer], acts_b[layer]), correlation))
    return Comparison(names[0], names[1], len(latents_a), rows)


def compare_bundles(a: Bundle, b: Bundle, samples: int = DEFAULT_SAMPLES, seed: int = 0) -> Comparison:
    for bundle in (a, b):
        if bundle.kind != "conv":  # no layers of ours to line up: said in one line, not a traceback
            raise BundleError(f"{bundle.path}: an imported {bundle.kind} model; comparisons need two of "
                              f"latentwalk's own decoders")
    check_same_network(a, b)
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
    index: np.ndarray  # int64 (H, W): flat index into the weight tensor, -1 on gaps (an RGB cell: its R weight)
    limit: float  # the layer's colour range is [-limit, +limit] (RANGE_PERCENTILE of |w|)
    caption: str
    rgb_per_kernel: np.ndarray  # uint8 (H, W, 3): each tile in its own range (its largest |w|)
    tile_limits: np.ndarray  # float32 (T,): that range, per tile
    tile_of: np.ndarray  # int64 (H, W): which tile a pixel belongs to, -1 on gaps
    weights: np.ndarray  # float32 (inputs, outputs, kh, kw) or dense (features, d): its shape names the flat index
    row_labels: list[str]  # what each row of tiles is, top to bottom (a channel number)
    column_labels: list[str]  # what each column of tiles is, left to right
    row_axis: str  # what the rows are, e.g. "32 input channels"
    column_axis: str
    tile_axis: str  # what one tile is, e.g. "a 3x3 kernel"
    rgb_axis: int | None = None  # RGB kernels: the weights' axis (0 inputs, 1 outputs) that is R, G, B

    @property
    def rgb_stride(self) -> int:
        """Flat distance from a cell's R weight to its G weight (and G to B)."""
        return int(np.prod(self.weights.shape[self.rgb_axis + 1:]))


@dataclass(frozen=True)
class TileAxes:
    columns: int
    caption: str
    row_axis: str
    column_axis: str
    tile_axis: str
    row_labels: list[str]
    column_labels: list[str]


def square_axes(count: int, what: str, kernel: str, channel: str) -> TileAxes:
    """`count` tiles in a near-square grid, channel = row label + column label."""
    columns = max(1, int(np.ceil(np.sqrt(count))))
    rows = int(np.ceil(count / columns))
    return TileAxes(columns, f"{count} {what} of {kernel} (one per {channel})", f"{channel}s, {columns} a row",
                    f"+0 to +{columns - 1}", f"a {kernel} {what[:-1]} ({channel} = row + column)",
                    [str(r * columns) for r in range(rows)], [f"+{c}" for c in range(columns)])


def weight_tiles(layer: str, weight: np.ndarray, latent_dim: int, base: tuple[int, int]) -> tuple[np.ndarray, TileAxes]:
    """(tiles (T, h, w) of flat weight indices, how they are laid out and labelled) for one decoder layer."""
    flat = np.arange(weight.size).reshape(weight.shape)
    if layer == "dense":  # (c*h0*w0, d): each latent dimension writes a h0 x w0 map into each channel
        channels = weight.shape[0] // (base[0] * base[1])
        tiles = flat.reshape(channels, base[0], base[1], latent_dim).transpose(3, 0, 1, 2).reshape(-1, *base)
        return tiles, TileAxes(channels, f"rows: {latent_dim} latent dims, columns: {channels} channels, "
                                         f"{base[0]}x{base[1]} maps",
                               f"{latent_dim} latent dimensions", f"{channels} channels",
                               f"the {base[0]}x{base[1]} map a dimension adds to a channel",
                               [f"z{i}" for i in range(latent_dim)], [str(c) for c in range(channels)])
    inputs, outputs = weight.shape[:2]  # (in, out, kh, kw): ConvTranspose2d's own, a Conv2d's transposed
    tiles = flat.reshape(inputs * outputs, *weight.shape[2:])
    kernel = "x".join(str(size) for size in weight.shape[2:])
    if outputs >= 8:
        return tiles, TileAxes(outputs, f"rows: {inputs} input channels, columns: {outputs} output channels, "
                                        f"{kernel} kernels", f"{inputs} input channels", f"{outputs} output channels",
                               f"a {kernel} kernel", [str(i) for i in range(inputs)], [str(o) for o in range(outputs)])
    return tiles, square_axes(inputs * outputs, "kernels", kernel, "input channel")


def rgb_tiles(weight: np.ndarray, rgb_axis: int) -> tuple[np.ndarray, TileAxes]:
    """Tiles (T, h, w) of the flat index of each cell's R weight: one tile a kernel whose three weights
    per position (R, G, B along `rgb_axis` of (in, out, kh, kw)) are one colour."""
    flat = np.arange(weight.size).reshape(weight.shape)
    tiles = flat[:, 0] if rgb_axis == 1 else flat[0]
    kernel = "x".join(str(size) for size in weight.shape[2:])
    channel = "input channel" if rgb_axis == 1 else "output channel"
    return tiles, square_axes(len(tiles), "RGB kernels", kernel, channel)


def mid_grey_rgb(values: np.ndarray) -> np.ndarray:
    """Values in [-1, 1] (..., 3) -> uint8: each channel 0 at -1, mid-grey (128) at 0, 255 at +1."""
    return np.rint(np.clip(127.5 + 127.5 * values, 0, 255)).astype(np.uint8)


def layer_weight(layer: str, network) -> np.ndarray:
    """A layer's weights as float32 (in, out, kh, kw) for convolutions, (features, d) for dense."""
    if layer == ENCODER_LAYER[0]:
        module = network.get_submodule(ENCODER_LAYER[1])
    else:
        module = network.get_submodule(dict(weight_layers(network))[layer])
    weight = module.weight.detach().float().cpu().numpy()
    if isinstance(module, torch.nn.Conv2d):  # (out, in, kh, kw): read like a transposed one's
        weight = weight.transpose(1, 0, 2, 3)
    return np.ascontiguousarray(weight)


def rgb_axis_of(layer: str, network) -> int | None:
    """The axis of R, G, B in layer_weight's layout: a colour network's last decoder layer writes them,
    its first encoder layer reads them."""
    if getattr(network, "channels", 1) != 3:
        return None
    return {"out": 1, ENCODER_LAYER[0]: 0}.get(layer)


def weights_image(layer: str, network, padding: int = 1) -> WeightsImage:
    """One layer's weights (`network`: a decoder, or a colour encoder for ENCODER_LAYER) as tiles, in a
    symmetric range: the layer's (+-RANGE_PERCENTILE of |w|), and each tile's own (its largest |w|), where
    a few strong channels no longer leave the others white. Most layers use the diverging map, one weight
    a cell; an RGB kernel's cell is its three weights as R, G, B, each 0 at mid-grey (mid_grey_rgb)."""
    weight = layer_weight(layer, network)
    rgb_axis = rgb_axis_of(layer, network)
    if rgb_axis is None:
        tiles, axes = weight_tiles(layer, weight, network.latent_dim, getattr(network, "base", (1, 1)))
    else:
        tiles, axes = rgb_tiles(weight, rgb_axis)
    index = tile_grid(tiles, axes.columns, padding, fill=-1)
    tile_of = tile_grid(np.broadcast_to(np.arange(len(tiles))[:, None, None], tiles.shape), axes.columns,
                        padding, fill=-1)
    flat = weight.reshape(-1)
    limit = float(np.percentile(np.abs(weight), RANGE_PERCENTILE)) or float(np.abs(weight).max()) or 1.0
    if rgb_axis is None:
        tile_weights = flat[tiles].reshape(len(tiles), -1)
        shown = flat[np.maximum(index, 0)]
    else:
        stride = int(np.prod(weight.shape[rgb_axis + 1:]))
        components = np.arange(3) * stride
        tile_weights = flat[tiles[..., None] + components].reshape(len(tiles), -1)
        shown = flat[np.maximum(index, 0)[..., None] + components]
    tile_limits = np.abs(tile_weights).max(axis=1).astype(np.float32)
    tile_limits[tile_limits <= 0] = 1.0
    kernel_limit = tile_limits[np.maximum(tile_of, 0)]
    if rgb_axis is None:
        rgb = diverging_rgb(np.where(index >= 0, shown / limit, np.nan))
        per_kernel = diverging_rgb(np.where(index >= 0, shown / kernel_limit, np.nan))
    else:
        rgb, per_kernel = mid_grey_rgb(shown / limit), mid_grey_rgb(shown / kernel_limit[..., None])
        rgb[index < 0] = per_kernel[index < 0] = GAP_COLOUR
    return WeightsImage(layer, rgb, index, limit, axes.caption, per_kernel, tile_limits, tile_of, weight,
                        axes.row_labels, axes.column_labels, axes.row_axis, axes.column_axis, axes.tile_axis,
                        rgb_axis)
