"""`train --images DIR`: every picture kind read right, decoded once into the cache, hostile files
refused one by one, and the command's summary, log and one-line failures."""
import numpy as np
import pytest

from latentwalk.cli import main
from latentwalk.vae import images as images_module
from latentwalk.vae.bundle import load_bundle
from latentwalk.vae.datasets import picture_dataset
from latentwalk.vae.images import decode_picture, load_picture_folder
from tests.picture_files import write_classes, write_every_kind, write_hostile, write_rotated_jpeg


def test_every_mode_and_format_decodes_to_its_colour(tmp_path):
    expected = write_every_kind(tmp_path)
    for name, rgb in expected.items():
        pixels, grey = decode_picture(tmp_path / name, 16)
        assert pixels.shape == (16, 16, 3) and pixels.dtype == np.uint8, name
        np.testing.assert_allclose(pixels[8, 8], rgb, atol=3, err_msg=name)
        assert grey == (len(set(rgb)) == 1), name


def test_exif_orientation_is_applied_before_the_centre_crop(tmp_path):
    write_rotated_jpeg(tmp_path / "turned.jpg")
    pixels, _ = decode_picture(tmp_path / "turned.jpg", 16)
    assert pixels[2, 8, 2] > 200 and pixels[2, 8, 0] < 60  # blue on top
    assert pixels[13, 8, 0] > 200 and pixels[13, 8, 2] < 60  # red below


def test_shorter_side_is_scaled_and_the_centre_kept(tmp_path):
    from PIL import Image

    wide = np.zeros((20, 60, 3), np.uint8)
    wide[:, 20:40] = 255  # the middle third white: all that survives a centre crop of the square
    Image.fromarray(wide).save(tmp_path / "wide.png")
    pixels, _ = decode_picture(tmp_path / "wide.png", 10)
    assert pixels.shape == (10, 10, 3) and pixels[:, 2:8].min() > 240


def test_a_folder_is_decoded_once_then_read_from_the_cache(tmp_path, monkeypatch):
    root = write_classes(tmp_path / "pictures", per_class=40)
    cache = tmp_path / "cache"
    first = load_picture_folder(root, 16, progress=False, cache=cache)
    assert first.decoded == 80 and first.class_names == ["blue", "red"]
    assert first.images.shape == (80, 16, 16, 3) and list(first.labels[:40]) == [0] * 40
    assert first.images[first.labels == 1][..., 0].mean() > first.images[first.labels == 1][..., 2].mean()

    def no_picture(*args, **kwargs):
        raise AssertionError("a picture was read although the cache holds the folder")

    monkeypatch.setattr(images_module, "decode_picture", no_picture)
    monkeypatch.setattr("PIL.Image.open", no_picture)
    again = load_picture_folder(root, 16, progress=False, cache=cache)
    assert again.decoded == 0 and isinstance(again.images, np.memmap)
    np.testing.assert_array_equal(again.images, first.images)
    # another size, or a changed file, is another cache
    with pytest.raises(AssertionError, match="a picture was read"):
        load_picture_folder(root, 32, progress=False, cache=cache)


def test_hostile_files_are_refused_one_by_one_and_the_rest_used(tmp_path):
    root = write_classes(tmp_path / "pictures", per_class=3)
    reasons = write_hostile(root / "red")
    found = load_picture_folder(root, 16, progress=False, cache=tmp_path / "cache", workers=1)
    assert len(found.images) == 6
    refused = dict(found.skipped)
    for name, word in reasons.items():
        assert word in refused[f"red/{name}"], (name, refused[f"red/{name}"])


def test_grey_folders_train_on_one_channel_unless_asked(tmp_path):
    from PIL import Image

    for index in range(4):
        Image.new("L", (20, 20), 40 * index).save(tmp_path / f"g{index}.png")
    cache = tmp_path / "cache"
    assert picture_dataset(tmp_path, 16, "auto", progress=False, cache=cache).train_images.shape == (4, 16, 16)
    assert picture_dataset(tmp_path, 16, 3, progress=False, cache=cache).train_images.shape == (4, 16, 16, 3)


def test_cli_trains_on_a_folder_and_lists_what_it_skipped(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    root = write_classes(tmp_path / "pictures", per_class=12)
    (root / "blue" / "note.png").write_text("not a picture")
    out = tmp_path / "model"
    code = main(["train", "--images", str(root), "--image-size", "16", "--epochs", "1", "--batch-size", "8",
                 "--threads", "1", "--latent-dim", "4", "--out", str(out), "--no-progress"])
    printed = capsys.readouterr().out
    assert code == 0
    assert "24 pictures used, 1 skipped" in printed
    log = (tmp_path / "model.skipped.txt").read_text()
    assert "blue/note.png\tnot a PNG" in log
    bundle = load_bundle(out)
    assert bundle.channels == 3 and bundle.image_shape == (16, 16) and bundle.class_names == ["blue", "red"]
    assert bundle.meta["preprocessing"]["image_size"] == 16 and len(bundle.latents) == 22  # 2 held out


def test_a_folder_without_a_usable_picture_is_one_line_and_exit_1(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    (tmp_path / "empty").mkdir()
    write_hostile(tmp_path / "hostile")
    for folder in ("empty", "hostile"):
        code = main(["train", "--images", str(tmp_path / folder), "--out", str(tmp_path / "m"), "--no-progress"])
        err = capsys.readouterr().err.strip()
        assert code == 1 and "\n" not in err and "no usable picture" in err and folder in err
    assert not (tmp_path / "m").exists()
