"""The hover-to-image measure every bench shares (latentwalk/subcommands/bench.py), on the real explorer:
it counts what the scene counts, from the frame that asked for a decode to the frame that shows it."""
from __future__ import annotations

import pytest

from latentwalk.subcommands.bench import hover_pixels, hover_summary, hover_to_image
from tests.bundles import make_bundle
from tests.explorer_helpers import open_explorer


@pytest.fixture
def explorer(gl_app, tmp_path):
    return open_explorer(gl_app, make_bundle(tmp_path / "cloud", count=400, classes=4), (320, 240))


def test_hover_to_image_waits_for_each_hovered_point_until_its_image_is_shown(explorer):
    app, scene = explorer
    pixels = hover_pixels(scene, 12)
    assert len(pixels) == 12 and len(set(pixels)) == 12
    hover = hover_to_image(app, scene, pixels, count=4)
    assert 1 <= len(hover["frames"]) <= 4 and len(hover["ms"]) == len(hover["frames"])
    assert all(frames >= 1 for frames in hover["frames"])  # 1: the frame that hovered the point shows its image
    index = scene.state.pointer.hovered
    assert index is not None and scene.output_images.caption.startswith(f"#{index} ")  # the last one is on screen
    summary = hover_summary(hover)
    assert summary["hover_samples"] == len(hover["frames"])
    assert summary["hover_to_image_frames_worst"] == max(hover["frames"])
