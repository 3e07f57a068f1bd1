"""`latentwalk record`: walks rendered offline into files that are decoded back with PyAV; refusals come
before any rendering; Ctrl+C mid-recording leaves a file that plays every frame written."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from latentwalk import cli
from latentwalk.engine.video import read_video
from latentwalk.scenes.explorer.walk.curve import Curve
from latentwalk.scenes.explorer.record.record_frames import (BACKGROUND_RGB, caption_mask, draw_inset, image_panel,
                                               nearest_points, to_rgb_u8, walk_fractions)
from latentwalk.vae.bundle import load_bundle
from latentwalk.vae.decode import decode_latents

ROOT = Path(__file__).resolve().parents[1]
THROUGH = (1, 6, 2)  # MNIST indices of a 1, a 1 and a 4: the images change along the walk


def record(*args) -> int:
    return cli.main(["record", *map(str, args)])


def image_region(frame: np.ndarray, image_shape=(28, 28)) -> np.ndarray:
    """The decoded image inside an image-layout frame, shrunk back to its own pixels (block means)."""
    differs = np.abs(frame.astype(int) - BACKGROUND_RGB).sum(axis=2) > 30
    rows = np.flatnonzero(differs.any(axis=1))
    image_rows = rows[:np.argmax(np.diff(np.append(rows, rows[-1] + 2)) > 1) + 1]  # the first run: not the caption
    columns = np.flatnonzero(differs[image_rows].any(axis=0))
    top, left = image_rows[0], columns[0]
    factor = (columns[-1] - left + 1) // image_shape[1]
    block = frame[top:top + factor * image_shape[0], left:left + factor * image_shape[1], 0].astype(np.float32)
    return block.reshape(image_shape[0], factor, image_shape[1], factor).mean(axis=(1, 3)) / 255.0


# -- the timeline and the 2-d layouts ------------------------------------------------------------------
def test_frames_sit_at_equal_steps_open_walks_reach_the_end_closed_ones_do_not_repeat():
    np.testing.assert_allclose(walk_fractions(5, closed=False), [0, 0.25, 0.5, 0.75, 1])
    np.testing.assert_allclose(walk_fractions(4, closed=True), [0, 0.25, 0.5, 0.75])
    np.testing.assert_allclose(walk_fractions(1, closed=False), [0])


def test_nearest_points_match_a_brute_force():
    rng = np.random.default_rng(3)
    data, queries = rng.normal(size=(500, 3)), rng.normal(size=(70, 3))
    brute = np.argmin(((queries[:, None] - data[None]) ** 2).sum(axis=2), axis=1)
    np.testing.assert_array_equal(nearest_points(queries, data), brute)


def test_image_panel_enlarges_sharp_and_captions_below():
    image = np.zeros((4, 4, 3), np.uint8)
    image[0, 0] = 255
    panel = image_panel(image, "seven", (200, 120))
    assert panel.shape == (120, 200, 3)
    lit = np.argwhere(panel[:, :, 0] == 255)
    factor = int(0.78 * 120 / 4)
    assert np.ptp(lit[:, 0]) + 1 == factor and np.ptp(lit[:, 1]) + 1 == factor  # one pixel, a factor-sized block
    image_bottom = lit[:, 0].min() + 4 * factor
    assert (panel[image_bottom - 1, :, :] == 0).any() and not (panel[image_bottom, :, :] == 0).any()
    assert (panel[image_bottom:, :, 1] > 100).any()  # the caption, light grey, below the image
    assert caption_mask("seven", 20).max() > 0.9


def test_the_inset_sits_in_the_bottom_right_corner():
    frame = np.zeros((360, 640, 3), np.uint8)
    draw_inset(frame, np.full((28, 28, 3), 255, np.uint8), "3")
    white = np.argwhere(frame.min(axis=2) == 255)
    assert white[:, 0].max() > 340 and white[:, 1].max() > 620
    assert white[:, 1].min() > 640 - 130 and frame[:200, :400].max() == 0


# -- the command ------------------------------------------------------------------------------------
def test_image_layout_frames_show_each_steps_own_decoded_image(tmp_path, capsys):
    out = tmp_path / "walk.mp4"
    assert record("--through", "1,6,2", "--out", out, "--frames", 9, "--size", "320x240",
                  "--layout", "image", "--crf", 8) == 0
    printed = capsys.readouterr().out
    assert f"wrote {out}: 9 frames, 0.30 s at 30 fps, 320x240 libx264" in printed
    frames, codec, size = read_video(out)
    assert (len(frames), codec, size) == (9, "h264", (320, 240))

    bundle = load_bundle("mnist")
    curve = Curve(bundle.latents[list(THROUGH)].astype(np.float64))
    expected = decode_latents(bundle.load_decoder("cpu"), np.stack([curve.at(t) for t in np.linspace(0, 1, 9)]))
    shown = np.stack([image_region(f) for f in frames])
    errors = np.abs(shown[:, None] - expected[None]).mean(axis=(2, 3))  # errors[frame, step]
    assert errors.diagonal().max() < 0.02  # its own step, up to encoding error
    assert (errors.argmin(axis=1) == np.arange(9)).all()  # and closer to it than to any other step
    assert np.abs(np.diff(shown, axis=0)).mean(axis=(1, 2)).min() > 0.002  # the walk moves every frame


def test_the_caption_says_it_names_the_nearest_training_image():
    from latentwalk.scenes.explorer.record.record_frames import WalkFrames, nearest_caption, with_article

    assert [with_article(n) for n in ("4", "8", "11", "7", "Ankle boot", "T-shirt/top", "Coat")] == \
        ["a 4", "an 8", "an 11", "a 7", "an Ankle boot", "a T-shirt/top", "a Coat"]
    bundle = load_bundle("mnist")
    frames = WalkFrames(bundle, Curve(bundle.latents[list(THROUGH)].astype(np.float64)), walk_fractions(3, False))
    nearest = nearest_points(frames.latents(0, 3), bundle.latents)
    for index in range(3):
        label = bundle.class_names[int(bundle.labels[nearest[index]])]
        assert frames.caption(index) == nearest_caption(label) == f"nearest training image: {with_article(label)}"


@pytest.mark.parametrize("layout", ["image", "inset"])
def test_a_long_caption_fits_the_frame_whole(layout):
    from latentwalk.scenes.explorer.record.record_frames import CAPTION_EDGE_PX, INSET_BORDER_RGB

    black = np.zeros((28, 28, 3), np.uint8)  # the caption is then the only bright thing but the inset's border
    caption = "nearest training image: an Ankle boot"
    if layout == "image":
        frame = image_panel(black, caption, (200, 240))
        rows = slice(None)
    else:
        frame = np.zeros((240, 200, 3), np.uint8)
        draw_inset(frame, black, caption)
        border_top = np.flatnonzero(np.all(frame == INSET_BORDER_RGB, axis=2).any(axis=1))[0]
        rows = slice(0, border_top)  # the caption sits above the inset
    bright = frame[rows].max(axis=2) > 100
    columns = np.flatnonzero(bright.any(axis=0))
    assert columns.size > 60  # the caption is drawn, as wide as such a line is
    assert columns.min() >= CAPTION_EDGE_PX and columns.max() <= frame.shape[1] - 1 - CAPTION_EDGE_PX  # whole


def test_record_through_accepts_classes_as_walk_does(tmp_path):
    from latentwalk.subcommands._through import typical_point
    from latentwalk.subcommands.record import plan_from_args

    args = cli.build_parser().parse_args(["record", "--through", "class:9,4,class:4", "--out", str(tmp_path / "w.gif")])
    bundle = load_bundle("mnist")
    plan = plan_from_args(args)
    assert list(plan.through) == [typical_point(bundle.latents, bundle.labels, 9), 4,
                                  typical_point(bundle.latents, bundle.labels, 4)]
    assert bundle.labels[plan.through[0]] == 9 and bundle.labels[plan.through[2]] == 4


def test_png_folder_and_gif_targets(tmp_path):
    assert record("--through", "1,6", "--out", tmp_path / "frames", "--frames", 3, "--size", "64x48",
                  "--layout", "image") == 0
    assert sorted(p.name for p in (tmp_path / "frames").iterdir()) == [f"frame_00000{i}.png" for i in range(3)]
    assert record("--through", "1,6", "--out", tmp_path / "w.gif", "--seconds", 0.2, "--fps", 10,
                  "--size", "63x47", "--layout", "image") == 0
    frames, codec, size = read_video(tmp_path / "w.gif")
    assert (len(frames), codec, size) == (2, "gif", (63, 47))


@pytest.mark.parametrize("out, message", [
    ("missing/walk.mp4", "missing/walk.mp4: folder"),
    ("walk.mov", "walk.mov: unknown video type '.mov'"),
    ("/proc/walk.mp4", "/proc/walk.mp4: cannot write in /proc"),
])
def test_a_bad_output_is_refused_before_anything_renders(tmp_path, capsys, monkeypatch, out, message):
    import latentwalk.engine.headless as headless
    import latentwalk.scenes.explorer.record.recording as recording

    def must_not_run(*args, **kwargs):
        raise AssertionError("rendering started for an output that cannot be written")

    monkeypatch.setattr(headless, "choose_gl_mode", must_not_run)
    monkeypatch.setattr(recording.WalkRecorder, "__init__", must_not_run)
    target = out if out.startswith("/") else tmp_path / out
    assert record("--through", "1,2", "--out", target, "--frames", 3) == 1
    error = capsys.readouterr().err.strip()
    assert error.startswith("latentwalk record: error: ") and message in error and "\n" not in error


def test_an_existing_video_is_refused_before_anything_renders_and_kept(tmp_path, capsys, monkeypatch):
    import latentwalk.scenes.explorer.record.recording as recording

    def must_not_run(*args, **kwargs):
        raise AssertionError("rendering started for an output that is someone's file")

    monkeypatch.setattr(recording.WalkRecorder, "__init__", must_not_run)
    theirs = tmp_path / "walk.mp4"
    theirs.write_bytes(b"someone's video")
    assert record("--through", "1,2", "--out", theirs, "--frames", 3, "--layout", "image") != 0
    error = capsys.readouterr().err.strip()
    assert f"{theirs}: already exists; choose another name or remove it first" in error and "\n" not in error
    assert theirs.read_bytes() == b"someone's video"


def test_bad_walks_and_crf_are_refused_in_one_line(tmp_path, capsys):
    out = tmp_path / "w.mp4"
    assert record("--through", "1,99999999", "--out", out, "--frames", 3) == 2
    assert "--through: index 99999999 is out of range" in capsys.readouterr().err
    assert record("--through", "1,2", "--out", out, "--frames", 3, "--crf", 70) == 2
    assert "--crf 70 is out of range for libx264 (0..51)" in capsys.readouterr().err
    assert not out.exists()


@pytest.mark.parametrize("signum, status", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_ctrl_c_or_sigterm_closes_the_file_which_plays_every_frame_written(tmp_path, signum, status):
    out = tmp_path / "cut.mp4"
    child = subprocess.Popen(
        [sys.executable, "-m", "latentwalk", "record", "--through", "1,6,2,4", "--out", str(out),
         "--frames", "100000", "--size", "160x96", "--layout", "image", "--progress", "lines"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
        env={**os.environ, "PYTHONUNBUFFERED": "1"})
    for line in child.stdout:  # ends early only if the child dies, which the asserts below report
        if line.startswith("frame 40 "):
            break
    child.send_signal(signum)
    rest, err = child.communicate(timeout=120)
    assert child.returncode == status, err
    summary = next(line for line in rest.splitlines() if line.startswith("wrote "))
    written = int(summary.split(": ")[1].split(" frames")[0])
    assert written >= 40
    assert "cut short after" in err and "plays what was written" in err
    frames, codec, size = read_video(out)
    assert (len(frames), codec, size) == (written, "h264", (160, 96))


# -- the 3-d layouts, rendered for real in the tests' window -------------------------------------------
class ListSink:
    def __init__(self) -> None:
        self.frames: list[np.ndarray] = []

    def write(self, frame: np.ndarray) -> None:
        self.frames.append(frame.copy())


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory):
    from tests.bundles import make_bundle

    return str(make_bundle(tmp_path_factory.mktemp("record") / "tiny", count=300, classes=3))


def recorded(gl_window, gl_ui, **plan_args):
    from latentwalk.scenes.explorer.record.recording import RecordPlan, WalkRecorder

    recorder = WalkRecorder(RecordPlan(**plan_args), window=gl_window, ui=gl_ui)
    sink = ListSink()
    try:
        recorder.record(sink)
        return recorder, sink.frames
    finally:
        recorder.close()


def test_view_layout_moves_the_marker_and_insets_each_frames_own_image(gl_window, gl_ui, tiny_model):
    recorder, frames = recorded(gl_window, gl_ui, model=tiny_model, through=(0, 1, 2), frames=5,
                                size=(240, 160), layout="view")
    assert len(frames) == 5 and all(f.shape == (160, 240, 3) for f in frames)
    from latentwalk.scenes.explorer.record.record_frames import inset_size, upscale

    factor = inset_size(160, 28)
    for index, frame in enumerate(frames):
        own = upscale(recorder.frames.rgb(index), factor)
        margin = max(4, 160 // 48)
        shown = frame[160 - margin - own.shape[0]:160 - margin, 240 - margin - own.shape[1]:240 - margin]
        np.testing.assert_array_equal(shown, own)
    left = [f[:, :240 - 80] for f in frames]  # the 3-d view beside the inset: the marker moves
    assert all(np.abs(a.astype(int) - b).sum() > 0 for a, b in zip(left, left[1:]))


def test_with_panels_the_output_panel_shows_each_frames_own_image(gl_window, gl_ui, tiny_model):
    from latentwalk.scenes.explorer.record.recording import RecordPlan, WalkRecorder

    recorder = WalkRecorder(RecordPlan(model=tiny_model, through=(0, 1, 2), frames=4, size=(480, 320),
                                       layout="view", ui=True), window=gl_window, ui=gl_ui)
    shown = []

    class OutputSink(ListSink):
        def write(self, frame):
            super().write(frame)
            shown.append(np.array(recorder.scene.output_images.decoded_slot.image, copy=True))

    try:
        recorder.record(OutputSink())
        expected = [recorder.frames.image(i) for i in range(4)]
    finally:
        recorder.close()
    for index in range(4):  # decoded one at a time by the scene's worker vs in a batch here: same numbers
        np.testing.assert_allclose(shown[index], expected[index], atol=1e-4)


def test_split_layout_puts_the_view_left_and_the_image_right(gl_window, gl_ui, tiny_model):
    recorder, frames = recorded(gl_window, gl_ui, model=tiny_model, through=(0, 1), frames=2, size=(320, 160),
                                layout="split", orbit_degrees=90)
    from latentwalk.scenes.explorer.record.record_frames import image_panel

    for index, frame in enumerate(frames):
        assert frame.shape == (160, 320, 3)
        expected = image_panel(recorder.frames.rgb(index), recorder.frames.caption(index), (160, 160))
        np.testing.assert_array_equal(frame[:, 160:], expected)
    assert np.abs(frames[0][:, :160].astype(int) - frames[1][:, :160]).sum() > 0  # turned 90 degrees


def test_the_command_records_the_3d_view_with_no_display(tmp_path, tiny_model):
    out = tmp_path / "view.mp4"
    env = {k: v for k, v in os.environ.items() if k != "DISPLAY"}
    done = subprocess.run([sys.executable, "-m", "latentwalk", "record", "--model", tiny_model, "--through",
                           "0,1,2", "--out", str(out), "--frames", "6", "--size", "128x96", "--orbit", "30"],
                          capture_output=True, text=True, cwd=ROOT, env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "rendering on " in done.stderr and "%" in done.stderr  # the mode found, and the progress bar
    assert f"wrote {out}: 6 frames, 0.20 s at 30 fps, 128x96 libx264" in done.stdout
    frames, codec, size = read_video(out)
    assert (len(frames), codec, size) == (6, "h264", (128, 96))
    assert all(np.abs(a.astype(int) - b).mean() > 0.05 for a, b in zip(frames, frames[1:]))


def test_a_session_file_gives_the_walk_and_the_model(tmp_path, capsys):
    from latentwalk.scenes.explorer.session.session import ControlPoint, CurveSettings, Session, save_session

    session = tmp_path / "walk.json"
    save_session(session, Session(model="mnist", control_points=[ControlPoint(index=6), ControlPoint(index=2)],
                                  curve=CurveSettings(kind="linear", closed=False, steps=10)))
    out = tmp_path / "frames"
    assert record("--session", session, "--out", out, "--frames", 3, "--size", "96x96", "--layout", "image") == 0
    frames, _, _ = read_video(out)
    bundle = load_bundle("mnist")
    ends = decode_latents(bundle.load_decoder("cpu"), bundle.latents[[6, 2]])
    assert np.abs(image_region(frames[0]) - ends[0]).mean() < 0.01  # PNG: only the 8-bit rounding
    assert np.abs(image_region(frames[2]) - ends[1]).mean() < 0.01
    assert record("--session", tmp_path / "none.json", "--out", tmp_path / "x.mp4", "--frames", 2) == 1
    assert "none.json: cannot read session file" in capsys.readouterr().err


def test_a_full_disk_mid_recording_exits_1_with_a_file_that_plays(tmp_path):
    """RLIMIT_FSIZE makes writes past 60 kB fail (EFBIG) as a full disk would (ENOSPC)."""
    import resource

    def limit_file_size() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (60_000, 60_000))

    out = tmp_path / "full.mp4"
    done = subprocess.run([sys.executable, "-m", "latentwalk", "record", "--through", "1,6,2,4", "--out", str(out),
                           "--frames", "3000", "--size", "320x240", "--layout", "image", "--crf", "0"],
                          capture_output=True, text=True, cwd=ROOT, timeout=300, preexec_fn=limit_file_size,
                          env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"})
    assert done.returncode == 1, done.stderr
    assert f"{out}: writing stopped after " in done.stderr and "File too large" in done.stderr
    assert "the recording was cut short after" in done.stderr
    frames, codec, size = read_video(out)
    assert codec == "h264" and size == (320, 240) and len(frames) >= 1
