"""The Draw panel under Xvfb: strokes drawn with posted mouse events are encoded in the background and
become a point (selection source "draw", its own marker in the cloud) and a reconstruction in Output;
a dropped picture goes the same way."""
from __future__ import annotations

import numpy as np
import pygame
import pytest
from PIL import Image

from latentwalk.engine.input import DROP_FILE, Action
from latentwalk.vae.bundle import load_bundle
from latentwalk.vae.decode import decode_latents
from latentwalk.vae.encode import encode_inputs, to_model_input
from latentwalk.scenes.explorer.tools.drawing import MARKER_COLOR, Canvas
from tests.bundles import make_bundle
from tests.explorer_helpers import click_item, frames, frames_until, open_explorer, post_button, post_motion

SIZE = (640, 480)


@pytest.fixture
def drawing_explorer(gl_app, tmp_path):
    bundle = make_bundle(tmp_path / "with-encoder", count=200, encoder=True)
    app, scene = open_explorer(gl_app, bundle, SIZE, panels=True)
    panel = scene.drawing.panel
    scene.panels[:] = [scene.output_panel, panel, scene.neighbours.panel]
    panel.place = (5, 5)
    scene.output_panel.place = (SIZE[0] - 260, 5)
    scene.neighbours.panel.place = (SIZE[0] - 260, 250)
    frames(app, 3)
    return app, scene, load_bundle(bundle)


def stroke(app, panel, points) -> None:
    """Press at the first canvas fraction (x, y), drag through the others, release at the last."""
    x, y, size, _ = panel.canvas_rect
    pixels = [(x + fx * size, y + fy * size) for fx, fy in points]
    post_motion(pixels[0])
    frames(app)
    post_button(pygame.MOUSEBUTTONDOWN, pixels[0])
    frames(app)
    for pixel in pixels[1:]:
        post_motion(pixel, buttons=(1, 0, 0))
        frames(app)
    post_button(pygame.MOUSEBUTTONUP, pixels[-1])
    frames(app)


def test_drawn_strokes_become_a_point_and_a_reconstruction(drawing_explorer):
    app, scene, bundle = drawing_explorer
    tools, panel = scene.drawing, scene.drawing.panel
    orientation = np.array(scene.camera.goal.orientation, copy=True)
    stroke(app, panel, [(0.25, 0.15), (0.25, 0.3), (0.27, 0.45)])  # short, in the top-left quarter
    np.testing.assert_array_equal(scene.camera.goal.orientation, orientation)  # the drag drew, it did not turn
    ink = tools.canvas.pixels
    assert ink[int(0.3 * 28), 7] > 0.9 and ink[20, 20] == 0.0

    assert frames_until(app, lambda: tools.latent is not None and scene.output_images.shown_owner == "selection"
                        and scene.output_images.decoded_slot.image is not None)
    centred = to_model_input(ink, (28, 28), keep_fitting=False)
    np.testing.assert_array_equal(tools.model_input, centred)  # what the encoder saw: the MNIST-made stroke
    rows, cols = np.nonzero(centred > 0.1)  # scaled to 20 pixels tall, centred by mass
    assert rows.max() - rows.min() + 1 in (19, 20, 21)
    mass = centred / centred.sum()
    assert abs((mass.sum(axis=1) * np.arange(28)).sum() - 13.5) < 0.6
    assert abs((mass.sum(axis=0) * np.arange(28)).sum() - 13.5) < 0.6
    expected = encode_inputs(bundle.load_encoder(), centred)[0]
    np.testing.assert_allclose(tools.latent, expected, atol=1e-5)
    assert scene.state.selection.source == "draw"
    np.testing.assert_allclose(scene.state.selection.latent, expected, atol=1e-5)
    reconstruction = decode_latents(bundle.load_decoder(), expected[None])[0]
    np.testing.assert_allclose(scene.output_images.decoded_slot.image, reconstruction, atol=1e-5)

    nearest = np.argsort(np.linalg.norm(bundle.latents - expected, axis=1), kind="stable")[:5]
    assert frames_until(app, lambda: scene.neighbours.subject is not None and scene.neighbours.subject[0] == "latent"
                        and len(scene.neighbours.indices) >= 5)  # the drawn point's nearest training points
    np.testing.assert_array_equal(scene.neighbours.indices[:5], nearest)

    frames(app, 2)
    image = app.capture(include_ui=False)
    pixel = scene.camera.project(tools.marker_position()[None], 1.0, scene.viewport).pixels[0]
    x, y = int(round(pixel[0])), int(round(pixel[1]))
    centre = image[y - 2:y + 3, x - 2:x + 3].reshape(-1, 3).astype(int)
    green = np.array(MARKER_COLOR[:3]) * 255
    assert np.any(np.abs(centre - green).max(axis=1) < 40), centre  # the drawn point's own marker
    latent, tools.latent = tools.latent, None  # the same frame without the marker: no green there
    plain = app.capture(include_ui=False)[y - 2:y + 3, x - 2:x + 3].reshape(-1, 3).astype(int)
    tools.latent = latent
    assert not np.any(np.abs(plain - green).max(axis=1) < 40)

    first = tools.latent.copy()
    stroke(app, panel, [(0.3, 0.3), (0.7, 0.3)])
    assert frames_until(app, lambda: not np.allclose(tools.latent, first))
    click_item(app, panel, "undo")
    assert frames_until(app, lambda: np.allclose(tools.latent, first, atol=1e-6))

    click_item(app, panel, "add to walk")
    frames(app, 2)
    assert len(scene.state.walk.path.control_latents()) == 1
    np.testing.assert_allclose(scene.state.walk.path.control_latents()[0], first, atol=1e-6)

    click_item(app, panel, "clear")
    assert tools.canvas.empty


def test_a_dropped_picture_is_encoded_and_a_bad_one_named(drawing_explorer, tmp_path):
    app, scene, bundle = drawing_explorer
    tools = scene.drawing
    digit = np.zeros((60, 40), np.uint8) + 250  # dark ink on white paper, not the model's format
    digit[10:50, 18:23] = 10
    Image.fromarray(digit).save(tmp_path / "one.png")
    scene.handle_action(Action(DROP_FILE, text=str(tmp_path / "one.png")))
    assert frames_until(app, lambda: tools.latent is not None and scene.output_images.decoded_slot.image is not None)
    expected = encode_inputs(bundle.load_encoder(),
                             to_model_input(np.asarray(Image.open(tmp_path / "one.png"), np.float32) / 255, (28, 28)))
    np.testing.assert_allclose(tools.latent, expected[0], atol=1e-5)
    assert tools.canvas.pixels.max() > 0.9  # the picture became the canvas, to draw over

    (tmp_path / "broken.jpg").write_bytes(b"\xff\xd8 not really")
    scene.handle_action(Action(DROP_FILE, text=str(tmp_path / "broken.jpg")))
    assert frames_until(app, lambda: tools.error is not None)
    assert "broken.jpg" in tools.error and len(tools.error.splitlines()) == 1
    np.testing.assert_allclose(tools.latent, expected[0], atol=1e-5)  # the last good point stays


def test_canvas_strokes_undo_and_clear():
    canvas = Canvas((28, 28))
    canvas.begin_stroke((4.0, 4.0))
    canvas.continue_stroke((20.0, 4.0))
    canvas.end_stroke()
    assert canvas.pixels[3, 4:20].min() > 0.9 and canvas.pixels[20, 20] == 0.0
    painted = canvas.pixels.copy()
    canvas.clear()
    assert canvas.empty
    canvas.undo()
    np.testing.assert_array_equal(canvas.pixels, painted)
    canvas.undo()
    assert canvas.empty and not canvas.undo()


def test_a_model_without_an_encoder_says_so_and_places_nothing(gl_app, tmp_path):
    app, scene = open_explorer(gl_app, make_bundle(tmp_path / "decoder-only", count=100), SIZE, panels=True)
    panel = scene.drawing.panel
    scene.panels[:] = [panel]
    panel.place = (5, 5)
    frames(app, 3)
    stroke(app, panel, [(0.5, 0.2), (0.5, 0.8)])
    frames(app, 3)
    assert "decoder-only has no encoder" in scene.drawing.error
    assert scene.drawing.latent is None and scene.state.selection.empty
    assert scene.drawing.worker.stats.requests == 0


def decoded_hue(image: np.ndarray) -> float:
    """The hue of the mean colour of a decoded picture's shape (what stands out from the background)."""
    import colorsys

    from latentwalk.vae.sprites import BACKGROUND

    image = np.asarray(image, np.float64)
    shape = np.abs(image - np.array(BACKGROUND) / 255.0).sum(axis=2) > 0.25
    assert shape.sum() > 20  # a shape was decoded, not the bare background
    return colorsys.rgb_to_hsv(*image[shape].mean(axis=0))[0]


def hue_distance(a: float, b: float) -> float:
    return min(abs(a - b), 1.0 - abs(a - b))


def test_a_colour_brush_on_the_shapes_model_decodes_a_shape_of_its_colour(gl_app):
    """The bundled shapes model and its real encoder, through the real loop as a person: a stroke in a typed
    colour is encoded off the loop's thread, and the picture Output shows for it is of the brush's hue,
    nearer to it than to another brush's; its point moves with the colour."""
    import colorsys

    from latentwalk.scenes.explorer.scene import ExplorerScene
    from latentwalk.scenes.explorer.core.commands import ShowPanels
    from tests.explorer_helpers import type_brush_colour
    from tests.person import PersonClock, run_as_a_person

    scene = ExplorerScene("shapes", device="cpu")
    clock = PersonClock()
    app = clock.app = gl_app(scene, size=SIZE, time_source=clock)
    scene.submit(ShowPanels(True))
    tools, panel = scene.drawing, scene.drawing.panel
    scene.panels[:] = [scene.output_panel, panel]
    panel.place, scene.output_panel.place = (5, 5), (SIZE[0] - 260, 5)
    frames(app, 3)
    encoder = load_bundle("shapes").load_encoder()
    brushes = {"green": (40, 230, 40), "blue": (40, 60, 240)}
    seen = {}
    for name, rgb in brushes.items():
        type_brush_colour(app, panel, rgb)
        np.testing.assert_allclose(tools.canvas.colour, np.array(rgb) / 255, atol=1e-6)
        x, y, size, _ = panel.canvas_rect
        at = [(x + fx * size, y + fy * size) for fx, fy in [(0.3, 0.3), (0.7, 0.35), (0.65, 0.7), (0.35, 0.65),
                                                             (0.5, 0.5), (0.3, 0.3)]]
        before = tools.results
        script = [(0.1, lambda: click_item_now(panel, "clear")), (0.2, lambda: post_motion(at[0])),
                  (0.3, lambda: post_button(pygame.MOUSEBUTTONDOWN, at[0]))]
        script += [(0.3 + k / 20, lambda p=p: post_motion(p, buttons=(1, 0, 0))) for k, p in enumerate(at[1:], 1)]
        script += [(0.7, lambda: post_button(pygame.MOUSEBUTTONUP, at[-1])),
                   (0.8, lambda: post_motion((SIZE[0] // 2, SIZE[1] - 5))),
                   # the person waits while the encoder, then the decoder, work off the loop's thread
                   (1.0, lambda: tools.worker.wait_idle(30)), (1.5, lambda: scene.decoder.worker.wait_idle(30))]
        shown = run_as_a_person(app, clock, script, rest_until=3.0)
        assert tools.results > before and tools.error is None
        assert shown["skipped"] > 30  # it rested between the events, as the loop does for a person
        painted = tools.model_input
        assert painted.shape == (32, 32, 3) and (np.abs(painted.reshape(-1, 3).max(axis=0) - np.array(rgb) / 255) < 0.01).all()
        np.testing.assert_allclose(tools.latent, encode_inputs(encoder, painted[None])[0], atol=1e-5)
        image = scene.output_images.decoded_slot.image
        assert scene.output_images.shown_owner == "selection" and image.shape == (32, 32, 3)
        np.testing.assert_allclose(image, decode_latents(load_bundle("shapes").load_decoder(), tools.latent[None])[0],
                                   atol=1e-5)
        (ox0, oy0), (ox1, oy1) = scene.output_panel.item_rects["decoded"]
        on_screen = shown["frame"][int(oy0) + 2:int(oy1) - 2, int(ox0) + 2:int(ox1) - 2] / 255.0
        seen[name] = (decoded_hue(image), decoded_hue(on_screen), tools.latent.copy())
    hues = {name: colorsys.rgb_to_hsv(*(np.array(rgb) / 255))[0] for name, rgb in brushes.items()}
    for name, other in (("green", "blue"), ("blue", "green")):
        decoded, on_screen, _ = seen[name]
        assert hue_distance(decoded, hues[name]) < 0.08, (name, decoded, hues[name])
        assert hue_distance(decoded, hues[name]) < hue_distance(decoded, hues[other])
        assert hue_distance(on_screen, decoded) < 0.03  # Output shows it, in colour
    assert np.linalg.norm(seen["green"][2] - seen["blue"][2]) > 0.5


def click_item_now(panel, name) -> None:
    """Press and release on a panel item in one frame's events (inside a person's script)."""
    from tests.explorer_helpers import item_center

    at = item_center(panel.item_rects, name)
    post_motion(at)
    post_button(pygame.MOUSEBUTTONDOWN, at)
    post_button(pygame.MOUSEBUTTONUP, at)
