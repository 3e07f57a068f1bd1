"""Categorical class colours: Tableau 10 (distinct, colour-blind aware) for up to ten classes, then
golden-angle hues, so any number of classes gets colours that stay apart on a dark background."""
from __future__ import annotations

import colorsys

import numpy as np

TABLEAU_10 = (
    "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f",
    "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac",
)
# Tableau's blue and brown sink into a dark background; lift every colour a little toward white.
_LIFT = 0.12
_GOLDEN_ANGLE = 0.381966


def _hex_rgb(code: str) -> tuple[float, float, float]:
    code = code.lstrip("#")
    return tuple(int(code[i:i + 2], 16) / 255.0 for i in (0, 2, 4))  # type: ignore[return-value]


def class_colors(count: int) -> np.ndarray:
    """(count, 3) float32 RGB in [0, 1], one distinct colour per class, the same for every run."""
    colours = []
    for index in range(count):
        if count <= len(TABLEAU_10):
            rgb = _hex_rgb(TABLEAU_10[index])
        else:
            hue = (index * _GOLDEN_ANGLE) % 1.0
            saturation = 0.65 if index % 2 == 0 else 0.45
            value = 0.95 if (index // 2) % 2 == 0 else 0.78
            rgb = colorsys.hsv_to_rgb(hue, saturation, value)
        colours.append([c + (1.0 - c) * _LIFT for c in rgb])
    return np.asarray(colours, dtype=np.float32).reshape(count, 3)


def to_u8(colors: np.ndarray) -> np.ndarray:
    return np.clip(np.rint(np.asarray(colors) * 255.0), 0, 255).astype(np.uint8)
