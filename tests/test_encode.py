"""Encoding: the encoder's means for images, pictures turned into the model's input format, and the
`latentwalk encode` command."""
from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from latentwalk.cli import main
from latentwalk.vae.bundle import load_bundle
from latentwalk.vae.encode import (EncodeError, encode_inputs, load_pictures, read_picture, require_encoder,
                                   to_model_input)
from tests.bundles import make_bundle
from tests.shared_data import MNIST_SUBSET, mnist_dir
from tests.subset_models import TRAIN_IMAGES, subset_images, train_subset_bundle

COUNT = 12


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    return train_subset_bundle(tmp_path_factory.mktemp("encode") / "subset-vae")


def write_pngs(folder, images):
    paths = []
    for index, image in enumerate(images):
        paths.append(folder / f"train-{index}.png")
        Image.fromarray(image, mode="L").save(paths[-1])
    return paths


def test_encoding_training_images_gives_their_latents_rows(trained, tmp_path, capsys):
    images = subset_images(COUNT)
    latents = load_bundle(trained).latents
    out = tmp_path / "from-png.npy"
    assert main(["encode", "--model", str(trained), "--images", *map(str, write_pngs(tmp_path, images)),
                 "--out", str(out)]) == 0
    encoded = np.load(out, allow_pickle=False)
    assert encoded.shape == (COUNT, 3) and encoded.dtype == np.float32
    np.testing.assert_allclose(encoded, latents[:COUNT], atol=1e-4, rtol=0)

    out_idx = tmp_path / "from-idx.npy"
    assert main(["encode", "--model", str(trained), "--idx", str(TRAIN_IMAGES), "--limit", str(COUNT),
                 "--out", str(out_idx)]) == 0
    np.testing.assert_allclose(np.load(out_idx), latents[:COUNT], atol=1e-4, rtol=0)
    assert f"encoded {COUNT} images" in capsys.readouterr().out


def test_bundled_mnist_model_encodes_its_training_images_to_their_rows():
    """The bundled model's latents were computed on a GPU, whose TF32 convolutions round to ~1e-4
    relative (latents reach 4.3), so on CPU the rows agree to 1e-3, not to float32 precision."""
    bundle = load_bundle("mnist")
    inputs = subset_images(200).astype(np.float32) / 255.0
    encoded = encode_inputs(require_encoder(bundle), inputs)
    np.testing.assert_allclose(encoded, bundle.latents[:200], atol=1e-3, rtol=0)


@pytest.mark.compat
def test_bundled_mnist_model_encodes_all_its_training_images_to_their_rows(tmp_path):
    """All 60,000, through the command: the rows agree to TF32's rounding (see above)."""
    out = tmp_path / "all.npy"
    assert main(["encode", "--idx", str(mnist_dir() / "train-images-idx3-ubyte.gz"), "--out", str(out)]) == 0
    np.testing.assert_allclose(np.load(out), load_bundle("mnist").latents, atol=1e-3, rtol=0)


def test_a_picture_in_the_model_format_is_taken_as_it_is(tmp_path):
    image = subset_images(1)[0]
    path = write_pngs(tmp_path, [image])[0]
    np.testing.assert_array_equal(load_pictures([path], (28, 28))[0], image.astype(np.float32) / 255.0)


def _centre_of_mass(image):
    rows, cols = np.indices(image.shape)
    return (rows * image).sum() / image.sum(), (cols * image).sum() / image.sum()


def test_any_other_picture_is_made_as_mnist_digits_were(tmp_path):
    """Dark ink on light paper, 4x too big and off-centre in a JPEG: inverted, cropped, scaled so its
    longer side is 20 pixels, centred by mass; it then encodes near the original digit."""
    digit = subset_images(1)[0]
    paper = np.full((300, 220), 235, np.uint8)
    paper[40:40 + 112, 20:20 + 112] = 235 - (np.kron(digit, np.ones((4, 4), np.uint8)) * (220 / 255)).astype(np.uint8)
    Image.fromarray(paper).convert("RGB").save(tmp_path / "paper.jpg", quality=95)
    converted = to_model_input(read_picture(tmp_path / "paper.jpg"), (28, 28), "paper.jpg")
    assert converted.shape == (28, 28) and converted.max() == pytest.approx(1.0, abs=0.05)
    assert converted[[0, -1]].max() < 0.05 and converted[:, [0, -1]].max() < 0.05  # background is black
    ink = converted > 0.1
    rows, cols = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
    assert max(rows[-1] - rows[0], cols[-1] - cols[0]) + 1 in (19, 20, 21)
    assert np.allclose(_centre_of_mass(converted), (13.5, 13.5), atol=0.6)

    bundle = load_bundle("mnist")
    encoder = require_encoder(bundle)
    original, redrawn = encode_inputs(encoder, np.stack([digit / 255.0, converted]))
    others = bundle.latents[:1000]
    assert np.linalg.norm(redrawn - original) < np.median(np.linalg.norm(others - original, axis=1)) / 2


def test_transparent_background_counts_as_paper(tmp_path):
    rgba = np.zeros((64, 64, 4), np.uint8)  # black strokes on a fully transparent background
    rgba[10:54, 28:36, 3] = 255
    Image.fromarray(rgba, mode="RGBA").save(tmp_path / "stroke.png")
    converted = to_model_input(read_picture(tmp_path / "stroke.png"), (28, 28))
    assert converted[14, 14] > 0.9 and converted[0, 0] == 0.0  # the stroke is light ink on black


def test_bad_pictures_are_one_line_naming_the_file_and_nothing_is_written(tmp_path, capsys):
    good = write_pngs(tmp_path, subset_images(1))[0]
    (tmp_path / "noise.png").write_bytes(b"not an image at all")
    Image.new("L", (40, 40), 255).save(tmp_path / "blank.png")
    out = tmp_path / "z.npy"
    out.write_bytes(b"keep me")
    for bad, problem in (("noise.png", "not a PNG or JPEG image"), ("blank.png", "blank picture"),
                         ("missing.png", "no such file")):
        assert main(["encode", "--images", str(good), str(tmp_path / bad), "--out", str(out)]) == 1
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1 and bad in err and problem in err
    assert out.read_bytes() == b"keep me"
    with pytest.raises(EncodeError, match="blank picture"):
        to_model_input(np.zeros((28, 28), np.float32) + 0.5, (28, 28), "grey")


def test_a_bundle_without_an_encoder_says_so_in_one_line(tmp_path, capsys):
    decoder_only = make_bundle(tmp_path / "decoder-only", count=20)
    assert main(["encode", "--model", str(decoder_only), "--idx", str(TRAIN_IMAGES), "--limit", "2",
                 "--out", str(tmp_path / "z.npy")]) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "no encoder" in err and "decoder-only" in err
    assert not (tmp_path / "z.npy").exists()


def test_limit_needs_idx_and_out_must_be_npy(tmp_path, capsys):
    png = str(write_pngs(tmp_path, subset_images(1))[0])
    assert main(["encode", "--images", png, "--limit", "3", "--out", str(tmp_path / "z.npy")]) == 2
    assert "--limit applies to --idx only" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exited:
        main(["encode", "--images", png, "--out", str(tmp_path / "z.txt")])
    assert exited.value.code == 2 and "argument --out: " in capsys.readouterr().err
    assert main(["encode", "--idx", str(MNIST_SUBSET / "train-labels-idx1-ubyte.gz"),
                 "--out", str(tmp_path / "z.npy")]) == 1
    assert "expected uint8 images" in capsys.readouterr().err
