"""The Neighbours panel under Xvfb, driven by commands and posted pygame events: the index builds off the
main thread, the k nearest training points of the selected / hovered / drawn point are listed (equal to a
float64 brute force), their real training images (or, without the data set, the decoder's images) are
drawn as the panel's pixels, and clicking one selects it and flies there."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from latentwalk.scenes.explorer.core.commands import Select, ShowPanels
from latentwalk.scenes.explorer.panels import item_center
from latentwalk.vae.bundle import load_bundle
from latentwalk.vae.decode import decode_latents
from tests.bundles import make_bundle
from tests.explorer_helpers import click, empty_pixel, frames, frames_until, open_explorer, post_motion

SIZE = (640, 480)
MNIST_SUBSET = Path(__file__).resolve().parent / "data" / "mnist"  # 1,000 MNIST training images


@pytest.fixture(scope="module")
def bundle_path(tmp_path_factory):
    # dataset "mnist" and 1,000 points: with data_dir=tests/data the explorer finds real training images
    return make_bundle(tmp_path_factory.mktemp("neighbours") / "subset", count=1000, classes=10, dataset="mnist",
                       class_names=[str(digit) for digit in range(10)])


def open_with_panel(gl_app, bundle_path, data_dir, size=SIZE):
    app, scene = open_explorer(gl_app, bundle_path, size, panels=True, data_dir=data_dir)
    tools = scene.neighbours
    scene.panels[:] = [tools.panel]
    tools.panel.place = (5, 5)
    assert frames_until(app, lambda: tools.index is not None)
    return app, scene, tools


def brute(latents: np.ndarray, query, k: int, exclude: int | None = None) -> list[int]:
    squared = ((latents.astype(np.float64) - np.asarray(query, np.float64)) ** 2).sum(axis=1)
    order = [int(i) for i in np.lexsort((np.arange(len(latents)), squared)) if i != exclude]
    return order[:k]


def thumbnail_pixels(app, panel, rank: int, size: int) -> np.ndarray:
    """The picture drawn inside neighbour `rank`'s image button, sampled once per image pixel."""
    from imgui_bundle import imgui

    (x0, y0), _ = panel.item_rects[f"neighbour {rank}"]
    screen = app.capture(include_ui=True)
    padding = imgui.get_style().frame_padding  # between the button's edge and its picture
    left, top = int(round(x0 + padding.x)), int(round(y0 + padding.y))
    scale = size // 28
    block = screen[top:top + size, left:left + size, 0].astype(int)
    return block[scale // 2::scale, scale // 2::scale]


def test_selection_lists_its_neighbours_with_training_images_and_a_click_flies_there(gl_app, bundle_path):
    app, scene, tools = open_with_panel(gl_app, bundle_path, MNIST_SUBSET)
    bundle = load_bundle(bundle_path)
    assert scene.installed.training_images is not None
    assert tools.pending._thread is not None and tools.pending._thread.name == "neighbour-index"

    scene.submit(Select(index=17, source="keyboard"))
    assert frames_until(app, lambda: tools.subject == ("point", 17))
    frames(app, 2)
    expected = brute(bundle.latents, bundle.latents[17], 10, exclude=17)
    assert list(tools.indices) == expected
    np.testing.assert_allclose(tools.distances, np.linalg.norm(
        bundle.latents[expected].astype(np.float64) - bundle.latents[17], axis=1), rtol=1e-12)
    assert tools.real_images and tools.waiting == 0
    for slot, point in zip(tools.slots, expected):
        np.testing.assert_array_equal(slot.image, scene.installed.training_images[point])

    # The drawn picture is the training image (nearest filtering, twice its size).
    drawn = thumbnail_pixels(app, tools.panel, 0, 56)
    assert np.abs(drawn - scene.installed.training_images[expected[0]].astype(int)).max() <= 2
    assert drawn.max() > 200 and drawn.min() < 30  # ink on a black ground, not an empty frame

    target = expected[3]
    click(app, item_center(tools.panel.item_rects, "neighbour 3"))
    assert scene.state.selection.index == target and scene.state.selection.source == "pointer"
    np.testing.assert_allclose(scene.camera.goal.target, scene.installed.positions[target])
    assert frames_until(app, lambda: scene.camera.flight is None)
    np.testing.assert_allclose(scene.camera.current.target, scene.installed.positions[target], atol=1e-9)
    assert frames_until(app, lambda: tools.subject == ("point", target))
    assert list(tools.indices) == brute(bundle.latents, bundle.latents[target], 10, exclude=target)


def isolated_point_left_of(scene, limit: float, clearance: float = 12.0) -> tuple[int, tuple[int, int]]:
    """A visible point left of x = `limit` (the panel is pinned to its right) with no other point near."""
    projection = scene.camera.project(scene.installed.positions, 1.0, scene.viewport)
    px, height = projection.pixels, scene.viewport[1]
    for index in np.flatnonzero(projection.visible):
        x, y = px[index]
        if 20 < x < limit and 20 < y < height - 20:
            distances = np.hypot(px[:, 0] - x, px[:, 1] - y)
            distances[index] = np.inf
            if distances.min() > clearance:
                return int(index), (int(x), int(y))
    raise AssertionError("no isolated point left of the panel")


def test_hover_and_a_free_latent_without_the_data_set_show_decoded_images(gl_app, bundle_path):
    app, scene, tools = open_with_panel(gl_app, bundle_path, None, size=(900, 600))
    bundle = load_bundle(bundle_path)
    assert scene.installed.training_images is None

    tools.panel.place = (900 - 400, 5)  # the cloud's left part stays free for the pointer
    frames(app, 2)
    point, pixel = isolated_point_left_of(scene, 480)
    post_motion(pixel)
    assert frames_until(app, lambda: tools.subject == ("point", point) and tools.waiting == 0)
    expected = brute(bundle.latents, bundle.latents[point], 10, exclude=point)
    assert list(tools.indices) == expected and not tools.real_images
    decoded = decode_latents(bundle.load_decoder(), bundle.latents[expected])
    for slot, image in zip(tools.slots, decoded):
        np.testing.assert_allclose(slot.image, image, atol=1e-5)

    post_motion(empty_pixel(scene))  # the pointer leaves the point: the list stays for it to be reached
    frames(app, 3)
    assert scene.state.pointer.hovered is None and tools.subject == ("point", point)

    latent = (0.4, -1.1, 0.25)
    scene.submit(Select(latent=latent, source="draw"))
    assert frames_until(app, lambda: tools.subject == ("latent", latent) and tools.waiting == 0)
    expected = brute(bundle.latents, latent, 10)
    assert list(tools.indices) == expected and tools.caption == "the drawn point"
    frames(app, 2)
    drawn = thumbnail_pixels(app, tools.panel, 1, 56)
    want = np.clip(np.rint(decode_latents(bundle.load_decoder(), bundle.latents[expected[1]][None])[0] * 255), 0, 255)
    assert np.abs(drawn - want).max() <= 2


def test_hidden_it_rests_and_another_model_gets_its_own_index(gl_app, bundle_path, tmp_path):
    app, scene, tools = open_with_panel(gl_app, bundle_path, None)
    scene.submit(ShowPanels(False))
    scene.submit(Select(index=5, source="keyboard"))
    frames(app, 3)
    assert tools.subject is None and not tools.wants_frames()  # hidden: nothing looked up or decoded
    scene.submit(ShowPanels(True))
    assert frames_until(app, lambda: tools.subject == ("point", 5) and tools.waiting == 0)
    other = make_bundle(tmp_path / "wide", count=120, classes=3, dim=5)
    assert scene.load_model(other)
    assert len(tools.indices) == 0 and tools.subject is None
    assert frames_until(app, lambda: tools.index is not None and tools.index.size == 120)
    assert tools.index.structure == "blocked"  # 5-d latents
    scene.submit(Select(index=7, source="keyboard"))
    assert frames_until(app, lambda: tools.subject == ("point", 7))
    latents = load_bundle(other).latents
    assert list(tools.indices) == brute(latents, latents[7], 10, exclude=7)


def test_the_panel_sits_in_the_left_column_below_model_without_overlaps(gl_app, bundle_path):
    app, scene = open_explorer(gl_app, bundle_path, (800, 600), panels=True, data_dir=MNIST_SUBSET)
    tools = scene.neighbours
    scene.submit(Select(index=3, source="keyboard"))
    # filled, or folded by the layout where the column is short (a folded panel looks nothing up)
    assert frames_until(app, lambda: len(tools.indices) == 10 or not tools.panel.expanded)
    frames(app, 4)  # panels settle below the ones above them
    rects = scene.panel_layout.shown_rects()
    x, y, w, h = rects["Neighbours"]
    model = rects["Model"]
    assert x == pytest.approx(model[0], abs=1) and y >= model[1] + model[3]
    assert y + h <= 600 and x + w <= 800
    from latentwalk.scenes.explorer.panels.layout import BOTTOM, LEFT, RIGHT

    placed = [title for title in (*LEFT, *RIGHT, BOTTOM) if title in rects and title != "Neighbours"]
    assert {"Classes", "Model", "Output"} <= set(placed)
    for other in placed:
        ox, oy, ow, oh = rects[other]
        assert not (x < ox + ow and ox < x + w and y < oy + oh and oy < y + h), (other, rects[other], rects["Neighbours"])


def test_collapsed_it_looks_nothing_up_and_opened_again_it_catches_up(gl_app, bundle_path):
    from imgui_bundle import imgui

    app, scene, tools = open_with_panel(gl_app, bundle_path, None)
    tools.panel.place = None  # a pinned panel is held open; this one may be folded
    frames(app)
    imgui.set_window_collapsed(tools.panel.title, True)
    frames(app, 2)
    assert not tools.panel.expanded
    scene.submit(Select(index=9, source="keyboard"))
    frames(app, 3)
    assert tools.subject != ("point", 9) and not tools.wants_frames()  # collapsed: no lookup, no decodes
    imgui.set_window_collapsed(tools.panel.title, False)
    assert frames_until(app, lambda: tools.subject == ("point", 9))
    latents = scene.bundle.latents
    assert list(tools.indices) == brute(latents, latents[9], 10, exclude=9)


def test_the_index_is_built_only_once_the_panel_is_shown(gl_app, bundle_path):
    app, scene = open_explorer(gl_app, bundle_path, SIZE, panels=False, data_dir=None)
    tools = scene.neighbours
    frames(app, 5)
    assert tools.pending is None and tools.index is None  # hidden: nothing held for it
    scene.panels[:] = [tools.panel]
    scene.submit(ShowPanels(True))
    assert frames_until(app, lambda: tools.index is not None)
    assert tools.index.size == scene.installed.cloud.count


def test_decoded_neighbours_say_how_to_get_the_training_images(gl_app, bundle_path, tmp_path, monkeypatch):
    """Without the data set the pictures are the decoder's, near-identical: the panel says so and names the
    option that brings the real ones (and, when --data-dir was given but did not fit, why)."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "empty-user-data"))  # no data set in the default place
    app, scene, tools = open_with_panel(gl_app, bundle_path, None, size=(900, 600))
    scene.submit(Select(index=4, source="keyboard"))
    assert frames_until(app, lambda: tools.subject == ("point", 4) and tools.waiting == 0)
    frames(app, 3)
    hint = tools.missing_images_hint()
    assert "--data-dir" in hint and "train-images-idx3-ubyte" in hint and str(tmp_path / "empty-user-data") in hint
    (x0, y0), (x1, y1) = tools.panel.item_rects["images hint"]
    assert y1 - y0 > 2 * imgui_font_size() and x1 <= 900  # wrapped over lines, inside the window
    block = app.capture(include_ui=True)[int(y0):int(y1), int(x0):int(x1)].astype(int)
    assert (block.max(axis=2) > 120).sum() > 200  # written, not just laid out

    missing = tmp_path / "not-the-data-set"
    missing.mkdir()
    app, scene, tools = open_with_panel(gl_app, bundle_path, missing, size=(900, 600))
    scene.submit(Select(index=4, source="keyboard"))
    assert frames_until(app, lambda: tools.subject == ("point", 4))
    assert str(missing) in tools.missing_images_hint()

    app, scene, tools = open_with_panel(gl_app, bundle_path, MNIST_SUBSET, size=(900, 600))
    scene.submit(Select(index=4, source="keyboard"))
    assert frames_until(app, lambda: tools.subject == ("point", 4) and tools.real_images)
    frames(app, 2)
    assert tools.missing_images_hint() is None and "images hint" not in tools.panel.item_rects


def imgui_font_size() -> float:
    from imgui_bundle import imgui

    return imgui.get_font_size()
