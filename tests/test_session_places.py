"""Sessions as a newcomer meets them: saved into the documents folder (not the working directory) with a
visible message, the place remembered for the next start, Enter in the path field loads, a recent-files
list, Clear undone by Ctrl+Z, and quitting with unsaved work autosaves it for the next start to offer
back. Real explorer under Xvfb, posted events, pixels read back."""
from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pygame
import pytest

from latentwalk.scenes.explorer.core.commands import AddControlPoint
from latentwalk.scenes.explorer.panels.session_files import PLACES_FILE, SessionPlaces, autosave_file, documents_dir
from latentwalk.engine.ui import config_dir
from tests.bundles import make_bundle
from tests.explorer_helpers import (WALK_SIZE, click_item, frames, key, open_explorer, show_only_walk_panels,
                                    type_text)


@pytest.fixture(scope="module")
def bundle_path(tmp_path_factory):
    return make_bundle(tmp_path_factory.mktemp("places") / "four", count=120, classes=4)


@pytest.fixture(autouse=True)
def fresh_places(tmp_path, tmp_path_factory, monkeypatch):
    """No remembered places, autosave or documents from elsewhere; a working directory that must stay empty."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("LATENTWALK_DOCUMENTS_DIR", str(tmp_path_factory.mktemp("documents")))
    for leftover in (config_dir() / PLACES_FILE, autosave_file()):
        leftover.unlink(missing_ok=True)
    yield
    for leftover in (config_dir() / PLACES_FILE, autosave_file()):
        leftover.unlink(missing_ok=True)


def explorer(gl_app, bundle_path):
    app, scene = open_explorer(gl_app, bundle_path, WALK_SIZE, panels=True)
    show_only_walk_panels(scene, scene.walk_tools)
    frames(app, 3)
    return app, scene


def shortcut(app, code, mod=pygame.KMOD_CTRL):
    key(pygame.KEYDOWN, code, mod=mod)
    frames(app)
    key(pygame.KEYUP, code, mod=mod)
    frames(app, 2)


def points(scene):
    return [p.index for p in scene.walk_tools.path.points]


def ctrl_s_through_the_loop(app):
    """Ctrl+S pressed and released, the events handled by the App's own loop."""
    for kind in (pygame.KEYDOWN, pygame.KEYUP):
        key(kind, pygame.K_s, mod=pygame.KMOD_CTRL)
    app.run(frames=3)


def saved_points(file: Path) -> list[int]:
    return [point["index"] for point in json.loads(file.read_text())["control_points"]]


def test_ctrl_s_saves_into_the_documents_folder_says_where_and_the_next_start_remembers(gl_app, bundle_path,
                                                                                        tmp_path):
    app, scene = explorer(gl_app, bundle_path)
    panel = scene.walk_tools.session_panel
    expected = documents_dir() / "latentwalk-session.json"
    assert panel.file == str(expected)
    scene.submit(AddControlPoint(index=3))
    frames(app)
    before = app.capture(include_ui=True)
    shortcut(app, pygame.K_s)
    assert expected.is_file() and list(tmp_path.iterdir()) == []  # nothing in the working directory
    assert panel.message == f"saved to {expected}" and not panel.failed
    # the message shows over the view (bottom centre), though the Session panel may be collapsed
    after = app.capture(include_ui=True)
    height = WALK_SIZE[1]
    band = slice(int(height * 0.74), int(height * 0.86))
    changed = np.abs(after[band].astype(int) - before[band].astype(int)).sum(axis=-1) > 60
    assert changed.sum() > 200
    greenish = (after[band][..., 1].astype(int) - after[band][..., 0].astype(int) > 60) & changed
    assert greenish.sum() > 20  # the success colour
    frames(app, int(5 / (1 / 60)))  # it goes away after a few seconds
    assert not (np.abs(app.capture(include_ui=True)[band].astype(int) - before[band].astype(int)).sum(axis=-1)
                > 60).sum() > 200
    assert SessionPlaces().last == str(expected)
    elsewhere = tmp_path / "kept" / "mine.json"
    panel.file = str(elsewhere)
    shortcut(app, pygame.K_s)
    assert elsewhere.is_file()  # folders made as needed
    app.close()
    app, scene = explorer(gl_app, bundle_path)
    assert scene.walk_tools.session_panel.file == str(elsewhere)  # the next start offers the last place
    assert scene.walk_tools.session_panel.places.recent[:2] == [str(elsewhere), str(expected)]


def test_enter_in_the_path_field_loads_and_the_recent_list_loads_too(gl_app, bundle_path, tmp_path):
    app, scene = explorer(gl_app, bundle_path)
    panel = scene.walk_tools.session_panel
    for name, indexes in (("one.json", (3, 7)), ("two.json", (11, 12, 13))):
        scene.walk_tools.path.clear()
        for index in indexes:
            scene.submit(AddControlPoint(index=index))
        frames(app)
        panel.file = str(tmp_path / name)
        assert panel.save()
    scene.walk_tools.path.clear()
    frames(app)
    panel.file = ""
    frames(app)
    click_item(app, panel, "file")
    type_text(app, str(tmp_path / "one.json"))
    shortcut(app, pygame.K_RETURN, 0)
    assert points(scene) == [3, 7] and panel.message == f"loaded {tmp_path / 'one.json'}"
    click_item(app, panel, "recent")  # newest first: one.json (just loaded), then two.json
    frames(app, 2)
    click_item(app, panel, "recent1")
    frames(app, 2)
    assert points(scene) == [11, 12, 13] and panel.file == str(tmp_path / "two.json")


def test_ctrl_s_in_a_later_run_saves_beside_the_earlier_session_then_updates_its_own_file(gl_app, bundle_path):
    app, scene = explorer(gl_app, bundle_path)
    for index in (3, 7, 9, 11, 13):
        scene.submit(AddControlPoint(index=index))
    frames(app)
    ctrl_s_through_the_loop(app)
    first = documents_dir() / "latentwalk-session.json"
    assert saved_points(first) == [3, 7, 9, 11, 13]
    app.close()

    app, scene = explorer(gl_app, bundle_path)  # a later run: the field offers the same file
    panel = scene.walk_tools.session_panel
    assert panel.file == str(first)
    for index in (20, 21):
        scene.submit(AddControlPoint(index=index))
    frames(app)
    ctrl_s_through_the_loop(app)
    second = documents_dir() / "latentwalk-session-2.json"
    assert saved_points(first) == [3, 7, 9, 11, 13]  # the earlier run's walk is still there
    assert saved_points(second) == [20, 21] and panel.file == str(second) and not panel.failed
    assert panel.message == f"saved to {second} (latentwalk-session.json kept)"
    scene.submit(AddControlPoint(index=22))
    frames(app)
    ctrl_s_through_the_loop(app)  # this run's own file: updated, no third name
    assert saved_points(second) == [20, 21, 22] and saved_points(first) == [3, 7, 9, 11, 13]
    assert sorted(p.name for p in documents_dir().iterdir()) == ["latentwalk-session-2.json",
                                                                  "latentwalk-session.json"]


def test_a_file_this_run_did_not_write_is_replaced_only_when_the_person_confirms(gl_app, bundle_path, tmp_path):
    theirs = tmp_path / "kept" / "theirs.json"
    theirs.parent.mkdir()
    theirs.write_text("not even a session: whatever is here is someone's\n")
    app, scene = explorer(gl_app, bundle_path)
    panel = scene.walk_tools.session_panel
    for index in (4, 5):
        scene.submit(AddControlPoint(index=index))
    panel.file = str(theirs)
    frames(app)
    click_item(app, panel, "save")
    copy = tmp_path / "kept" / "theirs-2.json"
    assert theirs.read_text() == "not even a session: whatever is here is someone's\n"
    assert saved_points(copy) == [4, 5] and panel.file == str(copy)
    click_item(app, panel, "replace")  # the explicit question's answer
    assert saved_points(theirs) == [4, 5] and not copy.exists() and panel.file == str(theirs)
    assert panel.message == f"saved to {theirs}" and panel.kept is None
    scene.submit(AddControlPoint(index=6))
    frames(app)
    ctrl_s_through_the_loop(app)  # replaced on the person's word: this run's file from now on
    assert saved_points(theirs) == [4, 5, 6] and not copy.exists()


def test_clear_is_undone_by_ctrl_z(gl_app, bundle_path):
    app, scene = explorer(gl_app, bundle_path)
    for index in (3, 7, 9):
        scene.submit(AddControlPoint(index=index))
    frames(app, 2)
    click_item(app, scene.walk_tools.path_panel, "clear")
    assert points(scene) == []
    shortcut(app, pygame.K_z)
    assert points(scene) == [3, 7, 9]


def test_quitting_with_unsaved_work_autosaves_and_the_next_start_offers_it_back(gl_app, bundle_path, monkeypatch):
    monkeypatch.setenv("LATENTWALK_AUTOSAVE", "1")
    app, scene = explorer(gl_app, bundle_path)
    for index in (5, 6, 8):
        scene.submit(AddControlPoint(index=index))
    frames(app, 2)
    pygame.event.post(pygame.event.Event(pygame.QUIT))  # the window's close button
    frames(app)
    assert not app.running
    app.close()
    saved = json.loads(autosave_file().read_text())
    assert [p["index"] for p in saved["control_points"]] == [5, 6, 8]

    app, scene = explorer(gl_app, bundle_path)  # the next start
    panel = scene.walk_tools.session_panel
    assert panel.offer_restore and points(scene) == []
    frames(app, 2)
    click_item(app, panel, "restore")
    frames(app, 2)
    assert points(scene) == [5, 6, 8] and not autosave_file().exists()
    assert panel.message.startswith("restored")
    app.close()  # the restored walk is still unsaved: kept again
    assert autosave_file().is_file()

    app, scene = explorer(gl_app, bundle_path)
    frames(app, 2)
    click_item(app, scene.walk_tools.session_panel, "discard")
    frames(app, 2)
    assert points(scene) == [] and not autosave_file().exists()
    scene.submit(AddControlPoint(index=1))
    frames(app)
    scene.walk_tools.session_panel.file = str(Path(os.getcwd()) / "saved.json")
    assert scene.walk_tools.session_panel.save()
    app.close()  # saved work is not autosaved
    assert not autosave_file().exists()
