"""The installed project is one import name, `latentwalk`: a built wheel holds nothing else at its top."""
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_wheel_installs_everything_under_the_one_name_latentwalk(tmp_path):
    build = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                            "--wheel-dir", str(tmp_path), str(ROOT)], capture_output=True, text=True, timeout=240)
    assert build.returncode == 0, build.stderr[-2000:]
    (wheel,) = tmp_path.glob("latentwalk-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    top = {name.split("/")[0] for name in names}
    assert {t for t in top if not t.endswith(".dist-info")} == {"latentwalk"}
    for part in ("engine/app.py", "vae/bundle.py", "scenes/explorer/scene.py", "scenes/explorer/view/points.py", "shaders/points.vert",
                 "assets/models/mnist/model.json", "__main__.py", "cli.py"):
        assert f"latentwalk/{part}" in names, part
    entry_points = zipfile.ZipFile(wheel).read(next(n for n in names if n.endswith("entry_points.txt"))).decode()
    assert "latentwalk = latentwalk.cli:main" in entry_points


def test_python_dash_m_latentwalk_is_the_latentwalk_command():
    result = subprocess.run([sys.executable, "-m", "latentwalk", "--help"], capture_output=True, text=True,
                            timeout=60, cwd="/")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("usage: latentwalk")
