"""The bundled `shapes` model: small, carries its factors, decodes its training pictures recognisably
(position, size and colour of each shape), and `latentwalk run --model shapes` opens it."""
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
