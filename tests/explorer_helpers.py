"""Shared by the explorer tests: tiny bundles written with vae.bundle, and event/frame helpers."""
from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pygame
import torch

from vae.bundle import write_bundle
from vae.model import ConvDecoder

REFERENCE = Path(__file__).resolve().parents[1].parent / "shared" / "reference" / "js-plot-vae"
FRAME = 1 / 60


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


def make_bundle(path: Path, *, count: int = 400, classes: int = 4, dim: int = 3, seed: int = 0) -> Path:
    torch.manual_seed(seed)
    decoder = ConvDecoder(dim, (28, 28))
    latents, labels = clustered_latents(count, classes, dim, seed)
    return write_bundle(path, decoder=decoder, latents=latents, labels=labels, dataset="synthetic",
                        class_names=[f"c{i}" for i in range(classes)], summary={"test": True})


def post_motion(pos, rel=(0, 0), buttons=(0, 0, 0)) -> None:
    pygame.event.post(pygame.event.Event(pygame.MOUSEMOTION, pos=tuple(int(v) for v in pos), rel=rel,
                                         buttons=buttons, touch=False))


def post_button(kind, pos, button=1) -> None:
    pygame.event.post(pygame.event.Event(kind, pos=tuple(int(v) for v in pos), button=button, touch=False))


def frames(app, count: int = 1) -> None:
    for _ in range(count):
        app.step_frame(FRAME)


def frames_until(app, condition, max_frames: int = 400) -> bool:
    """Step frames (giving the worker thread time between them) until `condition()`; bounded."""
    for _ in range(max_frames):
        app.step_frame(FRAME)
        if condition():
            return True
        time.sleep(0.003)
    return False


def front_point(scene, margin: int = 24) -> tuple[int, tuple[int, int]]:
    """The visible point nearest the eye, well inside the window, and its pixel: nothing can cover it."""
    projection = scene.camera.project(scene.positions, 1.0, scene.viewport)
    width, height = scene.viewport
    px = projection.pixels
    inside = projection.visible & (px[:, 0] > margin) & (px[:, 0] < width - margin) \
        & (px[:, 1] > margin) & (px[:, 1] < height - margin)
    candidates = np.flatnonzero(inside)
    index = int(candidates[np.argmin(projection.depth[candidates])])
    return index, (int(px[index, 0]), int(px[index, 1]))


def isolated_point(scene, clearance: float = 16.0, margin: int = 24) -> tuple[int, tuple[int, int]]:
    """A visible point with no other point's centre within `clearance` pixels, and its pixel."""
    projection = scene.camera.project(scene.positions, 1.0, scene.viewport)
    px, (width, height) = projection.pixels, scene.viewport
    for index in np.flatnonzero(projection.visible):
        x, y = px[index]
        if not (margin < x < width - margin and margin < y < height - margin):
            continue
        distances = np.hypot(px[:, 0] - x, px[:, 1] - y)
        distances[index] = np.inf
        if distances.min() > clearance:
            return int(index), (int(x), int(y))
    raise AssertionError("no isolated point")


def empty_pixel(scene, distance: float = 30.0) -> tuple[int, int]:
    """A pixel at least `distance` from every projected point."""
    px = scene.camera.project(scene.positions, 1.0, scene.viewport).pixels
    width, height = scene.viewport
    for y in range(5, height - 5, 7):
        for x in range(5, width - 5, 7):
            if np.min(np.hypot(px[:, 0] - x, px[:, 1] - y)) > distance:
                return x, y
    raise AssertionError("no empty pixel")
