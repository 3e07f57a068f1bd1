"""Data sets: local folders, idx:DIR, and downloads from a local HTTP server on 127.0.0.1
(wrong checksum, resume after a partial file, retry after transient failures)."""
import dataclasses
import gzip
import hashlib
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pytest

from latentwalk.vae.datasets import DATASETS, default_data_dir, download_file, fetch_dataset, load_dataset
from latentwalk.vae.errors import DatasetError, IdxError
from latentwalk.vae.idx import encode_idx
from tests.shared_data import MNIST_SUBSET, mnist_dir


class FileServer:
    """Serves `files` (name -> bytes) with Range support; `faults[name]` is a list of what the
    next requests for that name get instead of the file: 503, or ("drop", n) = send n bytes and hang up."""

    def __init__(self):
        self.files: dict[str, bytes] = {}
        self.faults: dict[str, list] = {}
        self.requests: list[tuple[str, str | None]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                name = self.path.lstrip("/")
                server.requests.append((name, self.headers.get("Range")))
                fault = server.faults.get(name, [None]).pop(0) if server.faults.get(name) else None
                if name not in server.files:
                    self.send_error(404)
                    return
                if fault == 503:
                    self.send_error(503)
                    return
                body, status = server.files[name], 200
                start = 0
                if self.headers.get("Range"):
                    start = int(self.headers["Range"].split("=")[1].split("-")[0])
                    status = 206
                self.send_response(status)
                self.send_header("Content-Length", str(len(body) - start))
                if status == 206:
                    self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
                self.end_headers()
                if isinstance(fault, tuple) and fault[0] == "drop":
                    self.wfile.write(body[start:start + fault[1]])
                    self.wfile.flush()
                    self.close_connection = True
                    return
                self.wfile.write(body[start:])

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server():
    with FileServer() as running:
        yield running


def md5(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


def small_split_files(train=12, test=5, shape=(8, 8), seed=0) -> dict[str, bytes]:
    """The four .gz files of a tiny fashion-like set."""
    rng = np.random.default_rng(seed)
    arrays = {
        "train-images-idx3-ubyte.gz": rng.integers(0, 256, (train, *shape), dtype=np.uint8),
        "train-labels-idx1-ubyte.gz": (np.arange(train) % 10).astype(np.uint8),
        "t10k-images-idx3-ubyte.gz": rng.integers(0, 256, (test, *shape), dtype=np.uint8),
        "t10k-labels-idx1-ubyte.gz": (np.arange(test) % 10).astype(np.uint8),
    }
    return {name: gzip.compress(encode_idx(array), mtime=0) for name, array in arrays.items()}


def test_download_verifies_and_renames(server, tmp_path):
    payload = b"x" * 200_000
    server.files["file.gz"] = payload
    path = download_file(server.url + "file.gz", tmp_path / "file.gz", md5(payload), progress=False)
    assert path.read_bytes() == payload
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file.gz"]


def test_wrong_checksum_is_an_error_and_leaves_no_file(server, tmp_path):
    server.files["file.gz"] = b"tampered bytes"
    with pytest.raises(DatasetError, match=r"file.gz: checksum mismatch \(md5 [0-9a-f]{32}, expected 0{32}\)"):
        download_file(server.url + "file.gz", tmp_path / "file.gz", "0" * 32, progress=False)
    assert list(tmp_path.iterdir()) == []


def test_resumes_a_partial_file_with_a_range_request(server, tmp_path):
    payload = bytes(range(256)) * 1000
    server.files["file.gz"] = payload
    (tmp_path / "file.gz.part").write_bytes(payload[:100_000])
    download_file(server.url + "file.gz", tmp_path / "file.gz", md5(payload), progress=False)
    assert (tmp_path / "file.gz").read_bytes() == payload
    assert server.requests == [("file.gz", "bytes=100000-")]
    assert not (tmp_path / "file.gz.part").exists()


def test_retries_after_transient_failures_and_resumes_where_the_connection_dropped(server, tmp_path):
    payload = bytes(range(256)) * 2000
    server.files["file.gz"] = payload
    server.faults["file.gz"] = [503, ("drop", 300_000)]
    download_file(server.url + "file.gz", tmp_path / "file.gz", md5(payload), progress=False, backoff_s=0)
    assert (tmp_path / "file.gz").read_bytes() == payload
    assert [r[1] for r in server.requests] == [None, None, "bytes=300000-"]


def test_gives_up_after_the_retries(server, tmp_path):
    server.files["file.gz"] = b"abc"
    server.faults["file.gz"] = [503] * 5
    with pytest.raises(DatasetError, match="file.gz: download failed after 3 attempts: HTTP 503"):
        download_file(server.url + "file.gz", tmp_path / "file.gz", md5(b"abc"), progress=False,
                      retries=2, backoff_s=0)
    assert not (tmp_path / "file.gz").exists()


def test_not_found_is_not_retried(server, tmp_path):
    with pytest.raises(DatasetError, match="missing.gz: HTTP 404"):
        download_file(server.url + "missing.gz", tmp_path / "missing.gz", "0" * 32, progress=False, backoff_s=0)
    assert len(server.requests) == 1


def test_fashion_mnist_downloads_from_the_env_url_and_loads(server, tmp_path, monkeypatch):
    files = small_split_files()
    server.files.update(files)
    spec = dataclasses.replace(DATASETS["fashion-mnist"], md5={name: md5(data) for name, data in files.items()})
    monkeypatch.setitem(DATASETS, "fashion-mnist", spec)
    monkeypatch.setenv("LATENTWALK_DATA_URL", server.url)
    dataset = load_dataset("fashion-mnist", tmp_path / "fashion", progress=False)
    assert dataset.train_images.shape == (12, 8, 8) and dataset.test_images.shape == (5, 8, 8)
    assert dataset.class_names[0] == "T-shirt/top" and dataset.class_names[9] == "Ankle boot"
    assert sorted(p.name for p in (tmp_path / "fashion").iterdir()) == sorted(files)
    assert len(server.requests) == 4
    load_dataset("fashion-mnist", tmp_path / "fashion", progress=False)  # present now: no download
    assert len(server.requests) == 4


def test_published_checksum_mismatch_stops_the_data_set_download(server, tmp_path):
    server.files.update(small_split_files())  # not the official files: the published md5 cannot match
    with pytest.raises(DatasetError, match="train-images-idx3-ubyte.gz: checksum mismatch"):
        fetch_dataset(DATASETS["fashion-mnist"], tmp_path, base_url=server.url, progress=False)
    assert list(tmp_path.iterdir()) == []


def test_local_fashion_files_are_accepted_by_their_idx_structure(tmp_path):
    for name, data in small_split_files(train=20, test=4).items():
        (tmp_path / name).write_bytes(data)
    dataset = load_dataset("fashion-mnist", tmp_path, download=False)
    assert len(dataset.train_labels) == 20 and dataset.class_names[6] == "Shirt"


def test_local_file_with_bad_idx_is_one_line_error(tmp_path):
    for name, data in small_split_files().items():
        (tmp_path / name).write_bytes(data)
    (tmp_path / "t10k-labels-idx1-ubyte.gz").write_bytes(gzip.compress(encode_idx(np.zeros(3, np.uint8))))
    with pytest.raises(IdxError, match="t10k-labels-idx1-ubyte.gz: 3 labels but .*t10k-images-idx3-ubyte.gz has 5"):
        load_dataset("fashion-mnist", tmp_path, download=False)


def test_mnist_from_a_local_folder_of_its_files():
    dataset = load_dataset("mnist", MNIST_SUBSET, download=False)
    assert dataset.train_images.shape == (1000, 28, 28) and dataset.test_images.shape == (200, 28, 28)
    assert dataset.source == MNIST_SUBSET and dataset.class_names == [str(d) for d in range(10)]
    assert set(dataset.test_labels.tolist()) == set(range(10))


@pytest.mark.compat
def test_real_mnist_from_the_shared_copy():
    dataset = load_dataset("mnist", mnist_dir(), download=False)
    assert dataset.train_images.shape == (60000, 28, 28) and dataset.test_images.shape == (10000, 28, 28)
    assert abs(dataset.train_images.mean() / 255 - 0.1307) < 1e-4
    assert np.bincount(dataset.train_labels).tolist() == [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
    assert dataset.class_names == [str(d) for d in range(10)]


def test_idx_folder_raw_files_with_class_names(tmp_path):
    rng = np.random.default_rng(3)
    (tmp_path / "train-images-idx3-ubyte").write_bytes(encode_idx(rng.integers(0, 255, (6, 4, 4), dtype=np.uint8)))
    (tmp_path / "train-labels-idx1-ubyte").write_bytes(encode_idx(np.array([0, 1, 2, 0, 1, 2], np.uint8)))
    (tmp_path / "t10k-images-idx3-ubyte").write_bytes(encode_idx(rng.integers(0, 255, (2, 4, 4), dtype=np.uint8)))
    (tmp_path / "t10k-labels-idx1-ubyte").write_bytes(encode_idx(np.array([2, 1], np.uint8)))
    assert load_dataset(f"idx:{tmp_path}").class_names == ["0", "1", "2"]
    (tmp_path / "class_names.txt").write_text("cat\ndog\nbird\n")
    dataset = load_dataset(f"idx:{tmp_path}")
    assert dataset.class_names == ["cat", "dog", "bird"] and dataset.name == f"idx:{tmp_path}"
    (tmp_path / "class_names.txt").write_text("cat\ndog\n")
    with pytest.raises(DatasetError, match="label 2 but only 2 class names"):
        load_dataset(f"idx:{tmp_path}")


def test_idx_folder_missing_files(tmp_path):
    with pytest.raises(DatasetError, match="missing IDX files"):
        load_dataset(f"idx:{tmp_path}")
    with pytest.raises(DatasetError, match="no such folder"):
        load_dataset(f"idx:{tmp_path / 'nope'}")


def test_unknown_name_and_download_off(tmp_path):
    with pytest.raises(DatasetError, match="unknown data set 'cifar'"):
        load_dataset("cifar")
    with pytest.raises(DatasetError, match="is not there and downloading is off"):
        load_dataset("mnist", tmp_path, download=False)


def test_default_data_dir_is_the_user_data_dir(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert default_data_dir("mnist") == tmp_path / "latentwalk" / "datasets" / "mnist"


class FullDisk:
    """A file whose writes fail with ENOSPC once `room` bytes are in it, as on a full disk."""

    def __init__(self, handle, room: int):
        self.handle, self.room = handle, room

    def write(self, data: bytes) -> int:
        if self.handle.tell() + len(data) > self.room:
            raise OSError(28, "No space left on device")
        return self.handle.write(data)

    def close(self) -> None:
        self.handle.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


@pytest.mark.parametrize("flushing", [False, True])
def test_a_local_write_error_is_not_retried_and_names_the_file(server, tmp_path, monkeypatch, flushing):
    import builtins

    import latentwalk.vae.datasets

    payload = bytes(range(256)) * 2000
    server.files["file.gz"] = payload
    real_open = builtins.open

    def open_on_a_full_disk(path, mode="r", *args, **kwargs):
        handle = real_open(path, mode, *args, **kwargs)
        if not flushing:
            return FullDisk(handle, 200_000)

        def close():  # buffered: the error only shows when the buffer is flushed
            real_close()
            raise OSError(28, "No space left on device")
        real_close, handle.close = handle.close, close
        return handle

    monkeypatch.setattr(latentwalk.vae.datasets, "open", open_on_a_full_disk, raising=False)
    partial = tmp_path / "file.gz.part"
    with pytest.raises(DatasetError) as caught:
        download_file(server.url + "file.gz", tmp_path / "file.gz", md5(payload), progress=False, backoff_s=0)
    assert str(caught.value) == f"{partial}: cannot write (No space left on device)"
    assert len(server.requests) == 1 and not (tmp_path / "file.gz").exists()
    assert payload.startswith(partial.read_bytes())  # what did land is kept for a later resume


def test_a_local_write_error_does_not_try_the_other_mirrors(server, tmp_path, monkeypatch):
    import latentwalk.vae.datasets

    files = small_split_files()
    server.files.update(files)
    spec = dataclasses.replace(DATASETS["fashion-mnist"], md5={name: md5(data) for name, data in files.items()})

    def read_only(path, mode="r", *args, **kwargs):
        raise OSError(30, "Read-only file system")

    monkeypatch.delenv("LATENTWALK_DATA_URL", raising=False)
    monkeypatch.setattr(latentwalk.vae.datasets, "open", read_only, raising=False)
    with pytest.raises(DatasetError) as caught:
        fetch_dataset(dataclasses.replace(spec, mirrors=(server.url, server.url + "second/")), tmp_path,
                      base_url=None, progress=False, backoff_s=0)
    part = tmp_path / "train-images-idx3-ubyte.gz.part"
    assert str(caught.value) == f"{part}: cannot write (Read-only file system)"
    assert len(server.requests) == 1


def test_a_failed_download_says_how_to_train_offline_in_the_same_line(server, tmp_path, monkeypatch, capsys):
    from latentwalk.cli import main

    monkeypatch.setenv("LATENTWALK_DATA_URL", server.url)  # a mirror without the files: 404, not retried
    folder = tmp_path / "mnist-files"
    code = main(["train", "--dataset", "mnist", "--data-dir", str(folder), "--out", str(tmp_path / "b"),
                 "--no-progress"])
    err = capsys.readouterr().err
    assert code == 1 and err.count("\n") == 1 and "train-images-idx3-ubyte.gz: HTTP 404" in err
    assert f"copy train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz, " \
           f"t10k-labels-idx1-ubyte.gz into {folder}" in err
    assert "--data-dir" in err and "set LATENTWALK_DATA_URL to a mirror" in err
