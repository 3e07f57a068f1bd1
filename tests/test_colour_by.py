"""Colour by anything, under Xvfb with real GL: the Classes panel's "colour by" choice (clicked) colours
each point by a `--colour-by` column or a stored factor on the chosen map (pixels checked against the
map), a range of values highlighted from the panel dims the others, bad `--colour-by` files are
refused in one line with exit status 2, and the reconstruction error and the local density, computed
off the main thread, reach the screen through the real App.run loop with its idle skip."""
from __future__ import annotations

import numpy as np
import pytest

from latentwalk.scenes.explorer.core import commands as c
from latentwalk.scenes.explorer.tools.colouring import DENSITY_K, read_colour_file
from latentwalk.scenes.explorer.view.colour_maps import colour_of
from latentwalk.vae.bundle import load_bundle
from tests.bundles import make_bundle, make_colour_bundle
from tests.explorer_helpers import click, click_item, frames, lonely_points, open_explorer
from tests.person import PersonClock, run_as_a_person
from tests.shared_data import MNIST_SUBSET

SIZE = (640, 480)
BACKGROUND = np.array([0.08, 0.08, 0.10]) * 255


@pytest.fixture(scope="module")
def bundle_path(tmp_path_factory):
    return make_bundle(tmp_path_factory.mktemp("colour_by") / "tiny", count=300, classes=3)


@pytest.fixture(scope="module")
def column_file(tmp_path_factory, bundle_path):
    path = tmp_path_factory.mktemp("columns") / "height.npy"
    latents = load_bundle(bundle_path).latents
    np.save(path, (latents[:, 0] * 3.0 + np.sin(latents[:, 1] * 5.0)).astype(np.float32))
    return path


def predicted(class_pixel, class_rgb, wanted_rgb) -> tuple[np.ndarray, np.ndarray]:
    """A point's pixel is its colour times what shading, dimming and fog leave of it plus the
    background they lay over it: solved from the class-coloured frame, the pixel `wanted_rgb` makes
    (and which channels are unclipped in both)."""
    design = np.stack([np.asarray(class_rgb, float) * 255, BACKGROUND], axis=1)
    usable = class_pixel < 250
    (kept, veil), *_ = np.linalg.lstsq(design[usable], class_pixel[usable].astype(float), rcond=None)
    expected = np.asarray(wanted_rgb, float) * 255 * kept + BACKGROUND * veil
    return expected, usable & (expected < 250)


def assert_points_show(scene, class_frame, value_frame, values, colour_map, points) -> None:
    lo, hi = np.percentile(values.astype(np.float64), [1, 99])  # the map spans these; beyond: its ends
    checked = 0
    for index, (x, y) in points:
        class_rgb = scene.installed.cloud.colors[scene.bundle.labels[index]]
        wanted = colour_of(values[index:index + 1], lo, hi, colour_map)[0]
        expected, usable = predicted(class_frame[y, x].astype(int), class_rgb, wanted)
        assert np.abs(value_frame[y, x].astype(int)[usable] - expected[usable]).max() <= 8, (index, value_frame[y, x], expected)
        checked += int(usable.sum())
    assert checked >= 3


def settle(app, scene) -> None:
    """Frames until the 3-d layer shows every point again (adaptive detail refines after a change)."""
    for _ in range(200):
        frames(app)
        if scene.layer_cache.detail.mode == "full" and not scene.camera.is_moving:
            return
    raise AssertionError("the layer never showed every point")


def choose_source(app, panel, kind: str) -> None:
    """Open the "colour by" combo and click an entry, as a person does."""
    click_item(app, panel, "colour_by")
    frames(app, 2)
    click_item(app, panel, f"source:{kind}")
    settle(app, panel.scene)


def open_with_classes_panel(gl_app, model, **kwargs):
    app, scene = open_explorer(gl_app, model, SIZE, panels=True, detail={"fixed": 100, "min_points": 50}, **kwargs)
    assert scene.layer_cache.detail.builder.wait(30) is not None  # a draw order, as big clouds have
    panel = next(p for p in scene.panels if p.title == "Classes")
    scene.panels[:] = [panel]  # the others would cover the points
    panel.place = (5, 5)
    settle(app, scene)
    return app, scene, panel


def test_a_column_given_with_colour_by_colours_each_point_on_the_map(gl_app, bundle_path, column_file):
    columns = read_colour_file(column_file, 300)
    app, scene, panel = open_with_classes_panel(gl_app, bundle_path, colour_columns=columns)
    points = [p for p in lonely_points(scene, 12, clearance=14.0) if p[1][0] > panel.rect[0] + panel.rect[2] + 10][:5]
    class_frame = app.capture(include_ui=False)
    choose_source(app, panel, "column:height")
    assert scene.state.style.colour_by == "column:height"
    value_frame = app.capture(include_ui=False)
    values = columns["height"]
    assert scene.installed.cloud.ordered  # the per-point colours follow adaptive detail's draw order
    assert_points_show(scene, class_frame, value_frame, values, "viridis", points)
    # the other map, chosen in the panel: the same points in cividis
    click_item(app, panel, "map")
    frames(app, 2)
    click_item(app, panel, "map:cividis")
    settle(app, scene)
    assert scene.state.style.colour_map == "cividis"
    assert_points_show(scene, class_frame, app.capture(include_ui=False), values, "cividis", points)
    assert "colour_bar" in panel.item_rects  # the legend: the value's bar under its name


def test_a_few_outliers_do_not_squeeze_the_other_points_into_one_colour(gl_app, bundle_path):
    from latentwalk.scenes.explorer.view.colour_maps import table

    values = np.linspace(0.0, 1.0, 300).astype(np.float32)
    values[7] = 1000.0  # one loner, far beyond the rest
    app, scene, panel = open_with_classes_panel(gl_app, bundle_path, colour_columns={"spread": values})
    choose_source(app, panel, "column:spread")
    colours = scene.colouring.point_colours()
    viridis = table("viridis")
    position = np.argmin(np.abs(colours[:, None, :] - viridis[None]).sum(axis=2), axis=1)  # each on the map
    ordinary = np.delete(position, 7)
    assert ordinary.min() <= 5 and ordinary.max() >= 250  # the ordinary points span the whole map
    assert position[7] == 255  # the loner takes its end
    assert scene.colouring.value_extent("column:spread") == (0.0, 1000.0)  # a range can still reach it


def test_a_factor_of_the_shapes_set_colours_the_points(gl_app, tmp_path):
    model = make_colour_bundle(tmp_path / "colour", count=60, factors=True)
    app, scene, panel = open_with_classes_panel(gl_app, model)
    points = [p for p in lonely_points(scene, 12, clearance=14.0) if p[1][0] > panel.rect[0] + panel.rect[2] + 10][:5]
    class_frame = app.capture(include_ui=False)
    choose_source(app, panel, "factor:hue")
    assert scene.state.style.colour_by == "factor:hue"
    hue = scene.bundle.factors[:, 0]
    assert_points_show(scene, class_frame, app.capture(include_ui=False), hue, "viridis", points)
    # back to the class colours: every pixel as before
    choose_source(app, panel, "class")
    assert np.abs(app.capture(include_ui=False).astype(int) - class_frame.astype(int)).max() <= 2


def test_a_numeric_metadata_column_of_the_bundle_colours_the_points(gl_app, tmp_path):
    from latentwalk.vae.metadata import METADATA_FILE, metadata_text

    model = make_bundle(tmp_path / "with_metadata", count=300, classes=3)
    bundle = load_bundle(model)
    score = np.round(bundle.latents[:, 1] * 2.0 - bundle.latents[:, 2], 3)
    columns = {"label": [bundle.class_names[label] for label in bundle.labels],
               "caption": [f"photo {i}" for i in range(300)], "score": [str(v) for v in score]}
    (model / METADATA_FILE).write_text(metadata_text(columns), encoding="utf-8")
    app, scene, panel = open_with_classes_panel(gl_app, model)
    keys = [key for key, _, _ in scene.colouring.sources()]
    assert "metadata:score" in keys and "metadata:caption" not in keys and "metadata:label" not in keys
    points = [p for p in lonely_points(scene, 12, clearance=14.0) if p[1][0] > panel.rect[0] + panel.rect[2] + 10][:5]
    class_frame = app.capture(include_ui=False)
    choose_source(app, panel, "metadata:score")
    assert scene.state.style.colour_by == "metadata:score"
    assert_points_show(scene, class_frame, app.capture(include_ui=False), score.astype(np.float32), "viridis", points)


def test_a_range_of_values_set_in_the_panel_dims_the_points_outside_it(gl_app, bundle_path, column_file):
    columns = read_colour_file(column_file, 300)
    app, scene, panel = open_with_classes_panel(gl_app, bundle_path, colour_columns=columns)
    choose_source(app, panel, "column:height")
    values = columns["height"]
    before = app.capture(include_ui=False)
    (x0, y0), (x1, y1) = panel.item_rects["range_from"]
    click(app, (int(x0 + 0.5 * (x1 - x0)), int((y0 + y1) / 2)))  # a click half-way sets "from" there
    settle(app, scene)
    points = scene.state.highlight.points
    assert points is not None and points.label.startswith("column: height in [")
    low = panel.colouring.range[0]
    assert values.min() + 0.3 * np.ptp(values) < low < values.max() - 0.3 * np.ptp(values)
    np.testing.assert_array_equal(points.shown, values >= low)
    after = app.capture(include_ui=False)
    lonely = [p for p in lonely_points(scene, 300, clearance=9.0) if p[1][0] > panel.rect[0] + panel.rect[2] + 10]
    dimmed = [(i, p) for i, p in lonely if values[i] < low - 0.05 * np.ptp(values)]
    kept = [(i, p) for i, p in lonely if values[i] > low + 0.05 * np.ptp(values)]
    assert dimmed and kept
    for _, (x, y) in dimmed:
        assert np.abs(after[y, x] - BACKGROUND).sum() < np.abs(before[y, x] - BACKGROUND).sum() - 20
    for _, (x, y) in kept:
        assert np.abs(after[y, x].astype(int) - before[y, x].astype(int)).max() <= 3
    click_item(app, panel, "clear_points")
    assert scene.state.highlight.points is None


@pytest.mark.parametrize("make, words", [
    (lambda: np.zeros(299, np.float32), "299 rows, the model has 300 points"),
    (lambda: np.full(300, np.nan, np.float32), "NaN or infinite"),
    (lambda: np.zeros(300, np.int64), "must be floats"),
    (lambda: np.zeros((300, 2, 2), np.float32), "shape (300, 2, 2)"),
    (lambda: np.array([{"a": 1}] * 300, dtype=object), "--colour-by"),
])
def test_a_bad_colour_by_file_is_refused_in_one_line_with_exit_status_2(bundle_path, tmp_path, capsys, make, words):
    from latentwalk.cli import main

    path = tmp_path / "bad.npy"
    np.save(path, make(), allow_pickle=True)
    status = main(["run", "--model", str(bundle_path), "--colour-by", str(path), "--frames", "1"])
    err = capsys.readouterr().err.strip()
    assert status == 2
    assert words in err and str(path) in err and len(err.splitlines()) == 1


def _on_a_person_clock(gl_app, model, **kwargs):
    from latentwalk.scenes.explorer.scene import ExplorerScene

    scene = ExplorerScene(model, device="cpu", **kwargs)
    clock = PersonClock()
    app = clock.app = gl_app(scene, size=SIZE, time_source=clock)
    scene.submit(c.ShowPanels(False))
    frames(app, 2)
    return app, scene, clock


def _colours_arrive_through_the_loop(gl_app, model, source, expected, **kwargs):
    app, scene, clock = _on_a_person_clock(gl_app, model, **kwargs)
    points = lonely_points(scene, 6, clearance=14.0)
    class_frame = app.capture(include_ui=False)
    seen = {}

    def choose():
        scene.submit(c.SetColouring(source=source))

    def look_while_computing():
        seen["status"] = scene.colouring.status(source)
        scene.colouring.worker.wait_idle(60)  # the person waits; the worker thread goes on

    shown = run_as_a_person(app, clock, [(0.2, choose), (0.25, look_while_computing)], rest_until=2.0)
    assert scene.state.style.colour_by == source, scene.last_refusal
    assert seen["status"] is not None and seen["status"].startswith("computing")
    np.testing.assert_allclose(scene.colouring.values(source), expected, rtol=1e-4, atol=1e-6)
    assert shown["skipped"] > 30  # once the values are in, the loop rests
    assert_points_show(scene, class_frame, shown["frame"], expected, "viridis", points)


def test_the_reconstruction_error_is_computed_off_thread_and_colours_the_points(gl_app, tmp_path):
    from latentwalk.vae.decode import decode_latents
    from tests.subset_models import subset_images

    model = make_bundle(tmp_path / "mnist", count=1000, classes=10, dataset="mnist", encoder=True,
                        class_names=[str(d) for d in range(10)])
    bundle = load_bundle(model)
    decoded = decode_latents(bundle.load_decoder("cpu"), bundle.latents)
    images = subset_images(1000).astype(np.float32) / 255.0
    expected = ((decoded - images) ** 2).reshape(1000, -1).mean(axis=1)
    _colours_arrive_through_the_loop(gl_app, model, "error", expected, data_dir=MNIST_SUBSET)


def test_the_local_density_is_computed_off_thread_and_colours_the_points(gl_app, bundle_path):
    latents = load_bundle(bundle_path).latents.astype(np.float64)
    distances = np.sqrt(((latents[:, None, :] - latents[None, :, :]) ** 2).sum(axis=2))
    expected = np.sort(distances, axis=1)[:, 1:DENSITY_K + 1].mean(axis=1)
    _colours_arrive_through_the_loop(gl_app, bundle_path, "density", expected)


def test_the_error_of_a_model_without_an_encoder_says_why_it_is_unavailable(gl_app, bundle_path):
    app, scene = open_explorer(gl_app, bundle_path, SIZE)
    why = dict((key, reason) for key, _, reason in scene.colouring.sources())["error"]
    assert "no encoder" in why
    scene.submit(c.SetColouring(source="error"))
    frames(app)
    assert scene.state.style.colour_by == "class" and "no encoder" in scene.last_refusal
