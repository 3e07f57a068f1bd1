"""Values accepted that meant nothing: a session naming what the model does not have, a picture's EXIF
orientation, a latent whose distances overflow. Each is refused in one line, or applied."""
from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from latentwalk import cli
from latentwalk.scenes.explorer.session.session import CameraView, session_to_json
from latentwalk.scenes.explorer.walk.path import WalkPath
from tests.bundles import make_bundle


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    return make_bundle(tmp_path_factory.mktemp("values") / "tiny", count=120, classes=4)


@pytest.mark.parametrize("change, message", [
    (lambda d: d.update(highlighted_classes=[99]), "99"),
    (lambda d: d.update(selection={"index": 99999}), "99999"),
    (lambda d: d["control_points"].append({"coords": [1.0, 2.0]}), "has 2 values, the model's latent space has 3"),
])
def test_record_refuses_a_session_naming_what_its_model_does_not_have(bundle, tmp_path, capsys, monkeypatch,
                                                                      change, message):
    import latentwalk.scenes.explorer.record.recording as recording

    monkeypatch.setattr(recording.WalkRecorder, "__init__",
                        lambda *a, **k: pytest.fail("recording started with a session the model cannot use"))
    path = WalkPath(np.zeros((120, 3), np.float32))
    path.add_index(3)
    path.add_index(40)
    data = session_to_json(path.to_session(str(bundle), CameraView()))
    data.setdefault("selection", None)
    data.setdefault("style", {"point_size": 4.0, "show_axes": True, "show_grid": True})
    data["version"] = 2
    change(data)
    session = tmp_path / "s.json"
    session.write_text(json.dumps(data))
    out = tmp_path / "a.mp4"
    assert cli.main(["record", "--session", str(session), "--out", str(out), "--frames", "2",
                     "--layout", "image"]) == 1
    error = capsys.readouterr().err.strip()
    assert "s.json" in error and message in error and "\n" not in error, error
    assert not out.exists()


def test_encode_turns_a_picture_upright_by_its_exif_orientation(tmp_path):
    from latentwalk.vae.encode import read_picture

    grey = np.zeros((30, 50), np.uint8)
    grey[2:8, 3:20] = 255  # a bar near the top left: where it lands shows the turn
    upright = Image.fromarray(grey, mode="L")
    stored = upright.transpose(Image.Transpose.ROTATE_90)  # a camera held sideways stores it turned
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 clockwise to view": undoes the turn above
    path = tmp_path / "sideways.png"
    stored.save(path, exif=exif)
    np.testing.assert_allclose(read_picture(path), np.asarray(upright, np.float32) / 255.0)


def test_neighbors_refuses_a_latent_whose_distances_overflow_and_writes_only_json(capsys):
    assert cli.main(["neighbors", "--latent", "1e308,0,0", "--k", "3"]) == 2
    error = capsys.readouterr().err.strip()
    assert "--latent values must lie within +-1e+06" in error and "\n" not in error
    assert cli.main(["neighbors", "--latent", "1e6,-1e6,1e6", "--k", "3", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out, parse_constant=lambda name: pytest.fail(f"{name} in the JSON"))
    assert len(rows) == 3 and all(np.isfinite(row["distance"]) for row in rows)
