"""A colour model everywhere the explorer shows a picture. The model is a TorchScript decoder whose every
pixel is pure red, green or blue in known places (tests/imported_models.py: PrimaryDecoder), so a picture
that went through a grey path anywhere (one channel copied to three) fails on screen: Output, the
Neighbours thumbnails, the Walk panel's filmstrip, `latentwalk record`'s frames read back with PyAV."""
from __future__ import annotations

import numpy as np
import pytest

from latentwalk import cli
from latentwalk.scenes.explorer.core import commands as c
from tests.explorer_helpers import frames, frames_until, open_explorer, sample_picture
from tests.imported_models import LATENT_DIM, PRIMARY_SHAPE, PrimaryDecoder, export_torchscript, primary_images, seeded

POINTS = 60
SIZE = (900, 600)


def main(*args) -> int:
    try:
        return cli.main([str(a) for a in args])
    except SystemExit as exited:
        return exited.code


@pytest.fixture(scope="module")
def colour_bundle(tmp_path_factory):
    root = tmp_path_factory.mktemp("colour")
    rng = np.random.default_rng(4)
    np.save(root / "z.npy", rng.standard_normal((POINTS, LATENT_DIM)).astype(np.float32))
    np.save(root / "labels.npy", rng.integers(0, 3, POINTS))
    decoder = export_torchscript(seeded(PrimaryDecoder), root / "primary.pt")
    assert main("import-model", decoder, "--out", root / "bundle", "--latents", root / "z.npy",
                "--labels", root / "labels.npy") == 0
    return root / "bundle"


def as_shown(images: np.ndarray) -> np.ndarray:
    return np.clip(np.rint(np.asarray(images) * 255.0), 0, 255).astype(int)


def assert_pure_colour(pixels: np.ndarray, latent: np.ndarray, tolerance: int = 2) -> None:
    """`pixels` (H, W, 3) on screen are the primary picture of `latent`, channel for channel."""
    expected = as_shown(primary_images(latent[None])[0])
    assert pixels.shape == expected.shape
    difference = np.abs(pixels - expected).max()
    assert difference <= tolerance, f"off by {difference}: {pixels[0, ::4].tolist()} vs {expected[0, ::4].tolist()}"


def test_output_neighbours_and_filmstrip_show_the_colour_model_in_colour(gl_app, colour_bundle):
    app, scene = open_explorer(gl_app, colour_bundle, SIZE, panels=True)
    assert scene.bundle.channels == 3
    walk_panel, neighbours = scene.walk.walk_panel, scene.neighbours
    scene.panels[:] = [scene.output, neighbours.panel, walk_panel]
    scene.output.place, neighbours.panel.place, walk_panel.place = (5, 5), (5, 260), (440, 5)
    latents = scene.bundle.latents

    scene.submit(c.Select(index=7, source="keyboard"))
    assert frames_until(app, lambda: scene.decoded_slot.image is not None and scene.output_caption.startswith("#7 ")
                        and neighbours.index is not None and len(neighbours.indices) and neighbours.waiting == 0)
    frames(app, 3)
    screen = app.capture(include_ui=True)
    (x0, y0), (x1, _) = scene.output.item_rects["decoded"]
    assert_pure_colour(sample_picture(screen, (x0, y0), (x1 - x0) / PRIMARY_SHAPE[1], PRIMARY_SHAPE), latents[7])
    assert scene.decoded_slot.texture.components == 3

    from imgui_bundle import imgui

    padding = imgui.get_style().frame_padding
    for rank in (0, 4):
        (x0, y0), (x1, _) = neighbours.panel.item_rects[f"neighbour {rank}"]
        left, top = x0 + padding.x, y0 + padding.y
        scale = (x1 - x0 - 2 * padding.x) / PRIMARY_SHAPE[1]
        assert_pure_colour(sample_picture(screen, (left, top), scale, PRIMARY_SHAPE),
                           latents[int(neighbours.indices[rank])])

    for index in (3, 11, 20):
        scene.path.add_index(index)
    scene.path.steps = 6
    assert frames_until(app, lambda: walk_panel.filmstrip.complete)
    frames(app, 3)
    screen = app.capture(include_ui=True)
    current = scene.path.traversal.step_index  # outlined in the marker's colour: the others are checked
    for step, latent in enumerate(scene.path.step_latents()):
        if step == current:
            continue
        (x0, y0), (x1, _) = walk_panel.item_rects[f"frame{step}"]
        assert_pure_colour(sample_picture(screen, (x0, y0), (x1 - x0) / PRIMARY_SHAPE[1], PRIMARY_SHAPE),
                           latent.astype(np.float32))
    assert walk_panel.filmstrip.atlas.components == 3


def test_a_grey_model_keeps_one_channel_textures_that_show_grey(gl_app, tmp_path):
    from tests.bundles import make_bundle
    from tests.explorer_helpers import grab

    app, scene = open_explorer(gl_app, make_bundle(tmp_path / "grey", count=40), SIZE, panels=True)
    scene.panels[:] = [scene.output]
    scene.output.place = (5, 5)
    scene.submit(c.Select(index=2, source="keyboard"))
    assert frames_until(app, lambda: scene.decoded_slot.image is not None)
    screen = grab(app)
    (x0, y0), (x1, _) = scene.output.item_rects["decoded"]
    shown = sample_picture(screen, (x0, y0), (x1 - x0) / 28, (28, 28))
    expected = as_shown(scene.decoded_slot.image)
    assert scene.decoded_slot.texture.components == 1  # a third of an RGB texture
    assert np.abs(shown - expected[..., None]).max() <= 2  # red, green and blue alike: grey, not red


@pytest.mark.parametrize("layout", ["image", "view"])
def test_record_writes_colour_frames(layout, colour_bundle, tmp_path):
    from latentwalk.engine.video import read_video
    from latentwalk.vae.bundle import load_bundle

    out = tmp_path / f"{layout}.mp4"
    assert main("record", "--model", colour_bundle, "--through", "0,5", "--out", out, "--frames", 3,
                "--size", "320x240", "--layout", layout, "--crf", 0) == 0
    video, _, size = read_video(out)
    assert len(video) == 3 and size == (320, 240)
    first = np.asarray(video[0]).astype(int)
    latent = load_bundle(colour_bundle).latents[0]
    expected = as_shown(primary_images(latent[None])[0])
    # where the picture is: the frame's pixels that are strongly one primary colour
    for channel in range(3):
        pure = (first[..., channel] > 100) & (np.delete(first, channel, axis=2).max(axis=2) < 40)
        assert pure.sum() > 200, f"no pure {'RGB'[channel]} in the {layout} frame"
        level = expected[..., channel].max()
        assert abs(np.median(first[..., channel][pure]) - level) <= 8
