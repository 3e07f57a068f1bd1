"""Recording from the app: the Walk panel's Record button opens the dialog, Start runs `latentwalk
record` on the current walk in a child process while the window keeps drawing frames, progress comes
back, Cancel stops it with a playable file; a bad output is refused in the dialog at once."""
from __future__ import annotations

import time

import pytest

from latentwalk.engine.video import read_video
from latentwalk.scenes.explorer.core.commands import AddControlPoint
from latentwalk.scenes.explorer.session.session import ControlPoint, Session
from tests.bundles import make_bundle
from tests.explorer_helpers import WALK_SIZE, click, click_item, frames, open_explorer, show_only_walk_panels


@pytest.fixture(scope="module")
def bundle_path(tmp_path_factory):
    return make_bundle(tmp_path_factory.mktemp("record-dialog") / "tiny", count=200, classes=3)


def wait_for(condition, seconds: float = 120.0, step=None) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        if step is not None:
            step()
        time.sleep(0.02)
    return False


def test_a_job_records_the_session_and_reports_progress(bundle_path, tmp_path):
    from latentwalk.scenes.explorer.record.record_job import RecordJob

    session = Session(model=str(bundle_path), control_points=[ControlPoint(index=0), ControlPoint(index=1)])
    job = RecordJob(session, tmp_path / "w.mp4", layout="image", size=(96, 64), fps=10, seconds=0.8)
    try:
        assert wait_for(lambda: job.result() is not None)
        ok, line = job.result()
        assert ok and line.startswith(f"recorded {tmp_path / 'w.mp4'}: 8 frames, 0.80 s at 10 fps, 96x64"), line
        assert (job.done, job.total, job.fraction) == (8, 8, 1.0)
    finally:
        job.close()
    frames_, codec, size = read_video(tmp_path / "w.mp4")
    assert (len(frames_), codec, size) == (8, "h264", (96, 64))


def test_cancel_stops_the_child_and_the_file_plays_what_was_written(bundle_path, tmp_path):
    from latentwalk.scenes.explorer.record.record_job import RecordJob

    session = Session(model=str(bundle_path), control_points=[ControlPoint(index=0), ControlPoint(index=1)])
    job = RecordJob(session, tmp_path / "long.mp4", layout="image", size=(96, 64), fps=30, seconds=3000)
    try:
        assert wait_for(lambda: job.done >= 10)
        assert job.eta_seconds() > 0
        job.cancel()
        assert job.wait(60)
        ok, line = job.result()
        assert not ok and line.startswith("recording cancelled; ") and "frames" in line, (job.process.returncode, job.errors, line)
    finally:
        job.close()
    written = int(line.split(": ")[1].split(" frames")[0])
    assert written >= 10 and len(read_video(tmp_path / "long.mp4")[0]) == written


def test_a_cancel_before_the_child_is_under_way_reads_as_cancelled(bundle_path, tmp_path):
    """Cancelled at once: SIGINT may reach the child before Python set up its handler, which kills it
    (status -2, not 130); the person pressed Cancel, so that is what the dialog says."""
    from latentwalk.scenes.explorer.record.record_job import RecordJob

    session = Session(model=str(bundle_path), control_points=[ControlPoint(index=0), ControlPoint(index=1)])
    job = RecordJob(session, tmp_path / "early.mp4", layout="image", size=(96, 64), fps=30, seconds=3000)
    try:
        job.cancel()
        assert job.wait(60)
        ok, line = job.result()
        assert not ok and line.startswith("recording cancelled"), (job.process.returncode, line)
    finally:
        job.close()


def test_the_record_button_opens_the_dialog_which_records_while_the_window_draws(gl_app, bundle_path, tmp_path):
    app, scene = open_explorer(gl_app, bundle_path, WALK_SIZE, panels=True, data_dir=None)
    walk = scene.walk_tools
    show_only_walk_panels(scene, walk)
    scene.panels.append(walk.record_dialog)
    for index in (0, 1, 2):
        scene.submit(AddControlPoint(index=index))
    frames(app, 4)
    click_item(app, walk.walk_panel, "record")
    dialog = walk.record_dialog
    assert dialog.visible and dialog.out.endswith(".mp4")
    dialog.place = (20, 150)
    frames(app, 2)
    dialog.out, dialog.size, dialog.fps, dialog.seconds, dialog.layout = (
        str(tmp_path / "app.mp4"), (640, 360), 10, 1.0, "image")  # the 3-d child: test_record.py
    click_item(app, dialog, "start")
    assert dialog.recording, dialog.message
    drawn_before = app.frame_index
    seen = set()

    def step() -> None:
        frames(app)
        seen.add(dialog.job.done)

    assert wait_for(lambda: not dialog.recording and bool(dialog.message), step=step)
    frames(app, 2)
    assert app.frame_index - drawn_before > 10  # the window went on drawing while the child recorded
    assert len(seen) > 1  # and the progress it showed moved
    assert not dialog.failed and dialog.message.startswith(f"recorded {tmp_path / 'app.mp4'}: 10 frames"), \
        dialog.message
    assert read_video(tmp_path / "app.mp4")[1:] == ("h264", (640, 360))


def test_a_bad_output_or_no_walk_is_refused_in_the_dialog(gl_app, bundle_path, tmp_path):
    app, scene = open_explorer(gl_app, bundle_path, WALK_SIZE, panels=True, data_dir=None)
    dialog = scene.walk_tools.record_dialog
    dialog.open()
    dialog.out = str(tmp_path / "walk.mp4")
    assert not dialog.start() and dialog.message == "add control points to the walk first"
    scene.submit(AddControlPoint(index=0))
    frames(app, 2)
    dialog.out = str(tmp_path / "walk.avi")
    assert not dialog.start() and "walk.avi: unknown video type '.avi'" in dialog.message
    assert dialog.job is None


def test_each_start_records_a_new_video_and_a_file_already_there_is_kept(gl_app, bundle_path, tmp_path):
    app, scene = open_explorer(gl_app, bundle_path, WALK_SIZE, panels=True, data_dir=None)
    walk = scene.walk_tools
    show_only_walk_panels(scene, walk)
    scene.panels.append(walk.record_dialog)
    for index in (0, 1):
        scene.submit(AddControlPoint(index=index))
    frames(app, 2)
    click_item(app, walk.walk_panel, "record")
    dialog = walk.record_dialog
    dialog.place = (20, 150)
    theirs = tmp_path / "walk.mp4"
    theirs.write_bytes(b"someone's video")
    dialog.out, dialog.size, dialog.fps, dialog.layout = str(theirs), (640, 360), 10, "image"
    recorded = []
    for seconds in (0.3, 0.4):
        dialog.seconds = seconds
        frames(app, 2)
        click_item(app, dialog, "start")
        assert dialog.recording, dialog.message
        recorded.append(dialog.job.out)
        assert dialog.out == str(dialog.job.out)  # the name it records to is the one shown
        assert wait_for(lambda: not dialog.recording and bool(dialog.message), step=lambda: frames(app))
        assert not dialog.failed and dialog.message.startswith(f"recorded {recorded[-1]}: "), dialog.message
    assert recorded == [tmp_path / "walk-2.mp4", tmp_path / "walk-3.mp4"]
    assert theirs.read_bytes() == b"someone's video"
    assert [len(read_video(path)[0]) for path in recorded] == [3, 4]
