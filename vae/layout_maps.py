"""The maps between a layout's 3-d space and the full latent space.

- PCA: exact and linear. Forward (z -> 3-d) is (z - mean) @ axes.T; inverse (3-d -> z) is
  mean + p @ axes: the components the layout does not show stay at the training mean.
- UMAP and t-SNE have no formula either way, so each layout trains two small MLPs when it is made,
  on its own (latent, position) pairs: `forward` places new points (drawn, encoded, walk steps) and
  `inverse` decodes any place of the view. Neither UMAP's nor openTSNE's own `transform` can be used
  from a bundle: both need the fitted model object, which only pickle would store, and a bundle is
  never unpickled. The MLPs are plain tensors (safetensors).

Every map is a dict of float32 numpy arrays (the tensors stored in `layouts/NAME.safetensors`) and
is applied with numpy alone, so the explorer places a point without importing torch.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

HIDDEN = 128
MIN_STEPS = 1500
LAYERS = 3  # linear layers per MLP: in -> HIDDEN -> HIDDEN -> out
_PCA_FIT_SAMPLE = 200_000  # the covariance of a sample estimates that of a million points well


def principal_axes(latents: np.ndarray, count: int = 3, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(mean (d,), axes (count, d), explained variance fraction (count,)) of the latents, float32.
    Eigenvector signs are arbitrary: each axis' largest component is made positive, so a model always
    looks the same."""
    sample = latents
    if len(latents) > _PCA_FIT_SAMPLE:
        rows = np.random.default_rng(seed).choice(len(latents), _PCA_FIT_SAMPLE, replace=False)
        sample = latents[rows]
    mean = sample.mean(axis=0, dtype=np.float64)
    covariance = np.atleast_2d(np.cov((sample - mean).T.astype(np.float64)))
    values, vectors = np.linalg.eigh(covariance)
    order = np.argsort(values)[::-1][:count]
    axes = vectors[:, order].T
    signs = np.sign(axes[np.arange(len(order)), np.abs(axes).argmax(axis=1)])
    axes = axes * np.where(signs == 0, 1.0, signs)[:, None]
    total = float(values.sum()) or 1.0
    return mean.astype(np.float32), axes.astype(np.float32), (values[order] / total).astype(np.float32)


def pca_maps(mean: np.ndarray, axes: np.ndarray) -> dict[str, np.ndarray]:
    return {"pca.mean": np.asarray(mean, np.float32), "pca.axes": np.asarray(axes, np.float32)}


def mlp_shapes(prefix: str, inputs: int, outputs: int) -> dict[str, tuple[int, ...]]:
    """Tensor name -> shape of one MLP: input normalisation, LAYERS linear layers, output scale."""
    widths = [inputs] + [HIDDEN] * (LAYERS - 1) + [outputs]
    shapes = {f"{prefix}.in_mean": (inputs,), f"{prefix}.in_scale": (inputs,),
              f"{prefix}.out_mean": (outputs,), f"{prefix}.out_scale": (outputs,)}
    for layer in range(LAYERS):
        shapes[f"{prefix}.{layer}.weight"] = (widths[layer + 1], widths[layer])
        shapes[f"{prefix}.{layer}.bias"] = (widths[layer + 1],)
    return shapes


def map_shapes(method: str, latent_dim: int) -> dict[str, tuple[int, ...]]:
    """What `layouts/NAME.safetensors` must hold for a layout of `method`."""
    if method == "pca":
        return {"pca.mean": (latent_dim,), "pca.axes": (3, latent_dim)}
    return {**mlp_shapes("forward", latent_dim, 3), **mlp_shapes("inverse", 3, latent_dim)}


def apply_mlp(tensors: dict[str, np.ndarray], prefix: str, x: np.ndarray) -> np.ndarray:
    h = (np.asarray(x, np.float32) - tensors[f"{prefix}.in_mean"]) / tensors[f"{prefix}.in_scale"]
    for layer in range(LAYERS):
        h = h @ tensors[f"{prefix}.{layer}.weight"].T + tensors[f"{prefix}.{layer}.bias"]
        if layer < LAYERS - 1:
            h = np.maximum(h, 0.0)
    return (h * tensors[f"{prefix}.out_scale"] + tensors[f"{prefix}.out_mean"]).astype(np.float32)


def forward(tensors: dict[str, np.ndarray], latents: np.ndarray) -> np.ndarray:
    """z (.., d) -> 3-d place (.., 3)."""
    z = np.asarray(latents, np.float32)
    if "pca.axes" in tensors:
        return ((z - tensors["pca.mean"]) @ tensors["pca.axes"].T).astype(np.float32)
    return apply_mlp(tensors, "forward", z.reshape(-1, z.shape[-1])).reshape(*z.shape[:-1], 3)


def inverse(tensors: dict[str, np.ndarray], positions: np.ndarray) -> np.ndarray:
    """3-d place (.., 3) -> z (.., d)."""
    p = np.asarray(positions, np.float32)
    if "pca.axes" in tensors:
        return (tensors["pca.mean"] + p @ tensors["pca.axes"]).astype(np.float32)
    out = apply_mlp(tensors, "inverse", p.reshape(-1, 3))
    return out.reshape(*p.shape[:-1], out.shape[-1])


def train_mlp(prefix: str, inputs: np.ndarray, targets: np.ndarray, *, seed: int = 0, epochs: int = 15,
              batch: int = 256, progress: Callable[[float], None] | None = None) -> dict[str, np.ndarray]:
    """An MLP from `inputs` to `targets` (mean squared error on standardised targets, Adam), as tensors."""
    import torch
    from torch import nn

    threads = torch.get_num_threads()
    # a net this small runs fastest on one thread: more only spin against each other
    torch.set_num_threads(1)
    try:
        return _train(prefix, inputs, targets, seed, epochs, batch, progress)
    finally:
        torch.set_num_threads(threads)


def _train(prefix, inputs, targets, seed, epochs, batch, progress) -> dict[str, np.ndarray]:
    import torch
    from torch import nn

    torch.manual_seed(seed)
    x = np.asarray(inputs, np.float32)
    y = np.asarray(targets, np.float32)
    in_mean, in_scale = x.mean(axis=0), x.std(axis=0) + 1e-6
    out_mean, out_scale = y.mean(axis=0), y.std(axis=0) + 1e-6
    xt = torch.from_numpy((x - in_mean) / in_scale)
    yt = torch.from_numpy((y - out_mean) / out_scale)
    widths = [x.shape[1]] + [HIDDEN] * (LAYERS - 1) + [y.shape[1]]
    modules: list[nn.Module] = []
    for layer in range(LAYERS):
        modules.append(nn.Linear(widths[layer], widths[layer + 1]))
        if layer < LAYERS - 1:
            modules.append(nn.ReLU())
    net = nn.Sequential(*modules)
    # a fixed number of optimiser steps, so a small layout is fitted as well as a big one
    steps_per_epoch = max(1, len(x) // batch)
    epochs = max(epochs, MIN_STEPS // steps_per_epoch)
    optimiser = torch.optim.Adam(net.parameters(), lr=2e-3)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimiser, epochs * steps_per_epoch)
    generator = torch.Generator().manual_seed(seed)
    for epoch in range(epochs):
        order = torch.randperm(len(x), generator=generator)
        for start in range(0, steps_per_epoch * batch, batch):
            rows = order[start:start + batch]
            loss = ((net(xt[rows]) - yt[rows]) ** 2).mean()
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            schedule.step()
        if progress is not None:
            progress((epoch + 1) / epochs)
    linears = [m for m in net if isinstance(m, nn.Linear)]
    tensors = {f"{prefix}.in_mean": in_mean, f"{prefix}.in_scale": in_scale,
               f"{prefix}.out_mean": out_mean, f"{prefix}.out_scale": out_scale}
    for layer, linear in enumerate(linears):
        tensors[f"{prefix}.{layer}.weight"] = linear.weight.detach().numpy().copy()
        tensors[f"{prefix}.{layer}.bias"] = linear.bias.detach().numpy().copy()
    return {name: np.ascontiguousarray(value, np.float32) for name, value in tensors.items()}
