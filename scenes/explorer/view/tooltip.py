"""The hover tooltip: index, class, drawn XYZ and, when the latent space has more than three
dimensions, the latent vector: its first values and how many more, since a 32-d vector in full would
cover the points the pointer is among."""
from __future__ import annotations

import numpy as np
from imgui_bundle import imgui

from latentwalk.vae.bundle import Bundle

_VALUES_PER_LINE = 6
_LINES = 2


def tooltip_lines(bundle: Bundle, index: int, position: np.ndarray) -> list[str]:
    label = int(bundle.labels[index])
    lines = [f"#{index}  class {bundle.class_names[label]}",
             "xyz  " + ", ".join(f"{v:+.3f}" for v in position)]
    if bundle.latent_dim > 3:
        latent = bundle.latents[index]
        lines.append(f"z ({bundle.latent_dim}-d)")
        shown = _VALUES_PER_LINE * _LINES
        for start in range(0, min(len(latent), shown), _VALUES_PER_LINE):
            lines.append("  " + ", ".join(f"{v:+.3f}" for v in latent[start:min(start + _VALUES_PER_LINE, shown)]))
        if len(latent) > shown:
            lines.append(f"  ... and {len(latent) - shown} more")
    return lines


def hover_tooltip(bundle: Bundle, index: int, position: np.ndarray) -> None:
    if imgui.begin_tooltip():
        for line in tooltip_lines(bundle, index, position):
            imgui.text(line)
        imgui.end_tooltip()
