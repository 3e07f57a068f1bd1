"""The selected point's ring (scenes/explorer/view/selection_marker.py, shaders/marker.*), real GL under Xvfb:
after a posted click in the thick of the cloud, a white ring with dark edges surrounds the selected
point's pixel at its radius in pixels, over the neighbouring points; Esc takes it away."""
from __future__ import annotations

import numpy as np
import pygame
import pytest

from latentwalk.scenes.explorer.view.selection_marker import RING_RADIUS_PX, RING_RIM_PX
from tests.bundles import make_bundle
from tests.explorer_helpers import click, frames, key, open_explorer

SIZE = (480, 360)
ANGLES = np.linspace(0, 2 * np.pi, 48, endpoint=False)


@pytest.fixture(scope="module")
def bundle_path(tmp_path_factory):
    return make_bundle(tmp_path_factory.mktemp("marker") / "cloud", count=2_000, classes=6)


def crowded_point(scene, margin=40):
    """A visible point well inside the window with the most other points within the ring's radius."""
    projection = scene.camera.project(scene.installed.positions, 1.0, scene.viewport)
    px, (width, height) = projection.pixels, scene.viewport
    inside = np.flatnonzero(projection.visible & (px[:, 0] > margin) & (px[:, 0] < width - margin)
                            & (px[:, 1] > margin) & (px[:, 1] < height - margin))
    crowd = [(np.hypot(*(px[inside] - px[i]).T) < RING_RADIUS_PX + RING_RIM_PX).sum() for i in inside]
    return px[inside[int(np.argmax(crowd))]], max(crowd)


def on_circle(image, centre, radius):
    xs = np.rint(centre[0] + radius * np.cos(ANGLES)).astype(int)
    ys = np.rint(centre[1] + radius * np.sin(ANGLES)).astype(int)
    return image[ys, xs].astype(int)


def test_the_selected_point_wears_a_ring_over_the_cloud_until_deselected(gl_app, bundle_path):
    app, scene = open_explorer(gl_app, bundle_path, SIZE)
    aim, crowd = crowded_point(scene)
    assert crowd >= 4, "the ring is tested over other points"
    click(app, aim)
    index = scene.state.selection.index
    assert index is not None
    frames(app, 2)
    centre = scene.camera.project(scene.installed.positions[index][None], 1.0, scene.viewport).pixels[0]
    image = app.capture(include_ui=False)
    white = on_circle(image, centre, RING_RADIUS_PX - RING_RIM_PX / 2)
    inner_edge = on_circle(image, centre, RING_RADIUS_PX - 1.5 * RING_RIM_PX)
    outer_edge = on_circle(image, centre, RING_RADIUS_PX + RING_RIM_PX / 2)
    assert (white.min(axis=1) > 230).mean() > 0.9  # white all round, whatever point lies under it
    assert (inner_edge.max(axis=1) < 60).mean() > 0.9 and (outer_edge.max(axis=1) < 60).mean() > 0.9

    key(pygame.KEYDOWN, pygame.K_ESCAPE)
    key(pygame.KEYUP, pygame.K_ESCAPE)
    frames(app, 2)
    assert scene.state.selection.index is None
    after = on_circle(app.capture(include_ui=False), centre, RING_RADIUS_PX - RING_RIM_PX / 2)
    assert (after.min(axis=1) > 230).mean() < 0.5
