"""engine/video.py: files written through PyAV (and PNG folders) decoded back; refusals before any frame;
a write error mid-recording (a file-size limit standing in for a full disk) stops with one line and
leaves a file that still decodes."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from latentwalk.engine import video
from latentwalk.engine.video import VideoError, VideoWriter, check_video_target, read_video

SIZE = (96, 64)


def pattern(index: int, size=SIZE) -> np.ndarray:
    """A frame whose left part is a flat colour that changes with the index, the rest a gradient."""
    width, height = size
    frame = np.zeros((height, width, 3), np.uint8)
    frame[:, : width // 2] = ((37 * index) % 256, 120, 255 - (23 * index) % 256)
    frame[:, width // 2:] = np.linspace(0, 255, width - width // 2, dtype=np.uint8)[None, :, None]
    return frame


@pytest.mark.parametrize("name, codec", [("clip.mp4", "h264"), ("clip.webm", "vp9"), ("clip.gif", "gif"),
                                         ("frames", "png")])
def test_written_files_decode_back_with_every_frame(tmp_path, name, codec):
    out = tmp_path / name
    with VideoWriter(out, SIZE, fps=24) as writer:
        for index in range(10):
            writer.write(pattern(index))
    summary = writer.close()
    assert (summary.frames, summary.size, summary.seconds) == (10, SIZE, pytest.approx(10 / 24))
    frames, found_codec, size = read_video(out)
    assert (len(frames), found_codec, size) == (10, codec, SIZE)
    for index in (0, 5, 9):  # lossy codecs: close, and the flat colour identifies the frame
        error = np.abs(frames[index][8:56, 8:40].astype(int) - pattern(index)[8:56, 8:40]).mean()
        assert error < 6, (name, index, error)


def test_the_writer_copies_frames_so_a_reused_array_is_safe(tmp_path):
    out = tmp_path / "frames"
    buffer = np.empty((SIZE[1], SIZE[0], 3), np.uint8)
    with VideoWriter(out, SIZE, fps=10, queue_frames=2) as writer:
        for index in range(6):
            buffer[:] = pattern(index)
            writer.write(buffer)
    frames, _, _ = read_video(out)
    assert [f[0, 0, 0] for f in frames] == [pattern(i)[0, 0, 0] for i in range(6)]


@pytest.mark.parametrize("name, message", [
    ("clip.avi", "unknown video type '.avi'"),
    ("missing/clip.mp4", "folder {tmp}/missing does not exist"),
])
def test_bad_targets_are_refused_in_one_line(tmp_path, name, message):
    with pytest.raises(VideoError) as caught:
        check_video_target(tmp_path / name, SIZE, 30)
    text = str(caught.value)
    assert message.format(tmp=tmp_path) in text and str(tmp_path / name) in text and "\n" not in text


def test_an_unwritable_folder_is_refused_by_a_real_probe(tmp_path):
    # /proc refuses new files even to root, for whom permission bits do not count
    with pytest.raises(VideoError, match=r"^/proc/clip\.mp4: cannot write in /proc"):
        check_video_target("/proc/clip.mp4", SIZE, 30)


def test_odd_sizes_and_missing_encoders_are_refused(tmp_path, monkeypatch):
    with pytest.raises(VideoError, match="needs an even width and height, got 95x64"):
        check_video_target(tmp_path / "a.mp4", (95, 64), 30)
    assert check_video_target(tmp_path / "a.gif", (95, 63), 30).codec == "gif"  # GIF has no such rule
    monkeypatch.setattr(video, "encoder_available", lambda name: False)
    with pytest.raises(VideoError, match=r"a\.webm: this PyAV build has no libvpx-vp9 or libvpx encoder"):
        check_video_target(tmp_path / "a.webm", SIZE, 30)


def test_a_folder_with_frames_already_is_refused(tmp_path):
    (tmp_path / "frame_000000.png").write_bytes(b"")
    with pytest.raises(VideoError, match="already holds frame_"):
        check_video_target(tmp_path, SIZE, 30)


def test_frames_of_the_wrong_shape_are_refused(tmp_path):
    with VideoWriter(tmp_path / "a.mp4", SIZE, fps=10) as writer:
        with pytest.raises(VideoError, match=r"expected \(64, 96, 3\) uint8 frames"):
            writer.write(np.zeros((64, 95, 3), np.uint8))
        writer.write(pattern(0))
    assert len(read_video(tmp_path / "a.mp4")[0]) == 1


def test_a_full_disk_stops_with_one_line_and_the_file_still_plays(tmp_path):
    """RLIMIT_FSIZE makes writes past a size fail (EFBIG) as a full disk would (ENOSPC)."""
    out = tmp_path / "cut.mp4"
    script = textwrap.dedent(f"""
        import resource, signal, sys
        import numpy as np
        from latentwalk.engine.video import VideoError, VideoWriter
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (200_000, 200_000))
        rng = np.random.default_rng(0)
        writer = VideoWriter({str(out)!r}, (160, 96), fps=10)
        try:
            for index in range(400):
                writer.write(rng.integers(0, 256, (96, 160, 3), dtype=np.uint8))
        except VideoError as exc:
            print(exc)
            writer.close(raise_error=False)
            sys.exit(3)
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120,
                          cwd=Path(__file__).resolve().parents[1])
    assert done.returncode == 3, done.stderr
    line = done.stdout.strip()
    assert line.startswith(f"{out}: writing stopped after ") and "File too large" in line and "\n" not in line
    assert os.path.getsize(out) <= 200_000
    frames, codec, size = read_video(out)
    assert codec == "h264" and size == (160, 96) and len(frames) >= 1
