"""Categorical class colours, chosen to stay apart for people with colour-vision deficiency.

Up to ten classes: the Okabe-Ito palette (designed for colour-blind readers; its black is useless on
a dark background, so it is left out) completed by white, a brown and a light grey, picked by the
smallest CIELAB distance between any two colours under simulated protanopia, deuteranopia and
tritanopia (Machado et al. 2009, full severity): 14 for this set against 1.3 for Tableau 10, where
deuteranopes saw classes 2 and 4 (and protanopes 7 and 9) as the same colour. More classes get
golden-angle hues. `cvd_min_distance` is that measure, for the tests and for user-chosen colours.
A class's colour can be replaced (`class_colors(count, overrides)`), e.g. from the Classes panel.
"""
from __future__ import annotations

import colorsys

import numpy as np

OKABE_ITO_PLUS = (
    "#E69F00",  # orange
    "#56B4E9",  # sky blue
    "#009E73",  # bluish green
    "#F0E442",  # yellow
    "#0072B2",  # blue
    "#D55E00",  # vermillion
    "#CC79A7",  # reddish purple
    "#FFFFFF",  # white
    "#8C6D31",  # brown
    "#C0C0C0",  # light grey
)
# The blues would sink into a dark background; lift every colour a little toward white.
_LIFT = 0.12
_GOLDEN_ANGLE = 0.381966

# Machado, Oliveira and Fernandes (2009), severity 1.0, on linear RGB.
CVD_MATRICES = {
    "protanopia": ((0.152286, 1.052583, -0.204868), (0.114503, 0.786281, 0.099216),
                   (-0.003882, -0.048116, 1.051998)),
    "deuteranopia": ((0.367322, 0.860646, -0.227968), (0.280085, 0.672501, 0.047413),
                     (-0.011820, 0.042940, 0.968881)),
    "tritanopia": ((1.255528, -0.076749, -0.178779), (-0.078411, 0.930809, 0.147602),
                   (0.004733, 0.691367, 0.303900)),
}


def hex_rgb(code: str) -> tuple[float, float, float]:
    code = code.lstrip("#")
    return tuple(int(code[i:i + 2], 16) / 255.0 for i in (0, 2, 4))  # type: ignore[return-value]


def class_colors(count: int, overrides: dict[int, tuple[float, float, float]] | None = None) -> np.ndarray:
    """(count, 3) float32 RGB in [0, 1], one distinct colour per class, the same for every run;
    `overrides` {class: rgb} replaces some (a user's choice, used as given)."""
    colours = []
    for index in range(count):
        if count <= len(OKABE_ITO_PLUS):
            rgb = hex_rgb(OKABE_ITO_PLUS[index])
        else:
            hue = (index * _GOLDEN_ANGLE) % 1.0
            saturation = 0.65 if index % 2 == 0 else 0.45
            value = 0.95 if (index // 2) % 2 == 0 else 0.78
            rgb = colorsys.hsv_to_rgb(hue, saturation, value)
        colours.append([c + (1.0 - c) * _LIFT for c in rgb])
    result = np.asarray(colours, dtype=np.float32).reshape(count, 3)
    for index, rgb in (overrides or {}).items():
        if 0 <= index < count:
            result[index] = np.clip(np.asarray(rgb, np.float32), 0.0, 1.0)
    return result


def to_u8(colors: np.ndarray) -> np.ndarray:
    return np.clip(np.rint(np.asarray(colors) * 255.0), 0, 255).astype(np.uint8)


# -- how far apart colours look, with and without colour-vision deficiency ------------------------

def _linear(rgb: np.ndarray) -> np.ndarray:
    return np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)


def _encoded(linear: np.ndarray) -> np.ndarray:
    linear = np.clip(linear, 0.0, 1.0)
    return np.where(linear <= 0.0031308, 12.92 * linear, 1.055 * linear ** (1 / 2.4) - 0.055)


def to_lab(rgb: np.ndarray) -> np.ndarray:
    """sRGB in [0, 1] (N, 3) -> CIELAB (D65)."""
    xyz = _linear(np.asarray(rgb, np.float64)) @ np.array(
        [[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]]).T
    xyz = xyz / np.array([0.95047, 1.0, 1.08883])
    f = np.where(xyz > 0.008856, np.cbrt(xyz), 7.787 * xyz + 16 / 116)
    return np.stack([116 * f[:, 1] - 16, 500 * (f[:, 0] - f[:, 1]), 200 * (f[:, 1] - f[:, 2])], axis=1)


def simulate_cvd(rgb: np.ndarray, kind: str) -> np.ndarray:
    """What a person with `kind` (a CVD_MATRICES key) sees of sRGB colours (N, 3)."""
    return _encoded(_linear(np.asarray(rgb, np.float64)) @ np.asarray(CVD_MATRICES[kind]).T)


def cvd_min_distance(rgb: np.ndarray) -> tuple[float, str, tuple[int, int]]:
    """The smallest CIELAB distance between two of the colours, under normal vision and each simulated
    deficiency: (distance, vision, (class a, class b))."""
    worst = (np.inf, "", (0, 0))
    for kind in ("normal", *CVD_MATRICES):
        seen = np.asarray(rgb, np.float64) if kind == "normal" else simulate_cvd(rgb, kind)
        lab = to_lab(seen)
        distances = np.linalg.norm(lab[:, None] - lab[None], axis=2) + np.eye(len(lab)) * 1e9
        a, b = np.unravel_index(int(np.argmin(distances)), distances.shape)
        if distances[a, b] < worst[0]:
            worst = (float(distances[a, b]), kind, (int(a), int(b)))
    return worst
