"""CIFAR-10's binary distribution (small archives in its format, written here, served on 127.0.0.1)
and the procedural `shapes` set with its factors."""
import hashlib
import io
import tarfile

import numpy as np
import pytest

from latentwalk.cli import main
from latentwalk.vae import cifar
from latentwalk.vae.bundle import load_bundle
from latentwalk.vae.datasets import load_dataset
from latentwalk.vae.errors import DatasetError
from latentwalk.vae.sprites import FACTOR_NAMES, SHAPE_NAMES, make_shapes
from tests.test_datasets import FileServer


def batch_bytes(count: int, seed: int) -> tuple[bytes, np.ndarray, np.ndarray]:
    """`count` CIFAR-10 records: (bytes, pictures (N, 32, 32, 3), labels)."""
    rng = np.random.default_rng(seed)
    pictures = rng.integers(0, 256, (count, 32, 32, 3), dtype=np.uint8)
    labels = rng.integers(0, 10, count, dtype=np.uint8)
    planes = pictures.transpose(0, 3, 1, 2).reshape(count, -1)  # red plane, green, blue, row by row
    return np.concatenate([labels[:, None], planes], axis=1).tobytes(), pictures, labels


def small_archive(per_batch: int = 3, extra: dict | None = None) -> tuple[bytes, dict]:
    """A cifar-10-binary.tar.gz of `per_batch` records per batch file, and what it holds."""
    buffer, expected = io.BytesIO(), {"train": [], "train_labels": []}
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        names = cifar.TRAIN_FILES + (cifar.TEST_FILE,)
        for seed, name in enumerate(names):
            data, pictures, labels = batch_bytes(per_batch, seed)
            if name == cifar.TEST_FILE:
                expected["test"], expected["test_labels"] = pictures, labels
            else:
                expected["train"].append(pictures)
                expected["train_labels"].append(labels)
            data = (extra or {}).get(name, data)
            info = tarfile.TarInfo(f"{cifar.MEMBER_FOLDER}/{name}")
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue(), expected


def test_cifar10_downloads_from_the_mirror_variable_checks_md5_and_reads_the_binary_records(tmp_path, monkeypatch):
    data, expected = small_archive()
    monkeypatch.setattr(cifar, "ARCHIVE_MD5", hashlib.md5(data).hexdigest())
    with FileServer() as server:
        server.files[cifar.ARCHIVE] = data
        monkeypatch.setenv("LATENTWALK_DATA_URL", server.url)
        dataset = load_dataset("cifar10", tmp_path / "cifar", progress=False)
        load_dataset("cifar10", tmp_path / "cifar", progress=False)  # there now: not fetched again
        assert [name for name, _ in server.requests] == [cifar.ARCHIVE]
    np.testing.assert_array_equal(dataset.train_images, np.concatenate(expected["train"]))
    np.testing.assert_array_equal(dataset.train_labels, np.concatenate(expected["train_labels"]))
    np.testing.assert_array_equal(dataset.test_images, expected["test"])
    assert dataset.channels == 3 and dataset.class_names[3] == "cat" and dataset.is_colour_set


def test_cifar10_with_another_checksum_keeps_nothing(tmp_path, monkeypatch):
    data, _ = small_archive()
    with FileServer() as server:
        server.files[cifar.ARCHIVE] = data  # not the published archive: its MD5 cannot match
        with pytest.raises(DatasetError, match="checksum mismatch"):
            load_dataset("cifar10", tmp_path, base_url=server.url, progress=False)
    assert list(tmp_path.iterdir()) == []


def test_cifar10_dir_reads_an_archive_or_its_extracted_batches(tmp_path):
    data, expected = small_archive(per_batch=2)
    (tmp_path / cifar.ARCHIVE).write_bytes(data)
    from_archive = load_dataset(f"cifar10:{tmp_path}")
    with tarfile.open(tmp_path / cifar.ARCHIVE) as archive:
        archive.extractall(tmp_path / "out", filter="data")
    from_folder = load_dataset(f"cifar10:{tmp_path / 'out'}")
    for dataset in (from_archive, from_folder):
        np.testing.assert_array_equal(dataset.test_images, expected["test"])
        assert dataset.train_images.shape == (10, 32, 32, 3)


@pytest.mark.parametrize("bad, message", [
    (b"\x00" * 3000, "not a CIFAR-10 batch"),
    (b"\x00" * (3073 * 2 + 1), "not a CIFAR-10 batch"),
    (b"", "not a CIFAR-10 batch"),
    (b"\x0c" + b"\x00" * 3072, "label 12"),
])
def test_cifar10_refuses_batches_that_are_not_records_in_one_line(tmp_path, bad, message):
    data, _ = small_archive(extra={cifar.TEST_FILE: bad})
    (tmp_path / cifar.ARCHIVE).write_bytes(data)
    with pytest.raises(DatasetError, match=message):
        load_dataset(f"cifar10:{tmp_path}")


def test_shapes_are_the_same_from_the_same_seed_and_carry_their_factors():
    first, again, other = make_shapes(40, 32, seed=1), make_shapes(40, 32, seed=1), make_shapes(40, 32, seed=2)
    np.testing.assert_array_equal(first["train_images"], again["train_images"])
    assert not np.array_equal(first["train_images"], other["train_images"])
    factors = first["train_factors"]
    assert factors.shape == (40, len(FACTOR_NAMES)) and first["test_images"].shape == (4, 32, 32, 3)
    np.testing.assert_array_equal(first["train_labels"], factors[:, 0].astype(np.uint8))
    pictures = first["train_images"].astype(np.int32)
    for picture, (shape, hue, scale, x, y, _) in zip(pictures, factors):
        shown = np.abs(picture - pictures[0][0, 0]).sum(axis=2) > 60  # the shape against the background
        rows, cols = np.nonzero(shown)
        assert abs(cols.mean() / 32 - x) < 0.08 and abs(rows.mean() / 32 - y) < 0.08
    big = factors[:, 2] > 0.85
    small = factors[:, 2] < 0.6
    area = (np.abs(pictures - pictures[0][0, 0]).sum(axis=3) > 60).sum(axis=(1, 2))
    assert area[big].mean() > 2 * area[small].mean()


def test_cli_trains_on_shapes_and_the_bundle_keeps_the_factors(tmp_path, capsys):
    out = tmp_path / "shapes"
    code = main(["train", "--dataset", "shapes:64", "--epochs", "1", "--batch-size", "16", "--threads", "1",
                 "--out", str(out), "--no-progress"])
    assert code == 0
    bundle = load_bundle(out)
    assert bundle.latent_dim == 32 and bundle.channels == 3 and bundle.class_names == list(SHAPE_NAMES)
    assert bundle.meta["factor_names"] == list(FACTOR_NAMES) and bundle.factors.shape == (64, 6)
    np.testing.assert_array_equal(bundle.factors, make_shapes(64, 32, seed=0)["train_factors"])
    assert bundle.meta["network"]["likelihood"] == "gaussian-learned" and bundle.meta["preprocessing"]["source"] == "shapes"


def test_shapes_count_must_be_a_positive_whole_number(capsys):
    with pytest.raises(SystemExit) as exited:
        main(["train", "--dataset", "shapes:0", "--out", "x"])
    assert exited.value.code == 2 and "shapes:N" in capsys.readouterr().err
