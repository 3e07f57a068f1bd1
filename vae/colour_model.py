"""The convolutional VAE for colour and larger pictures (the 28x28 grey one of model.py stays as it is).

The encoder halves the picture `len(widths)` times (Conv 4x4, stride 2, + ReLU, widths[0] channels
first), then a dense layer gives the mean and log-variance. The decoder mirrors it: a dense layer to
widths[-1] channels on the smallest grid, transposed convolutions (4x4, stride 2) doubling it back,
and a 3x3 convolution to the picture's channels. Its output is logits; the picture is their sigmoid,
as for the grey decoder, so every decode path treats both alike.

The whole network is described by a `NetworkSpec`, written in model.json, so a bundle rebuilds it
anywhere without code of its own.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import torch
from torch import nn

from latentwalk.vae.colour_bundle import LIKELIHOODS  # noqa: F401  (the choices, read without torch)
from latentwalk.vae.shapes import colour_base

# A fixed Gaussian's standard deviation, in [0, 1] pixel units: measured sharpest at equal KL (model.json).
FIXED_SIGMA = 0.1


@dataclass(frozen=True)
class NetworkSpec:
    latent_dim: int
    image_shape: tuple[int, int]
    channels: int  # 1 or 3
    widths: tuple[int, ...]  # channels after each halving, finest first
    likelihood: str = "gaussian"
    sigma: float = FIXED_SIGMA  # the fixed Gaussian's; a learned one starts here

    @property
    def base(self) -> tuple[int, int]:
        return colour_base(self.image_shape, len(self.widths))

    def to_json(self) -> dict:
        data = asdict(self)
        data["image_shape"], data["widths"] = list(self.image_shape), list(self.widths)
        return data

    @classmethod
    def from_json(cls, data: dict) -> "NetworkSpec":
        return cls(int(data["latent_dim"]), (int(data["image_shape"][0]), int(data["image_shape"][1])),
                   int(data["channels"]), tuple(int(w) for w in data["widths"]), str(data["likelihood"]),
                   float(data["sigma"]))


def default_widths(side: int) -> tuple[int, ...]:
    """Halvings down to a 4x4 grid, channels doubling towards it up to 128, starting from 32 channels
    at 32x32 and 16 above: the 64x64 decoder with 32 finest channels took 0.6 s for a 100-step walk
    on one CPU thread, with 16 it takes under 0.2 s (bench/results/colour.md)."""
    halvings = max(2, int(math.log2(max(16, side) // 4)))
    first = 32 if side <= 32 else 16
    return tuple(min(128, first * 2 ** i) for i in range(halvings))


class ColourEncoder(nn.Module):
    """Pictures (B, C, H, W) in [0, 1] -> (mean, logvar), each (B, d)."""

    def __init__(self, spec: NetworkSpec):
        super().__init__()
        self.spec = spec
        self.latent_dim, self.image_shape, self.channels = spec.latent_dim, tuple(spec.image_shape), spec.channels
        inputs = (spec.channels,) + spec.widths[:-1]
        self.convs = nn.ModuleList(nn.Conv2d(i, o, 4, stride=2, padding=1) for i, o in zip(inputs, spec.widths))
        h0, w0 = spec.base
        self.fc = nn.Linear(spec.widths[-1] * h0 * w0, 2 * spec.latent_dim)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        for conv in self.convs:
            x = torch.relu(conv(x))
        mean, logvar = self.fc(x.flatten(1)).chunk(2, dim=1)
        return mean, logvar


class ColourDecoder(nn.Module):
    """z (B, d) -> logits (B, C, H, W); the picture is their sigmoid."""

    def __init__(self, spec: NetworkSpec):
        super().__init__()
        self.spec = spec
        self.latent_dim, self.image_shape, self.channels = spec.latent_dim, tuple(spec.image_shape), spec.channels
        self.base = spec.base
        widths = spec.widths[::-1]
        self.fc = nn.Linear(spec.latent_dim, widths[0] * self.base[0] * self.base[1])
        self.ups = nn.ModuleList(nn.ConvTranspose2d(i, o, 4, stride=2, padding=1)
                                 for i, o in zip(widths, widths[1:] + widths[-1:]))
        self.out = nn.Conv2d(widths[-1], spec.channels, 3, padding=1)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.layers(z)[-1][2]

    def layers(self, z: torch.Tensor) -> list[tuple[str, str, torch.Tensor]]:
        """(name, description, (B, ...) tensor) of each layer, in order; the last is the logits."""
        h0, w0 = self.base
        dense = torch.relu(self.fc(z))
        x = dense.view(-1, self.spec.widths[-1], h0, w0)
        out = [("dense", f"Dense {self.latent_dim} -> {dense.shape[1]} + ReLU", dense),
               ("reshape", f"reshape to {x.shape[1]} channels of {h0}x{w0}", x)]
        for index, up in enumerate(self.ups, 1):
            x = torch.relu(up(x))
            out.append((f"up{index}", f"ConvTranspose {x.shape[1]} (4x4, stride 2) + ReLU", x))
        logits = self.out(x)
        colour = "RGB" if self.channels == 3 else "grey"
        out.append(("out", f"Conv {self.channels} (3x3): {colour} logits, the picture is their sigmoid", logits))
        return out


class ColourVAE(nn.Module):
    def __init__(self, spec: NetworkSpec):
        super().__init__()
        self.spec = spec
        self.latent_dim, self.image_shape = spec.latent_dim, tuple(spec.image_shape)
        self.encoder = ColourEncoder(spec)
        self.decoder = ColourDecoder(spec)
        # log sigma of the Gaussian likelihood, one per channel (learned only for "gaussian-learned")
        self.log_sigma = nn.Parameter(torch.full((spec.channels,), math.log(spec.sigma)),
                                      requires_grad=spec.likelihood == "gaussian-learned")

    def forward(self, x: torch.Tensor, generator: torch.Generator | None = None):
        mean, logvar = self.encoder(x)
        noise = torch.randn(mean.shape, generator=generator, device=mean.device, dtype=mean.dtype)
        z = mean + torch.exp(0.5 * logvar) * noise
        return self.decoder(z), mean, logvar

    def reconstruction(self, logits: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        """Negative log-likelihood of x, summed per picture, averaged over the batch (nats)."""
        logits = logits.float()
        if self.spec.likelihood == "bernoulli":
            return nn.functional.binary_cross_entropy_with_logits(logits, x, reduction="sum") / x.shape[0]
        log_sigma = self.log_sigma.view(1, -1, 1, 1)
        error = (x - torch.sigmoid(logits)) * torch.exp(-log_sigma)
        per_pixel = 0.5 * error.pow(2) + log_sigma + 0.5 * math.log(2 * math.pi)
        return per_pixel.sum() / x.shape[0]


def kl_divergence(mean: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    mean, logvar = mean.float(), logvar.float()
    return -0.5 * torch.sum(1 + logvar - mean.pow(2) - logvar.exp()) / mean.shape[0]
