"""Tiny model bundles for tests, written by vae.bundle.write_bundle (the one helper that makes them)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from latentwalk.vae.bundle import write_bundle
from latentwalk.vae.model import ConvDecoder, ConvEncoder


def clustered_latents(count: int, classes: int, dim: int = 3, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """`classes` blobs on a ring (plus noise in the other dimensions): well apart, all in view."""
    rng = np.random.default_rng(seed)
    labels = np.arange(count) % classes
    angles = 2 * np.pi * labels / classes
    centres = np.zeros((count, dim), np.float32)
    centres[:, 0], centres[:, 1] = 2.0 * np.cos(angles), 2.0 * np.sin(angles)
    if dim > 2:
        centres[:, 2] = 0.5 * np.sin(3 * angles)
    return (centres + rng.normal(0, 0.35, (count, dim))).astype(np.float32), labels.astype(np.int64)


def contrasty_decoder(seed: int, dim: int = 3) -> ConvDecoder:
    """An untrained decoder whose images differ a lot from point to point (an untrained one is all grey)."""
    torch.manual_seed(seed)
    decoder = ConvDecoder(dim, (28, 28))
    with torch.no_grad():
        decoder.fc.weight.mul_(8.0)
        decoder.deconv3.weight.mul_(8.0)
    return decoder


def make_bundle(path: Path, *, count: int = 400, classes: int = 4, dim: int = 3, seed: int = 0,
                encoder: bool = False, **overrides) -> Path:
    """A bundle of `count` clustered latents (labels i % classes, classes named c0, c1, ...) and an
    untrained 28x28 decoder made right after torch.manual_seed(seed); `encoder` adds an encoder.
    `overrides` replace any write_bundle argument (latents, labels, dataset, class_names, ...)."""
    torch.manual_seed(seed)
    latents, labels = clustered_latents(count, classes, dim, seed)
    arguments = dict(decoder=ConvDecoder(dim, (28, 28)), encoder=ConvEncoder(dim, (28, 28)) if encoder else None,
                     latents=latents, labels=labels, dataset="synthetic",
                     class_names=[f"c{i}" for i in range(classes)], summary={"test": True})
    arguments.update(overrides)
    return write_bundle(path, **arguments)


def make_colour_bundle(path: Path, *, side: int = 32, channels: int = 3, dim: int = 8, count: int = 60,
                       seed: int = 0, factors: bool = False) -> Path:
    """A bundle of the colour network (untrained, made right after torch.manual_seed(seed)) with its
    encoder; `factors` adds a factors.npy of two named columns."""
    from latentwalk.vae.colour_model import ColourVAE, NetworkSpec, default_widths

    torch.manual_seed(seed)
    model = ColourVAE(NetworkSpec(dim, (side, side), channels, default_widths(side), "gaussian-learned"))
    latents, labels = clustered_latents(count, 3, dim, seed)
    extra = {"factors": np.random.default_rng(seed).random((count, 2)).astype(np.float32),
             "factor_names": ["hue", "size"]} if factors else {}
    return write_bundle(path, decoder=model.decoder, encoder=model.encoder, latents=latents, labels=labels,
                        dataset="synthetic-colour", class_names=["a", "b", "c"], summary={"test": True},
                        preprocessing={"source": "test", "image_size": side, "channels": channels}, **extra)


def known_rgb_vae():
    """A small colour VAE (d = 4, 16x16, widths 8, 16) whose RGB kernels are a known pattern, in the
    decoder's last layer (kernel k: input channel k) and the encoder's first (kernel k: output channel k):
    kernel k's weight at (y, x) is +s for channel k % 3, -s/2 for channel (k + 1) % 3 and 0 for the third,
    s = (1 + y * kw + x) * (k + 1) / 10, so each kernel's largest |w| is at its last position."""
    from latentwalk.vae.colour_model import ColourVAE, NetworkSpec

    torch.manual_seed(0)
    model = ColourVAE(NetworkSpec(4, (16, 16), 3, (8, 16)))
    with torch.no_grad():
        for weight, rgb_axis in ((model.decoder.out.weight, 0), (model.encoder.convs[0].weight, 1)):
            weight.zero_()  # Conv2d (out, in, kh, kw): RGB is the decoder's outputs, the encoder's inputs
            kh, kw = weight.shape[2:]
            for k in range(weight.shape[1 - rgb_axis]):
                strength = torch.arange(1, kh * kw + 1, dtype=torch.float32).view(kh, kw) * (k + 1) / 10
                for channel, share in ((k % 3, 1.0), ((k + 1) % 3, -0.5)):
                    index = (channel, k) if rgb_axis == 0 else (k, channel)
                    weight[index] = share * strength
    return model


def expected_rgb_tile(k: int, kh: int, kw: int) -> np.ndarray:
    """known_rgb_vae's kernel k in its own range: mid-grey + 127.5 * w / max|w|, per channel, (kh, kw, 3)."""
    strength = np.arange(1, kh * kw + 1, dtype=np.float64).reshape(kh, kw) / (kh * kw)
    tile = np.full((kh, kw, 3), 127.5)
    tile[..., k % 3] += 127.5 * strength
    tile[..., (k + 1) % 3] -= 0.5 * 127.5 * strength
    return np.rint(tile).astype(np.uint8)


def known_rgb_bundle(path: Path, count: int = 120) -> Path:
    model = known_rgb_vae()
    latents, labels = clustered_latents(count, 3, 4)
    return write_bundle(path, decoder=model.decoder, encoder=model.encoder, latents=latents, labels=labels,
                        dataset="synthetic-colour", class_names=["a", "b", "c"], summary={"test": True},
                        preprocessing={"source": "test", "image_size": 16, "channels": 3})
