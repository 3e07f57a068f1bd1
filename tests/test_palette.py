"""Class colours people with colour-vision deficiency can tell apart, and colours a user picks."""
from __future__ import annotations

import numpy as np

from latentwalk.scenes.explorer.view.palette import class_colors, cvd_min_distance, hex_rgb, simulate_cvd, to_lab

TABLEAU_10 = ("#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f",
              "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac")
BACKGROUND = (0.08, 0.08, 0.10)


def test_ten_classes_stay_apart_under_every_simulated_colour_vision_deficiency():
    distance, vision, pair = cvd_min_distance(class_colors(10))
    assert distance > 12, (vision, pair)
    # the palette it replaces: two classes look the same to deuteranopes
    old, old_vision, _ = cvd_min_distance(np.array([hex_rgb(c) for c in TABLEAU_10]) * 0.88 + 0.12)
    assert old < 3 and old_vision in ("protanopia", "deuteranopia")


def test_every_class_colour_stands_out_from_the_dark_background():
    lab = to_lab(class_colors(10))
    background = to_lab(np.array([BACKGROUND]))
    assert np.linalg.norm(lab - background, axis=1).min() > 45


def test_the_simulation_matches_known_confusions():
    """Machado's deuteranopia maps pure red and a dull green close together; normal vision does not."""
    red, green = np.array([[0.8, 0.2, 0.1]]), np.array([[0.45, 0.45, 0.05]])
    normal = np.linalg.norm(to_lab(red) - to_lab(green))
    seen = np.linalg.norm(to_lab(simulate_cvd(red, "deuteranopia")) - to_lab(simulate_cvd(green, "deuteranopia")))
    assert seen < normal / 3


def test_a_user_colour_replaces_one_class_only():
    base = class_colors(10)
    changed = class_colors(10, {6: (1.0, 0.0, 0.0), 42: (0.0, 1.0, 0.0)})
    np.testing.assert_array_equal(changed[6], [1.0, 0.0, 0.0])
    np.testing.assert_array_equal(np.delete(changed, 6, axis=0), np.delete(base, 6, axis=0))
