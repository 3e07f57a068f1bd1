"""The VAE's networks. The decoder has the original browser tool's architecture and follows
TensorFlow's SAME-padding semantics exactly, so weights imported from TF.js and weights trained
here run through the same module."""
from __future__ import annotations

import torch
from torch import nn


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
        if image_shape[0] % 4 or image_shape[1] % 4:
            raise ValueError(f"image shape {image_shape} is not divisible by 4")
        self.latent_dim = latent_dim
        self.image_shape = tuple(image_shape)
        self.base = (image_shape[0] // 4, image_shape[1] // 4)
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
