"""The networks' state-dict shapes, without torch: a bundle is checked against them when it loads,
and the explorer's first frame must not wait for torch to import."""
from __future__ import annotations


def quarter_grid(image_shape: tuple[int, int]) -> tuple[int, int]:
    """The 1/4-resolution grid both networks pass through (two stride-2 steps)."""
    if image_shape[0] % 4 or image_shape[1] % 4:
        raise ValueError(f"image shape {tuple(image_shape)} is not divisible by 4")
    return image_shape[0] // 4, image_shape[1] // 4


def decoder_shapes(latent_dim: int, image_shape: tuple[int, int]) -> dict[str, tuple[int, ...]]:
    """ConvDecoder's state-dict shapes, computed without building it (a file is checked against them
    before any weights are allocated)."""
    h0, w0 = quarter_grid(image_shape)
    return {"fc.weight": (32 * h0 * w0, latent_dim), "fc.bias": (32 * h0 * w0,),
            "deconv1.weight": (32, 64, 3, 3), "deconv1.bias": (64,),
            "deconv2.weight": (64, 32, 3, 3), "deconv2.bias": (32,),
            "deconv3.weight": (32, 1, 3, 3), "deconv3.bias": (1,)}


def encoder_shapes(latent_dim: int, image_shape: tuple[int, int]) -> dict[str, tuple[int, ...]]:
    """ConvEncoder's state-dict shapes, computed without building it."""
    h0, w0 = quarter_grid(image_shape)
    return {"conv1.weight": (32, 1, 3, 3), "conv1.bias": (32,),
            "conv2.weight": (64, 32, 3, 3), "conv2.bias": (64,),
            "fc.weight": (2 * latent_dim, 64 * h0 * w0), "fc.bias": (2 * latent_dim,)}


def colour_base(image_shape: tuple[int, int], halvings: int) -> tuple[int, int]:
    """The smallest grid of the colour networks (vae.colour_model): the picture halved `halvings` times."""
    step = 2 ** halvings
    if image_shape[0] % step or image_shape[1] % step:
        raise ValueError(f"image shape {tuple(image_shape)} is not divisible by {step}")
    return image_shape[0] // step, image_shape[1] // step


def colour_decoder_shapes(latent_dim: int, image_shape: tuple[int, int], channels: int,
                          widths: tuple[int, ...]) -> dict[str, tuple[int, ...]]:
    """ColourDecoder's state-dict shapes, computed without building it."""
    h0, w0 = colour_base(image_shape, len(widths))
    reverse = tuple(widths[::-1])
    shapes = {"fc.weight": (reverse[0] * h0 * w0, latent_dim), "fc.bias": (reverse[0] * h0 * w0,)}
    for index, (i, o) in enumerate(zip(reverse, reverse[1:] + reverse[-1:])):
        shapes[f"ups.{index}.weight"] = (i, o, 4, 4)
        shapes[f"ups.{index}.bias"] = (o,)
    shapes["out.weight"] = (channels, reverse[-1], 3, 3)
    shapes["out.bias"] = (channels,)
    return shapes


def colour_encoder_shapes(latent_dim: int, image_shape: tuple[int, int], channels: int,
                          widths: tuple[int, ...]) -> dict[str, tuple[int, ...]]:
    """ColourEncoder's state-dict shapes, computed without building it."""
    h0, w0 = colour_base(image_shape, len(widths))
    shapes = {}
    for index, (i, o) in enumerate(zip((channels,) + tuple(widths[:-1]), widths)):
        shapes[f"convs.{index}.weight"] = (o, i, 4, 4)
        shapes[f"convs.{index}.bias"] = (o,)
    shapes["fc.weight"] = (2 * latent_dim, widths[-1] * h0 * w0)
    shapes["fc.bias"] = (2 * latent_dim,)
    return shapes
