"""IDX parsing: good files (raw, .gz, the real MNIST labels) and every kind of bad one."""
import gzip
import random
import struct
from pathlib import Path

import numpy as np
import pytest

from latentwalk.vae.errors import IdxError
from latentwalk.vae.idx import encode_idx, parse_idx, read_idx, read_image_label_pair
from tests.shared_data import MNIST_SUBSET, mnist_dir



def write(path: Path, data: bytes, compress: bool = False) -> Path:
    path.write_bytes(gzip.compress(data) if compress else data)
    return path


def sample_images(count=5, height=4, width=8):
    return np.arange(count * height * width, dtype=np.uint8).reshape(count, height, width)


@pytest.mark.parametrize("compress", [False, True])
def test_reads_images_and_labels_raw_and_gz(tmp_path, compress):
    images, labels = sample_images(), np.array([3, 1, 4, 1, 5], np.uint8)
    suffix = ".gz" if compress else ""
    images_path = write(tmp_path / f"images{suffix}", encode_idx(images), compress)
    labels_path = write(tmp_path / f"labels{suffix}", encode_idx(labels), compress)
    got_images, got_labels = read_image_label_pair(images_path, labels_path)
    np.testing.assert_array_equal(got_images, images)
    np.testing.assert_array_equal(got_labels, labels)
    assert got_images.flags.writeable


def test_big_endian_types_round_trip(tmp_path):
    values = np.array([[1.5, -2.25], [1e6, 0.0]], np.float32)
    path = write(tmp_path / "floats", encode_idx(values))
    assert path.read_bytes()[2] == 0x0D
    np.testing.assert_array_equal(read_idx(path), values)
    ints = np.array([-70000, 70000], np.int32)
    np.testing.assert_array_equal(read_idx(write(tmp_path / "ints", encode_idx(ints))), ints)


def test_committed_mnist_subset_reads_as_digits():
    images, labels = read_image_label_pair(MNIST_SUBSET / "train-images-idx3-ubyte.gz",
                                           MNIST_SUBSET / "train-labels-idx1-ubyte.gz")
    assert images.shape == (1000, 28, 28) and labels.shape == (1000,) and labels.dtype == np.uint8
    assert set(labels.tolist()) == set(range(10))
    assert abs(images.mean() / 255 - 0.1307) < 0.01  # MNIST's pixel mean, near enough for 1000 images


@pytest.mark.compat
def test_real_mnist_test_labels():
    labels = read_idx(mnist_dir() / "t10k-labels-idx1-ubyte.gz")
    assert labels.shape == (10000,) and labels.dtype == np.uint8
    assert np.bincount(labels).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


@pytest.mark.compat
@pytest.mark.parametrize("name", ["train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
                                  "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"])
def test_committed_subset_is_the_start_of_the_real_mnist(name):
    subset = read_idx(MNIST_SUBSET / name)
    np.testing.assert_array_equal(subset, read_idx(mnist_dir() / name)[:len(subset)])


def test_truncated_data_names_the_file(tmp_path):
    data = encode_idx(sample_images())
    path = write(tmp_path / "short-images", data[:-7])
    with pytest.raises(IdxError, match=r"short-images: truncated: shape \(5, 4, 8\) needs 160 data bytes, file has 153"):
        read_idx(path)


def test_truncated_header(tmp_path):
    path = write(tmp_path / "stub", encode_idx(sample_images())[:9])
    with pytest.raises(IdxError, match="stub: truncated header"):
        read_idx(path)
    with pytest.raises(IdxError, match="tiny: truncated: 2 bytes"):
        read_idx(write(tmp_path / "tiny", b"\x00\x00"))


def test_truncated_gzip_stream(tmp_path):
    packed = gzip.compress(encode_idx(sample_images(50, 28, 28)))
    path = write(tmp_path / "cut.gz", packed[: len(packed) // 2])
    with pytest.raises(IdxError, match="cut.gz: truncated gzip stream"):
        read_idx(path)


def test_gz_name_without_gzip_data(tmp_path):
    with pytest.raises(IdxError, match="fake.gz: not a valid gzip file"):
        read_idx(write(tmp_path / "fake.gz", b"plain text, not gzip"))


@pytest.mark.parametrize("magic", [b"\x00\x01\x08\x03", b"\x00\x00\x07\x03", b"\x00\x00\x08\x00", b"\x00\x00\x08\x20"])
def test_wrong_magic(tmp_path, magic):
    data = magic + encode_idx(sample_images())[4:]
    with pytest.raises(IdxError, match="bad: wrong magic number"):
        read_idx(write(tmp_path / "bad", data))


def test_extra_bytes(tmp_path):
    with pytest.raises(IdxError, match="long: 3 unexpected bytes"):
        read_idx(write(tmp_path / "long", encode_idx(sample_images()) + b"abc"))


def test_label_image_count_mismatch(tmp_path):
    images_path = write(tmp_path / "imgs", encode_idx(sample_images(5)))
    labels_path = write(tmp_path / "labs", encode_idx(np.zeros(4, np.uint8)))
    with pytest.raises(IdxError, match=r"labs: 4 labels but .*imgs has 5 images"):
        read_image_label_pair(images_path, labels_path)


def test_wrong_ranks(tmp_path):
    flat = write(tmp_path / "flat", encode_idx(np.zeros(6, np.uint8)))
    with pytest.raises(IdxError, match=r"flat: expected uint8 images of shape \(N, H, W\)"):
        read_image_label_pair(flat, flat)


def test_missing_file(tmp_path):
    with pytest.raises(IdxError, match="nothing-here: no such file"):
        read_idx(tmp_path / "nothing-here")


def test_huge_declared_dims_fail_fast_without_allocating():
    header = bytes([0, 0, 0x0E, 4]) + struct.pack(">4I", 2**32 - 1, 2**32 - 1, 2**32 - 1, 2**32 - 1)
    with pytest.raises(IdxError, match="truncated"):
        parse_idx(header + b"\x00" * 64, "huge")


def test_fuzzed_headers_only_ever_raise_idx_error():
    rng = random.Random(1234)
    body = encode_idx(sample_images(3, 4, 4))
    outcomes = {"parsed": 0, "rejected": 0}
    for _ in range(3000):
        header_len = rng.randint(0, 24)
        data = bytearray(body)
        for _ in range(rng.randint(1, 6)):
            data[rng.randrange(min(header_len + 1, len(data)))] = rng.randrange(256)
        data = bytes(data[: rng.choice([len(data), rng.randrange(len(data) + 1)])])
        if rng.random() < 0.3:
            data = bytes(rng.randrange(256) for _ in range(rng.randint(0, 40)))
        try:
            array = parse_idx(data, "fuzz")
        except IdxError as exc:
            message = str(exc)
            assert message.startswith("fuzz: ") and "\n" not in message
            outcomes["rejected"] += 1
        else:
            assert isinstance(array, np.ndarray) and array.nbytes <= len(data)
            outcomes["parsed"] += 1
    assert outcomes["rejected"] > 1000


def test_fuzzed_gzip_files_only_ever_raise_idx_error(tmp_path):
    rng = random.Random(99)
    packed = bytearray(gzip.compress(encode_idx(sample_images(3, 4, 4))))
    path = tmp_path / "fuzz.gz"
    for _ in range(300):
        data = bytearray(packed)
        for _ in range(rng.randint(1, 4)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        path.write_bytes(bytes(data[: rng.randint(0, len(data))]))
        try:
            read_idx(path)
        except IdxError as exc:
            assert str(exc).startswith(str(path))
