"""Session files: round trip, atomic save, and every kind of bad file refused in one line."""
import json
import os

import pytest

from latentwalk.scenes.errors import SceneError
from latentwalk.scenes.explorer.session.session import (CameraView, ControlPoint, CurveSettings, PlaybackState, Session,
                                         StyleSettings, load_session, save_session, session_to_json)


def full_session() -> Session:
    return Session(
        model="/data/bundles/mnist-2d",
        control_points=[ControlPoint(index=12), ControlPoint(coords=(0.25, -1.5)), ControlPoint(index=0)],
        curve=CurveSettings(kind="slerp", closed=True, steps=64),
        camera=CameraView(target=(0.5, -1.0, 2.0), distance=4.5, orientation=(0.0, 0.6, 0.0, 0.8),
                          fov_degrees=60.0),
        highlighted_classes=[3, 7],
        traversal=PlaybackState(t=0.375, mode="ping-pong", speed=0.5, playing=True),
        selection=ControlPoint(coords=(1.0, 2.0)),
        style=StyleSettings(point_size=7.5, show_axes=False, show_grid=True),
    )


def write_json(path, data) -> str:
    path.write_text(json.dumps(data))
    return str(path)


def test_round_trip_keeps_everything(tmp_path):
    path = tmp_path / "walk.session.json"
    session = full_session()
    save_session(path, session)
    loaded = load_session(path, n_points=100, dim=2, n_classes=10)
    assert loaded == session
    on_disk = json.loads(path.read_text())
    assert on_disk["format"] == "latentwalk-session" and on_disk["version"] == 2
    assert on_disk["control_points"] == [{"index": 12}, {"coords": [0.25, -1.5]}, {"index": 0}]


def test_a_version_1_file_still_loads_and_leaves_selection_and_style_as_they_are(tmp_path):
    data = session_to_json(full_session())
    data["version"] = 1
    del data["selection"], data["style"]
    loaded = load_session(write_json(tmp_path / "v1.json", data), n_points=100, dim=2, n_classes=10)
    assert loaded.selection is None and loaded.style is None
    assert loaded.control_points == full_session().control_points and loaded.camera == full_session().camera
    data["selection"] = None  # version 1 has no such key
    with pytest.raises(SceneError, match="session has unknown key 'selection'"):
        load_session(write_json(tmp_path / "v1-extra.json", data))


def test_defaults_round_trip(tmp_path):
    path = tmp_path / "s.json"
    save_session(path, Session(model="mnist"))
    assert load_session(path) == Session(model="mnist")


def test_save_replaces_an_existing_file_and_leaves_no_temporary(tmp_path):
    path = tmp_path / "s.json"
    path.write_text("old")
    save_session(path, full_session())
    assert load_session(path).model == "/data/bundles/mnist-2d"
    assert os.listdir(tmp_path) == ["s.json"]


def test_save_to_an_unwritable_place_names_the_path_and_keeps_the_old_file(tmp_path):
    missing_dir = tmp_path / "no" / "such" / "dir" / "s.json"
    with pytest.raises(SceneError, match=f"^{missing_dir}: cannot write session file: ") as info:
        save_session(missing_dir, full_session())
    assert "\n" not in str(info.value)
    blocker = tmp_path / "dir-not-file"
    blocker.mkdir()
    with pytest.raises(SceneError, match="cannot write session file"):
        save_session(blocker, full_session())
    assert blocker.is_dir() and os.listdir(tmp_path) == ["dir-not-file"]


def test_save_refuses_a_session_it_could_not_load_back(tmp_path):
    path = tmp_path / "s.json"
    bad = full_session()
    bad.control_points.append(ControlPoint(coords=(float("nan"), 1.0)))
    with pytest.raises(SceneError, match=r"cannot save session: control_points\[3\]\.coords\[0\] is not finite"):
        save_session(path, bad)
    assert not path.exists()


def test_orientation_is_normalised_on_load(tmp_path):
    data = session_to_json(full_session())
    data["camera"]["orientation"] = [2.0, 0.0, 0.0, 0.0]
    assert load_session(write_json(tmp_path / "s.json", data)).camera.orientation == (1.0, 0.0, 0.0, 0.0)


def edited(change):
    data = session_to_json(full_session())
    change(data)
    return data


def set_path(keys, value):
    def change(data):
        target = data
        for key in keys[:-1]:
            target = target[key]
        target[keys[-1]] = value
    return change


BAD_CONTENT = [
    (set_path(["format"], "something-else"), r"not a session file \(format is 'something-else'"),
    (lambda d: d.pop("format"), r"not a session file \(format is None"),
    (set_path(["version"], 3), "unsupported session version 3"),
    (set_path(["style", "point_size"], 0.0), r"style.point_size must be in \[0.5, 64\], got 0.0"),
    (set_path(["selection"], {"index": -1}), "selection.index must be >= 0, got -1"),
    (set_path(["version"], True), "unsupported session version True"),
    (lambda d: d.pop("camera"), "session is missing 'camera'"),
    (set_path(["extra"], 1), "session has unknown key 'extra'"),
    (set_path(["model"], ""), "model must be a non-empty string"),
    (set_path(["model"], 3), "model must be a non-empty string"),
    (set_path(["control_points"], {"index": 1}), "control_points must be a JSON array, got an object"),
    (set_path(["control_points", 0], {"index": 1, "coords": [1.0]}), r"control_points\[0\] must be"),
    (set_path(["control_points", 0], 5), r"control_points\[0\] must be"),
    (set_path(["control_points", 0, "index"], -1), r"control_points\[0\]\.index must be >= 0, got -1"),
    (set_path(["control_points", 0, "index"], 1.5), r"control_points\[0\]\.index must be an integer, got a number"),
    (set_path(["control_points", 0, "index"], True), r"control_points\[0\]\.index must be an integer, got a boolean"),
    (set_path(["control_points", 1, "coords"], []), r"control_points\[1\]\.coords is empty"),
    (set_path(["control_points", 1, "coords"], [1.0, "x"]), r"control_points\[1\]\.coords\[1\] must be a number, got a string"),
    (set_path(["curve", "kind"], "bezier"), "curve.kind is 'bezier', expected one of catmull-rom, linear, slerp"),
    (set_path(["curve", "closed"], 1), "curve.closed must be true or false, got an integer"),
    (set_path(["curve", "steps"], 1), "curve.steps must be >= 2, got 1"),
    (set_path(["camera", "target"], [1.0, 2.0]), "camera.target must have 3 numbers, got 2"),
    (set_path(["camera", "distance"], 0), r"camera.distance must be in \[1e-06, 1e\+06\], got 0.0"),
    (set_path(["camera", "orientation"], [0, 0, 0, 0]), "camera.orientation is a zero quaternion"),
    (set_path(["camera", "fov_degrees"], 180), r"camera.fov_degrees must be in \[1, 179\], got 180.0"),
    (set_path(["highlighted_classes"], [1, "2"]), r"highlighted_classes\[1\] must be an integer, got a string"),
    (set_path(["traversal", "t"], 1.5), r"traversal.t must be in \[0, 1\], got 1.5"),
    (set_path(["traversal", "mode"], "bounce"), "traversal.mode is 'bounce'"),
    (set_path(["traversal", "speed"], -0.1), r"traversal.speed must be in \[0, 2\], got -0.1"),
    (set_path(["traversal", "playing"], "yes"), "traversal.playing must be true or false, got a string"),
    (lambda d: d["traversal"].pop("speed"), "traversal is missing 'speed'"),
    # Numbers JSON can hold but the explorer cannot use: each refused, none crashes the loader.
    (set_path(["camera", "distance"], 10 ** 400), r"camera.distance is 1000\.\.\. \(401 digits\), out of range"),
    (set_path(["camera", "distance"], 1e300), r"camera.distance must be in \[1e-06, 1e\+06\], got 1e\+300"),
    (set_path(["camera", "target"], [0.0, 1e300, 0.0]), r"camera.target\[1\] must be in \[-1e\+06, 1e\+06\]"),
    (set_path(["camera", "orientation"], [1e300, 1e300, 0, 0]), r"camera.orientation\[0\] must be in \[-1e\+06, 1e\+06\]"),
    (set_path(["camera", "fov_degrees"], 1e-300), r"camera.fov_degrees must be in \[1, 179\], got 1e-300"),
    (set_path(["curve", "steps"], 10 ** 11), r"curve.steps must be <= 1000, got 100000000000"),
    (set_path(["curve", "steps"], 10 ** 400), r"curve.steps must be <= 1000, got 1000\.\.\. \(401 digits\)"),
    (set_path(["control_points", 0, "index"], 10 ** 400), r"control_points\[0\]\.index must be <= .*, got 1000\.\.\. \(401 digits\)"),
    (set_path(["control_points", 1, "coords"], [0.0, -10 ** 400]), r"control_points\[1\]\.coords\[1\] is -1000\.\.\. \(401 digits\), out of range"),
    (set_path(["control_points", 1, "coords"], [0.0, 1e300]), r"control_points\[1\]\.coords\[1\] must be in \[-1e\+06, 1e\+06\]"),
    (set_path(["highlighted_classes"], [10 ** 400]), r"highlighted_classes\[0\] must be <= .*, got 1000\.\.\. \(401 digits\)"),
    (set_path(["traversal", "t"], 10 ** 400), r"traversal.t is 1000\.\.\. \(401 digits\), out of range"),
    (set_path(["traversal", "speed"], 1e300), r"traversal.speed must be in \[0, 2\], got 1e\+300"),
    (set_path(["version"], 10 ** 400), r"unsupported session version 1000\.\.\. \(401 digits\)"),
    (set_path(["model"], "mnist\x00"), "model must not contain control characters"),
]


@pytest.mark.parametrize("change,message", BAD_CONTENT)
def test_bad_content_is_refused_naming_file_and_field(tmp_path, change, message):
    path = write_json(tmp_path / "bad.json", edited(change))
    with pytest.raises(SceneError, match=message) as info:
        load_session(path)
    text = str(info.value)
    assert text.startswith(f"{path}: ") and "\n" not in text and len(text) < len(path) + 200


@pytest.mark.parametrize("content,message", [
    (b"{\"format\": \"latentwalk-session\",", "not valid JSON: Expecting property name enclosed in double quotes at line 1"),
    (b"", "not valid JSON: Expecting value at line 1 column 1"),
    (b"\xff\xfe\x00", r"not a session file \(not UTF-8 text\)"),
    (b"[1, 2]", "not a session file"),
])
def test_unparseable_files_are_refused(tmp_path, content, message):
    path = tmp_path / "bad.json"
    path.write_bytes(content)
    with pytest.raises(SceneError, match=message) as info:
        load_session(path)
    assert str(info.value).startswith(f"{path}: ")


@pytest.mark.parametrize("text,message", [
    ('{"format": "latentwalk-session", "version": ' + "1" * 5000 + "}", r"a number with more than \d+ digits"),
    ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
], ids=["5000-digit-number", "nested-100000-deep"])
def test_json_the_parser_itself_cannot_take_is_refused(tmp_path, text, message):
    path = tmp_path / "bad.json"
    path.write_text(text)
    with pytest.raises(SceneError, match=message) as info:
        load_session(path)
    assert str(info.value).startswith(f"{path}: not valid JSON: ") and "\n" not in str(info.value)


def test_the_largest_walk_the_panel_allows_loads(tmp_path):
    from latentwalk.scenes.explorer.walk.traversal import MAX_STEPS

    data = session_to_json(full_session())
    data["curve"]["steps"] = MAX_STEPS
    assert load_session(write_json(tmp_path / "s.json", data)).curve.steps == MAX_STEPS


def test_nan_in_the_json_text_is_refused(tmp_path):
    text = json.dumps(session_to_json(full_session())).replace("0.25", "NaN")
    path = tmp_path / "nan.json"
    path.write_text(text)
    with pytest.raises(SceneError, match="NaN is not allowed in a session file"):
        load_session(path)


def test_missing_file_is_refused(tmp_path):
    path = tmp_path / "nope.json"
    with pytest.raises(SceneError, match=f"^{path}: cannot read session file: No such file or directory$"):
        load_session(path)


def test_indices_widths_and_classes_are_checked_against_the_model(tmp_path):
    path = write_json(tmp_path / "s.json", session_to_json(full_session()))
    load_session(path, n_points=13, dim=2, n_classes=8)  # index 12, width 2, class 7: all fit
    with pytest.raises(SceneError, match=r"control_points\[0\]\.index is 12, out of range: the model has 12 points"):
        load_session(path, n_points=12)
    with pytest.raises(SceneError, match=r"control_points\[1\]\.coords has 2 values, the model's latent space has 16"):
        load_session(path, dim=16)
    with pytest.raises(SceneError, match=r"highlighted_classes\[1\] is 7, out of range: the model has 7 classes"):
        load_session(path, n_classes=7)


def test_model_reference_names_a_bundled_model_and_gives_other_bundles_absolute_paths(tmp_path, monkeypatch):
    from latentwalk.scenes.explorer.session.session import model_reference
    from latentwalk.vae.bundle import MODEL_FILE

    models = tmp_path / "models"
    (models / "digits").mkdir(parents=True)
    (models / "digits" / MODEL_FILE).write_text("{}")
    (tmp_path / "mine").mkdir()
    monkeypatch.setattr("latentwalk.assets.MODELS_DIR", models)
    assert model_reference(models / "digits") == "digits"
    assert model_reference(str(models / "digits") + "/") == "digits"
    assert model_reference(tmp_path / "mine") == str(tmp_path / "mine")
    monkeypatch.chdir(tmp_path)
    assert model_reference("mine") == str(tmp_path / "mine")  # relative: made absolute
    assert model_reference(models / "not-a-bundle") == str(models / "not-a-bundle")


def test_a_saved_session_gets_the_usual_file_mode(tmp_path):
    previous = os.umask(0o022)
    try:
        save_session(tmp_path / "s.json", full_session())
    finally:
        os.umask(previous)
    assert (tmp_path / "s.json").stat().st_mode & 0o777 == 0o644
