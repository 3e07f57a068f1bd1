"""The bundled `shapes` model: small, carries its factors, decodes its training pictures recognisably
(position, size and colour of each shape), holds a UMAP layout that keeps more neighbourhoods than its
PCA view, and `latentwalk run --model shapes` opens it, on its PCA view or on the layout (--layout)."""
import colorsys

import numpy as np
import pytest
from PIL import Image

from latentwalk.assets import MODELS_DIR
from latentwalk.vae.bundle import load_bundle
from latentwalk.vae.datasets import load_dataset
from latentwalk.vae.decode import decode_latents
from latentwalk.vae.sprites import FACTOR_NAMES, SHAPE_NAMES
from tests.test_kiosk_cli import latentwalk, title_bar_rows

BACKGROUND_LEVEL = 38 / 255


@pytest.fixture(scope="module")
def shapes():
    return load_bundle("shapes")


def test_the_bundled_shapes_model_is_small_and_carries_its_factors(shapes):
    size = sum(path.stat().st_size for path in (MODELS_DIR / "shapes").iterdir())
    assert size <= 10 * 2 ** 20
    assert shapes.channels == 3 and shapes.class_names == list(SHAPE_NAMES) and shapes.has_encoder
    assert shapes.meta["factor_names"] == list(FACTOR_NAMES) and shapes.factors.shape == (len(shapes.latents), 6)
    np.testing.assert_array_equal(shapes.labels, shapes.factors[:, 0].astype(int))


def test_its_decodes_put_each_shape_where_it_was_in_its_colour(shapes):
    dataset = load_dataset(shapes.dataset)
    rows = np.arange(0, len(shapes.latents), len(shapes.latents) // 60)
    decoded = decode_latents(shapes.load_decoder(), shapes.latents[rows])
    truth = dataset.train_images[rows].astype(np.float32) / 255
    mean_picture = dataset.train_images.mean(axis=0) / 255
    assert np.mean((decoded - truth) ** 2) < 0.35 * np.mean((mean_picture - truth) ** 2)
    hue_errors, position_errors = [], []
    for picture, (_, hue, _, x, y, _) in zip(decoded, shapes.factors[rows]):
        ink = np.abs(picture - BACKGROUND_LEVEL).sum(axis=2) > 0.25
        assert ink.any()
        found_y, found_x = (np.argwhere(ink).mean(axis=0) + 0.5) / 32
        position_errors.append(max(abs(found_x - x), abs(found_y - y)))
        found_hue = colorsys.rgb_to_hsv(*picture[ink].mean(axis=0))[0]
        hue_errors.append(min(abs(found_hue - hue), 1 - abs(found_hue - hue)))
    assert np.median(position_errors) < 0.05 and np.median(hue_errors) < 0.08


@pytest.mark.usefixtures("display")
def test_run_opens_the_shapes_model(tmp_path):
    shot = tmp_path / "shapes.png"
    result = latentwalk("run", "--model", "shapes", "--frames", "3", "--screenshot", str(shot), "--size", "640x480",
                        "--no-vsync")
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr[-2000:]
    assert title_bar_rows(shot) > 0
    colours = {tuple(p) for p in np.asarray(Image.open(shot).convert("RGB"))[::4, ::4].reshape(-1, 3)}
    assert len(colours) > 20  # points in their class colours over the grid, not an empty frame


def test_its_umap_layout_loads_and_keeps_more_neighbours_than_pca(shapes):
    from latentwalk.vae.layout_quality import layout_quality
    from latentwalk.vae.layouts import compute_layout, list_layouts, load_layout

    assert list_layouts(shapes)["umap"]["method"] == "umap"
    layout = load_layout(shapes, "umap")
    assert layout.positions.shape == (len(shapes.latents), 3)
    measured = layout_quality(shapes.latents, layout.positions)
    assert measured.neighbours_kept == pytest.approx(layout.info["quality"]["neighbours_kept"], abs=1e-6)
    pca = layout_quality(shapes.latents, compute_layout(shapes.latents, "pca")[0])
    assert measured.neighbours_kept > 1.5 * pca.neighbours_kept
    assert measured.trustworthiness > pca.trustworthiness


@pytest.mark.usefixtures("display")
def test_run_opens_the_shapes_model_on_its_umap_layout(tmp_path):
    shots = {}
    for name, extra in (("pca", ()), ("umap", ("--layout", "umap"))):
        shots[name] = tmp_path / f"{name}.png"
        result = latentwalk("run", "--model", "shapes", *extra, "--frames", "3", "--screenshot", str(shots[name]),
                            "--size", "640x480", "--no-vsync")
        assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr[-2000:]
    pca, umap = (np.asarray(Image.open(shots[n]).convert("RGB")).astype(int) for n in ("pca", "umap"))
    # the middle of the window, where the cloud is: other places for the points
    middle = (slice(120, 400), slice(220, 460))
    assert (np.abs(pca[middle] - umap[middle]).max(axis=2) > 40).sum() > 200


def test_run_refuses_a_layout_the_model_does_not_hold_in_one_line():
    result = latentwalk("run", "--model", "shapes", "--layout", "nope")
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert "--layout nope" in result.stderr and "(it has: umap)" in result.stderr
    result = latentwalk("run", "--demo", "--layout", "umap")
    assert result.returncode == 2 and "--layout" in result.stderr
