"""What changes on its own in time reaches the screen through the real `App.run` loop with its idle skip
on, as a person uses it: a few actions, then the loop left alone for seconds of its clock. After a drag
and a rest the 3-d view is a full draw and the detail line is gone; a toast goes away with no input; a
dialog whose job ends shows its last message (real GL under Xvfb; the presented frames are read back)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pygame
import pytest

from latentwalk.scenes.explorer.core.commands import AddControlPoint, ShowPanels
from latentwalk.scenes.explorer.panels import session_files
from tests.bundles import make_bundle
from tests.person import PersonClock, run_as_a_person
from tests.explorer_helpers import frames, key, post_button, post_motion

SIZE = (400, 300)
PANELS_SIZE = (800, 600)
# a recording in the usual Videos folder: its outcome wraps over lines, which the dialog grows to fit
LONG_VIDEO_NAME = "/home/a-person/Videos/latentwalk-walk-20261207-165300.mp4"
FRAME = 1 / 60


def open_on_a_person_clock(gl_app, model, size, *, panels: bool, **scene_kwargs):
    from latentwalk.scenes.explorer.scene import ExplorerScene

    scene = ExplorerScene(model, device="cpu", **scene_kwargs)
    clock = PersonClock()
    app = clock.app = gl_app(scene, size=size, time_source=clock)
    scene.submit(ShowPanels(panels))
    frames(app, 2)
    return app, scene, clock


@pytest.fixture(scope="module")
def cloud_path(tmp_path_factory):
    return make_bundle(tmp_path_factory.mktemp("in_time") / "cloud", count=3_000, classes=4)


def test_after_a_drag_and_a_rest_the_view_is_a_full_draw_and_the_detail_line_is_gone(gl_app, cloud_path):
    app, scene, clock = open_on_a_person_clock(gl_app, cloud_path, SIZE, panels=False,
                                               detail={"fixed": 300, "min_points": 100})
    assert scene.layer_cache.detail.builder.wait(30) is not None
    frames(app)  # the draw order reaches the cloud: a drag now draws a subset
    centre = (SIZE[0] // 2, SIZE[1] // 2)
    script = [(0.5, lambda: post_button(pygame.MOUSEBUTTONDOWN, centre))]
    for step in range(1, 11):  # a drag over a sixth of a second
        x = centre[0] + 8 * step
        script.append((0.5 + step / 60, lambda x=x: post_motion((x, centre[1]), rel=(8, 0), buttons=(1, 0, 0))))
    script.append((0.7, lambda: post_button(pygame.MOUSEBUTTONUP, (centre[0] + 80, centre[1]))))
    script.append((0.75, lambda: pygame.event.post(pygame.event.Event(pygame.WINDOWLEAVE))))  # no hover
    shown = run_as_a_person(app, clock, script, rest_until=4.0)

    assert shown["skipped"] > 60  # the loop rested for seconds, as it does for a person
    assert scene.detail_hint_text is None and scene.layer_cache.detail.mode == "full"
    # the reference: the same view with adaptive detail off, every point drawn into a fresh layer
    scene.layer_cache.detail.enabled = False
    scene.invalidate_layer()
    frames(app, 2)
    full = app.capture(include_ui=False).astype(int)
    assert np.abs(shown["frame"] - full).max() <= 2


def test_a_toast_goes_away_with_no_input(gl_app, cloud_path, tmp_path):
    app, scene, clock = open_on_a_person_clock(gl_app, cloud_path, PANELS_SIZE, panels=True)
    panel = scene.walk_tools.session_panel
    panel.file = str(tmp_path / "walk.json")
    scene.submit(AddControlPoint(index=0))
    scene.submit(AddControlPoint(index=1))
    away = (PANELS_SIZE[0] // 2, 10)

    def save():  # Ctrl+S
        key(pygame.KEYDOWN, pygame.K_s, mod=pygame.KMOD_CTRL)
        key(pygame.KEYUP, pygame.K_s, mod=pygame.KMOD_CTRL)

    before = run_as_a_person(app, clock, [(0.1, lambda: post_motion(away))], rest_until=2.0)["frame"]
    with_toast = run_as_a_person(app, clock, [(0.2, save)], rest_until=1.0)["frame"]
    assert panel.message and not panel.failed
    shown = run_as_a_person(app, clock, [], rest_until=session_files.TOAST_SECONDS + 2.0)  # nobody touches it
    band = slice(int(PANELS_SIZE[1] * 0.70), int(PANELS_SIZE[1] * 0.90))  # where the toast sits
    assert np.abs(with_toast[band] - before[band]).sum(axis=2).max() > 60  # it was up ...
    assert np.abs(shown["frame"][band] - before[band]).max() <= 2  # ... and went away
    assert shown["skipped"] > 60


class FinishedJob:
    """Stands in for the RecordJob child (test_record_dialog runs the real one): it finishes when told,
    and no event reaches the window when it does."""

    def __init__(self, session, out, **kwargs) -> None:
        self.out = Path(out)
        self.running = True
        self.done, self.total = 0, 30

    def result(self):
        return None if self.running else (True, "recorded " + LONG_VIDEO_NAME + " (150 frames, 5.0 s, 1280x720, 412 KiB)")

    @property
    def fraction(self) -> float:
        return self.done / self.total

    def eta_seconds(self):
        return None

    def close(self) -> None:
        pass

    def cancel(self) -> None:
        pass


def test_a_dialog_whose_job_ends_shows_its_last_message(gl_app, cloud_path, tmp_path, monkeypatch):
    from latentwalk.scenes.explorer.record import record_job

    monkeypatch.setattr(record_job, "RecordJob", FinishedJob)
    app, scene, clock = open_on_a_person_clock(gl_app, cloud_path, PANELS_SIZE, panels=True)
    scene.submit(AddControlPoint(index=0))
    scene.submit(AddControlPoint(index=1))
    dialog = scene.walk_tools.record_dialog
    dialog.place = (20.0, 20.0)
    dialog.open()
    dialog.out = str(tmp_path / "walk.mp4")
    frames(app, 3)
    assert dialog.start() and dialog.recording

    def finish():
        dialog.job.running = False

    shown = run_as_a_person(app, clock, [(0.1, lambda: post_motion((PANELS_SIZE[0] // 2, 10))), (1.0, finish)],
                            rest_until=3.0)
    assert dialog.message.startswith("recorded ") and shown["skipped"] > 60
    frames(app, 4)  # drawn on, the auto-sized dialog is as it settles: the frame on screen must be that one
    x, y, w, h = (int(v) for v in dialog.rect)
    settled = app.capture(include_ui=True).astype(int)[y:y + h, x:x + w]
    assert np.abs(shown["frame"][y:y + h, x:x + w] - settled).max() <= 2
