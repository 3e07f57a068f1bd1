"""Every "wrote" is true: outputs on a full disk (a 64 KB tmpfs), links to devices, names that are not a
new file; what the summary says is what the disk holds, a failed write is exit 1 in one line."""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from latentwalk import cli
from latentwalk.engine.video import read_video
from tests.bundles import make_bundle


def record(*args) -> int:
    return cli.main(["record", *map(str, args)])


@pytest.fixture
def small_disk(tmp_path):
    """A 64 KB file system of its own (root in the tests' container), unmounted afterwards."""
    folder = tmp_path / "small"
    folder.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(folder)], check=True)
    try:
        yield folder
    finally:
        subprocess.run(["umount", str(folder)], check=True)


@pytest.mark.parametrize("name, crf", [("full.webm", 5), ("full.mp4", 5), ("full.gif", None)])
def test_record_on_a_full_disk_exits_1_and_says_what_the_file_holds(small_disk, capsys, name, crf):
    out = small_disk / name
    quality = ["--crf", crf] if crf is not None else []
    assert record("--through", "1,6,2,4", "--out", out, "--frames", 90, "--size", "320x240", "--layout", "image",
                  "--progress", "lines", *quality) == 1
    captured = capsys.readouterr()
    error = captured.err.strip()
    assert "\n" not in error and "No space left on device" in error, error
    assert "wrote " not in captured.out
    held = int(error.split("it holds ")[1].split(" frames")[0])
    assert 0 < held < 90
    assert len(read_video(out)[0]) == held  # the line tells what plays
    assert sorted(p.name for p in small_disk.iterdir()) == [name]


@pytest.mark.parametrize("make, message", [
    (lambda d: (d / "x.mp4").mkdir() or "x.mp4", "x.mp4: already exists"),
    (lambda d: (d / "dangling.mp4").symlink_to(d / "nowhere") or "dangling.mp4", "already exists"),
    (lambda d: (d / "loop.mp4").symlink_to(d / "loop.mp4") or "loop.mp4", "already exists"),
    (lambda d: (d / "full.webm").symlink_to("/dev/full") or "full.webm", "already exists"),
    (lambda d: "y.mp4/", "names a .mp4 video but ends in a separator"),
])
def test_record_refuses_an_output_that_is_not_a_new_file(tmp_path, capsys, make, message):
    out = tmp_path / "out"
    out.mkdir()
    name = make(out)
    before = sorted(os.listdir(out))
    assert record("--through", "1,2", "--out", f"{out}/{name}", "--frames", 3, "--size", "64x48",
                  "--layout", "image") == 1
    error = capsys.readouterr().err.strip()
    assert message in error and "\n" not in error, error
    assert sorted(os.listdir(out)) == before


def test_record_refuses_an_empty_output_path(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert record("--through", "1,2", "--out", "", "--frames", 3, "--size", "64x48", "--layout", "image") == 1
    assert "the output path is empty" in capsys.readouterr().err
    assert os.listdir(tmp_path) == []


def test_encode_refuses_a_link_to_a_device_and_a_full_disk_keeps_the_previous_file(tmp_path, small_disk, capsys):
    bundle = make_bundle(tmp_path / "b", encoder=True)
    picture = tmp_path / "p.png"
    Image.fromarray(np.zeros((28, 28), np.uint8), mode="L").save(picture)
    (tmp_path / "dev.npy").symlink_to("/dev/full")
    assert cli.main(["encode", "--model", str(bundle), "--images", str(picture), "--out", str(tmp_path / "dev.npy")]) == 1
    assert "dev.npy: is a link to nothing, a loop or a special file" in capsys.readouterr().err
    previous = small_disk / "z.npy"
    previous.write_bytes(b"x" * 1000)
    (small_disk / "filler").write_bytes(b"f" * 14 * 4096)  # one 4 KB page left of the 16
    many = [str(picture)] * 400  # 400 x 3 float32 + header: more than the page left
    assert cli.main(["encode", "--model", str(bundle), "--images", *many, "--out", str(previous)]) == 1
    error = capsys.readouterr().err.strip()
    assert "z.npy: cannot write" in error and "\n" not in error
    assert previous.read_bytes() == b"x" * 1000
    assert sorted(p.name for p in small_disk.iterdir()) == ["filler", "z.npy"]
