"""`shapes[:N]`: a colour data set made in code from a seed, with its generating factors known.

Like dSprites, in colour: one shape (square, ellipse, triangle) of a hue, scale, position and rotation
on a plain dark background, drawn at 4x and scaled down (anti-aliased). The same seed and N give the
same pictures on any machine, offline. Each picture's factor values are kept (FACTOR_NAMES order) so
a teacher can point at what each direction of the latent space learnt.
"""
from __future__ import annotations

import colorsys
import math

import numpy as np

SHAPE_NAMES = ("square", "ellipse", "triangle")
FACTOR_NAMES = ("shape", "hue", "scale", "x", "y", "rotation")
DEFAULT_COUNT = 10_000
MAX_COUNT = 1_000_000
BACKGROUND = (38, 38, 38)
SUPERSAMPLE = 4
TEST_FRACTION = 10  # one test picture for every this many training pictures


def sample_factors(count: int, seed: int) -> np.ndarray:
    """float32 (count, 6): shape index, hue [0, 1), scale [0.5, 1], x and y [0.3, 0.7] of the side,
    rotation [0, 2 pi)."""
    rng = np.random.default_rng(seed)
    return np.stack([rng.integers(0, len(SHAPE_NAMES), count).astype(np.float64), rng.random(count),
                     rng.uniform(0.5, 1.0, count), rng.uniform(0.3, 0.7, count), rng.uniform(0.3, 0.7, count),
                     rng.uniform(0.0, 2 * math.pi, count)], axis=1).astype(np.float32)


def _outline(shape: int, scale: float, x: float, y: float, rotation: float, size: int) -> list[tuple[float, float]]:
    radius = 0.32 * scale * size
    if shape == 0:
        corners = [(-1, -1), (1, -1), (1, 1), (-1, 1)]
        points = [(cx * radius * 0.8, cy * radius * 0.8) for cx, cy in corners]
    elif shape == 1:
        points = [(math.cos(t) * radius, math.sin(t) * radius * 0.55)
                  for t in np.linspace(0, 2 * math.pi, 48, endpoint=False)]
    else:
        points = [(math.cos(t) * radius, math.sin(t) * radius)
                  for t in (-math.pi / 2, math.pi / 6, 5 * math.pi / 6)]
    cos, sin = math.cos(rotation), math.sin(rotation)
    return [(x * size + px * cos - py * sin, y * size + px * sin + py * cos) for px, py in points]


def draw(factors: np.ndarray, side: int = 32) -> np.ndarray:
    """uint8 (N, side, side, 3) pictures of the factor rows."""
    from PIL import Image, ImageDraw

    big = side * SUPERSAMPLE
    out = np.empty((len(factors), side, side, 3), np.uint8)
    for index, (shape, hue, scale, x, y, rotation) in enumerate(factors.tolist()):
        canvas = Image.new("RGB", (big, big), BACKGROUND)
        colour = tuple(round(255 * c) for c in colorsys.hsv_to_rgb(hue, 0.85, 0.95))
        ImageDraw.Draw(canvas).polygon(_outline(int(shape), scale, x, y, rotation, big), fill=colour)
        out[index] = np.asarray(canvas.resize((side, side), Image.Resampling.BOX))
    return out


def parse_count(spec: str) -> int:
    """N of `shapes[:N]` (DEFAULT_COUNT for `shapes`); ValueError naming the problem."""
    if spec == "shapes":
        return DEFAULT_COUNT
    text = spec.removeprefix("shapes:")
    if not text.isdigit() or not 1 <= int(text) <= MAX_COUNT:
        raise ValueError(f"{spec!r}: N of shapes:N must be a whole number from 1 to {MAX_COUNT}")
    return int(text)


def make_shapes(count: int, side: int = 32, seed: int = 0) -> dict[str, np.ndarray]:
    """The training set (`count` pictures) and a test set (a tenth as many, at least 1), each with its
    labels (the shape) and factors, from `seed`."""
    test_count = max(1, count // TEST_FRACTION)
    train_factors, test_factors = sample_factors(count, seed), sample_factors(test_count, seed + 1_000_003)
    return {"train_images": draw(train_factors, side), "train_labels": train_factors[:, 0].astype(np.uint8),
            "train_factors": train_factors, "test_images": draw(test_factors, side),
            "test_labels": test_factors[:, 0].astype(np.uint8), "test_factors": test_factors}
