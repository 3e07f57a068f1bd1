"""A colour model everywhere the explorer shows a picture. The model is a TorchScript decoder whose every
pixel is pure red, green or blue in known places (tests/imported_models.py: PrimaryDecoder), so a picture
that went through a grey path anywhere (one channel copied to three) fails on screen: Output, the
Neighbours thumbnails, the Walk panel's filmstrip, `latentwalk record`'s frames read back with PyAV."""
from __future__ import annotations

import subprocess
import sys

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
    walk_panel, neighbours = scene.walk_tools.walk_panel, scene.neighbours
    scene.panels[:] = [scene.output_panel, neighbours.panel, walk_panel]
    scene.output_panel.place, neighbours.panel.place, walk_panel.place = (5, 5), (5, 260), (440, 5)
    latents = scene.bundle.latents

    scene.submit(c.Select(index=7, source="keyboard"))
    assert frames_until(app, lambda: scene.output_images.decoded_slot.image is not None and scene.output_images.caption.startswith("#7 ")
                        and neighbours.index is not None and len(neighbours.indices) and neighbours.waiting == 0)
    frames(app, 3)
    screen = app.capture(include_ui=True)
    (x0, y0), (x1, _) = scene.output_panel.item_rects["decoded"]
    assert_pure_colour(sample_picture(screen, (x0, y0), (x1 - x0) / PRIMARY_SHAPE[1], PRIMARY_SHAPE), latents[7])
    assert scene.output_images.decoded_slot.texture.components == 3

    from imgui_bundle import imgui

    padding = imgui.get_style().frame_padding
    for rank in (0, 4):
        (x0, y0), (x1, _) = neighbours.panel.item_rects[f"neighbour {rank}"]
        left, top = x0 + padding.x, y0 + padding.y
        scale = (x1 - x0 - 2 * padding.x) / PRIMARY_SHAPE[1]
        assert_pure_colour(sample_picture(screen, (left, top), scale, PRIMARY_SHAPE),
                           latents[int(neighbours.indices[rank])])

    for index in (3, 11, 20):
        scene.state.walk.path.add_index(index)
    scene.state.walk.path.steps = 6
    assert frames_until(app, lambda: walk_panel.filmstrip.complete)
    frames(app, 3)
    screen = app.capture(include_ui=True)
    current = scene.state.walk.path.traversal.step_index  # outlined in the marker's colour: the others are checked
    for step, latent in enumerate(scene.state.walk.path.step_latents()):
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
    scene.panels[:] = [scene.output_panel]
    scene.output_panel.place = (5, 5)
    scene.submit(c.Select(index=2, source="keyboard"))
    assert frames_until(app, lambda: scene.output_images.decoded_slot.image is not None)
    screen = grab(app)
    (x0, y0), (x1, _) = scene.output_panel.item_rects["decoded"]
    shown = sample_picture(screen, (x0, y0), (x1 - x0) / 28, (28, 28))
    expected = as_shown(scene.output_images.decoded_slot.image)
    assert scene.output_images.decoded_slot.texture.components == 1  # a third of an RGB texture
    assert np.abs(shown - expected[..., None]).max() <= 2  # red, green and blue alike: grey, not red


# -- Draw -------------------------------------------------------------------------------------------
def with_colour_encoder(bundle):
    """The colour bundle as a colour model with an encoder (PrimaryEncoder) would be loaded."""
    from dataclasses import dataclass, fields

    from latentwalk.vae.bundle import Bundle, load_bundle
    from tests.imported_models import PrimaryEncoder

    @dataclass
    class ColourModel(Bundle):
        @property
        def has_encoder(self) -> bool:
            return True

        def load_encoder(self, device="cpu"):
            return PrimaryEncoder().eval()

    loaded = load_bundle(bundle)
    return ColourModel(**{field.name: getattr(loaded, field.name) for field in fields(Bundle)})


def open_draw(gl_app, model):
    app, scene = open_explorer(gl_app, model, (640, 480), panels=True)
    panel = scene.drawing.panel
    scene.panels[:] = [panel]
    panel.place = (5, 5)
    frames(app, 3)
    return app, scene, panel


def test_an_imported_decoder_without_an_encoder_says_so_in_one_line_instead_of_a_canvas(gl_app, colour_bundle,
                                                                                      tmp_path):
    from PIL import Image

    from latentwalk.engine.input import DROP_FILE, Action

    app, scene, panel = open_draw(gl_app, colour_bundle)
    assert panel.note == ("bundle is an imported TorchScript decoder without an encoder: drawings and pictures "
                          "cannot be placed in its space")
    assert "canvas" not in panel.item_rects and panel.canvas_slot.texture is None
    Image.fromarray(np.full((20, 20, 3), 200, np.uint8)).save(tmp_path / "red.png")
    scene.handle_action(Action(DROP_FILE, text=str(tmp_path / "red.png")))
    assert frames_until(app, lambda: scene.drawing.error is not None)
    assert scene.drawing.error == panel.note and scene.drawing.latent is None


def test_a_colour_model_draws_with_a_picked_colour_and_encodes_dropped_pictures_in_colour(gl_app, colour_bundle,
                                                                                        tmp_path):
    from PIL import Image

    from latentwalk.engine.input import DROP_FILE, Action
    from tests.explorer_helpers import type_brush_colour
    from tests.test_draw_panel import stroke

    app, scene, panel = open_draw(gl_app, with_colour_encoder(colour_bundle))
    tools = scene.drawing
    assert tools.canvas.pixels.shape == (*PRIMARY_SHAPE, 3) and "colour" in panel.item_rects
    # the brush colour's R, G and B fields: red and blue typed down to 0, the brush is green
    type_brush_colour(app, panel, (0, 255, 0))
    assert tools.canvas.colour == (0.0, 1.0, 0.0)

    stroke(app, panel, [(0.2, 0.5), (0.8, 0.5)])
    assert frames_until(app, lambda: tools.latent is not None or tools.error), tools.error
    assert tools.latent is not None, tools.error
    painted = tools.model_input
    assert painted.shape == (*PRIMARY_SHAPE, 3) and painted[..., 1].max() > 0.9
    assert painted[..., 0].max() == 0.0 and painted[..., 2].max() == 0.0  # green, and only green
    np.testing.assert_allclose(tools.latent, [0.0, painted[..., 1].mean(), 0.0, 0.0], atol=1e-6)
    frames(app, 2)
    x, y, size, _ = panel.canvas_rect
    shown = sample_picture(app.capture(include_ui=True), (x, y), size / PRIMARY_SHAPE[1], PRIMARY_SHAPE)
    np.testing.assert_array_less(np.abs(shown - as_shown(tools.canvas.pixels)), 3)  # the canvas, in colour

    # a dropped picture, wider than tall: scaled to 12 rows, centre-cropped, red left of blue
    picture = np.zeros((24, 48, 3), np.uint8)
    picture[:, :24, 0] = 255
    picture[:, 24:, 2] = 255
    picture[:, :6] = (0, 255, 0)  # in the crop's margin: must not reach the model
    Image.fromarray(picture).save(tmp_path / "wide.png")
    before = tools.results
    scene.handle_action(Action(DROP_FILE, text=str(tmp_path / "wide.png")))
    assert frames_until(app, lambda: tools.source == "wide.png" and tools.results > before)
    seen = tools.model_input
    assert seen.shape == (*PRIMARY_SHAPE, 3)
    np.testing.assert_allclose(seen[:, :6], np.broadcast_to([1.0, 0.0, 0.0], (12, 6, 3)), atol=1e-6)
    np.testing.assert_allclose(seen[:, 6:], np.broadcast_to([0.0, 0.0, 1.0], (12, 6, 3)), atol=1e-6)
    np.testing.assert_allclose(tools.latent, [0.5, 0.0, 0.5, 0.0], atol=1e-6)
    np.testing.assert_array_equal(tools.canvas.pixels, seen)  # the picture became the canvas


# -- record (last: it opens and closes its own window) ------------------------------------------
@pytest.mark.parametrize("layout", ["image", "view"])
def test_record_writes_colour_frames(layout, colour_bundle, tmp_path):
    from latentwalk.engine.video import read_video
    from latentwalk.vae.bundle import load_bundle

    out = tmp_path / f"{layout}.mp4"
    # in a child process, as a person runs it: the command opens (and at its end closes) a window of
    # its own, which in this process would close the tests' shared one
    done = subprocess.run([sys.executable, "-m", "latentwalk", "record", "--model", str(colour_bundle), "--through",
                           "0,5", "--out", str(out), "--frames", "3", "--size", "320x240", "--layout", layout,
                           "--crf", "0"], capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr[-2000:]
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


def test_encode_prepares_pictures_the_colour_models_way_and_grey_ones_as_before(tmp_path):
    from PIL import Image

    from latentwalk.vae.encode import EncodeError, encode_inputs, load_pictures, read_picture, to_model_input
    from tests.imported_models import PrimaryEncoder

    tall = np.zeros((40, 20, 4), np.uint8)  # taller than wide: the middle 20 rows are kept
    tall[:10, :, :3] = (0, 255, 0)
    tall[10:30, :, :3] = (255, 0, 0)
    tall[30:, :, :3] = (0, 255, 0)
    tall[..., 3] = 255
    tall[10:20, :, 3] = 0  # transparent: black, as colour pictures are flattened
    Image.fromarray(tall, "RGBA").save(tmp_path / "tall.png")
    inputs = load_pictures([tmp_path / "tall.png"], PRIMARY_SHAPE, channels=3)
    assert inputs.shape == (1, *PRIMARY_SHAPE, 3)
    np.testing.assert_allclose(inputs[0, :6], 0.0, atol=1e-6)
    np.testing.assert_allclose(inputs[0, 6:], np.broadcast_to([1.0, 0.0, 0.0], (6, 12, 3)), atol=1e-6)
    np.testing.assert_allclose(encode_inputs(PrimaryEncoder(), inputs), [[0.5, 0.0, 0.0, 0.0]], atol=1e-6)
    with pytest.raises(EncodeError, match="grey inputs do not fit an encoder of 3 channel"):
        encode_inputs(PrimaryEncoder(), inputs[..., 0])
    grey = load_pictures([tmp_path / "tall.png"], (28, 28))  # a grey model: the MNIST way, unchanged
    np.testing.assert_array_equal(grey[0], to_model_input(read_picture(tmp_path / "tall.png"), (28, 28)))
