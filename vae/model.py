"""The VAE's networks. The decoder has the original browser tool's architecture and follows
TensorFlow's SAME-padding semantics exactly, so weights imported from TF.js and weights trained
here run through the same module."""
from __future__ import annotations

import torch
from torch import nn

from latentwalk.vae.shapes import decoder_shapes, encoder_shapes, quarter_grid  # noqa: F401  (their old home)


class ConvDecoder(nn.Module):
    """z (B, d) -> logits (B, 1, H, W).

    Dense(d -> 7*7*32) + ReLU, ConvTranspose 64 (3x3, s2) + ReLU, ConvTranspose 32 (3x3, s2) + ReLU,
    ConvTranspose 1 (3x3, s1). TF's SAME transposed conv with stride 2 pads only after the input
    (pad_before = 0), which torch cannot express: run with padding 0 and crop the extra last
    row/column. The dense output is laid out channels-first (C, 7, 7); importers permute TF's
    channels-last columns to match.
    """

    def __init__(self, latent_dim: int = 3, image_shape: tuple[int, int] = (28, 28)):
        super().__init__()
        self.latent_dim = latent_dim
        self.image_shape = tuple(image_shape)
        self.base = quarter_grid(image_shape)
        self.fc = nn.Linear(latent_dim, 32 * self.base[0] * self.base[1])
        self.deconv1 = nn.ConvTranspose2d(32, 64, 3, stride=2, padding=0)
        self.deconv2 = nn.ConvTranspose2d(64, 32, 3, stride=2, padding=0)
        self.deconv3 = nn.ConvTranspose2d(32, 1, 3, stride=1, padding=1)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        h0, w0 = self.base
        x = torch.relu(self.fc(z)).view(-1, 32, h0, w0)
        x = torch.relu(self.deconv1(x)[:, :, : 2 * h0, : 2 * w0])
        x = torch.relu(self.deconv2(x)[:, :, : 4 * h0, : 4 * w0])
        return self.deconv3(x)


class ConvEncoder(nn.Module):
    """Images (B, 1, H, W) in [0, 1] -> (mean, logvar), each (B, d).

    Mirrors the decoder: Conv 32 (3x3, s2) + ReLU, Conv 64 (3x3, s2) + ReLU, Dense -> 2d.
    """

    def __init__(self, latent_dim: int = 3, image_shape: tuple[int, int] = (28, 28)):
        super().__init__()
        self.latent_dim = latent_dim
        self.image_shape = tuple(image_shape)
        base = quarter_grid(image_shape)
        self.conv1 = nn.Conv2d(1, 32, 3, stride=2, padding=1)
        self.conv2 = nn.Conv2d(32, 64, 3, stride=2, padding=1)
        self.fc = nn.Linear(64 * base[0] * base[1], 2 * latent_dim)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        x = torch.relu(self.conv1(x))
        x = torch.relu(self.conv2(x))
        mean, logvar = self.fc(x.flatten(1)).chunk(2, dim=1)
        return mean, logvar


class ConvVAE(nn.Module):
    """Encoder + decoder; `forward` samples z with the reparametrisation trick."""

    def __init__(self, latent_dim: int = 3, image_shape: tuple[int, int] = (28, 28)):
        super().__init__()
        self.latent_dim = latent_dim
        self.image_shape = tuple(image_shape)
        self.encoder = ConvEncoder(latent_dim, image_shape)
        self.decoder = ConvDecoder(latent_dim, image_shape)

    def forward(self, x: torch.Tensor, generator: torch.Generator | None = None
                ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """x (B, 1, H, W) in [0, 1] -> (logits, mean, logvar). `generator` makes the noise reproducible."""
        mean, logvar = self.encoder(x)
        noise = torch.randn(mean.shape, generator=generator, device=mean.device, dtype=mean.dtype)
        z = mean + torch.exp(0.5 * logvar) * noise
        return self.decoder(z), mean, logvar


def vae_loss(logits: torch.Tensor, x: torch.Tensor, mean: torch.Tensor, logvar: torch.Tensor
             ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(negative ELBO, BCE, KL), each summed per image and averaged over the batch, in nats.

    BCE-with-logits against the grey levels summed over pixels; KL of N(mean, exp(logvar)) from N(0, I).
    """
    bce = nn.functional.binary_cross_entropy_with_logits(logits, x, reduction="sum") / x.shape[0]
    kl = -0.5 * torch.sum(1 + logvar - mean.pow(2) - logvar.exp()) / x.shape[0]
    return bce + kl, bce, kl
