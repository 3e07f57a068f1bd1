"""The explorer's pure parts: palette, projection to 3-d, grid spacing."""
from __future__ import annotations

import numpy as np
import pytest

from latentwalk.scenes.explorer.view.grid import axis_lines, grid_lines, nice_step
from latentwalk.scenes.explorer.view.palette import class_colors, to_u8
from latentwalk.scenes.explorer.model.projection import fit_projection


@pytest.mark.parametrize("count", [1, 4, 10, 25, 60])
def test_class_colours_are_distinct_and_stable(count):
    colours = class_colors(count)
    assert colours.shape == (count, 3) and colours.min() >= 0 and colours.max() <= 1
    pairwise = np.abs(colours[:, None] - colours[None]).sum(axis=2) + np.eye(count) * 9
    assert pairwise.min() > 0.05
    assert np.array_equal(to_u8(colours), to_u8(class_colors(count)))


def test_three_or_fewer_dimensions_are_drawn_as_they_are():
    latents = np.random.default_rng(0).normal(size=(50, 2)).astype(np.float32)
    projection = fit_projection(latents)
    positions = projection.to_3d(latents)
    assert projection.method == "identity"
    np.testing.assert_array_equal(positions[:, :2], latents)
    assert np.all(positions[:, 2] == 0)


def test_pca_keeps_the_three_widest_directions():
    rng = np.random.default_rng(1)
    spread = np.array([5.0, 0.1, 3.0, 0.1, 1.0, 0.1], np.float32)
    latents = (rng.normal(size=(4000, 6)) * spread + 7.0).astype(np.float32)
    projection = fit_projection(latents)
    assert projection.method == "pca" and projection.latent_dim == 6
    top = np.abs(projection.axes).argmax(axis=1)
    assert list(top) == [0, 2, 4]
    positions = projection.to_3d(latents)
    np.testing.assert_allclose(positions.std(axis=0), [5.0, 3.0, 1.0], rtol=0.06)
    np.testing.assert_allclose(positions.mean(axis=0), 0.0, atol=0.2)
    assert projection.explained[0] > projection.explained[1] > projection.explained[2]


@pytest.mark.parametrize("span, step", [(10.0, 1.0), (3.0, 0.5), (0.07, 0.01), (45.0, 5.0), (180.0, 20.0)])
def test_grid_step_is_a_round_number(span, step):
    assert nice_step(span) == pytest.approx(step)


def test_grid_sits_under_the_cloud_and_axes_reach_past_it():
    lo, hi = np.array([-2.0, -1.0, -3.0]), np.array([2.0, 4.0, 1.0])
    grid = grid_lines(lo, hi)
    assert np.all(grid[:, 1] < lo[1]) and grid[:, 0].min() <= lo[0] and grid[:, 2].max() >= hi[2]
    axes = axis_lines(lo, hi)
    assert np.abs(axes[:, :3]).max() > 4.0 and len(axes) == 12
