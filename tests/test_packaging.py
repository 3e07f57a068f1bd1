"""The installed project is one import name, `latentwalk`: a built wheel holds nothing else at its top."""
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def copy_of_the_project(into: Path) -> Path:
    """The project's tracked files in a fresh folder, so building leaves nothing (build/, egg-info) in
    the checkout."""
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, timeout=60)
    names = listed.stdout.decode().split("\0") if listed.returncode == 0 else []
    copy = into / "project"
    if names:
        for name in filter(None, names):
            source = ROOT / name
            if source.is_file():
                (copy / name).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, copy / name)
    else:  # not a git checkout (an unpacked archive): everything but what builds make
        shutil.copytree(ROOT, copy, ignore=shutil.ignore_patterns(".git", "build", "*.egg-info", ".venv",
                                                                   "__pycache__", ".pytest_cache"))
    return copy


def test_wheel_installs_everything_under_the_one_name_latentwalk(tmp_path):
    copy = copy_of_the_project(tmp_path)
    wheels = tmp_path / "wheels"
    build = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                            "--wheel-dir", str(wheels), str(copy)], capture_output=True, text=True, timeout=240)
    assert build.returncode == 0, build.stderr[-2000:]
    (wheel,) = wheels.glob("latentwalk-*.whl")
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


def test_every_package_folder_is_listed_in_pyproject_and_nothing_else():
    """A new folder with an __init__.py must be a listed package, or the wheel silently lacks it."""
    import tomllib

    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    roots = {"latentwalk": "latentwalk", **{name: folder for name, folder in config["package-dir"].items()}}
    on_disk = set()
    for name, folder in roots.items():
        for init in (ROOT / folder).rglob("__init__.py"):
            on_disk.add(".".join((name, *init.parent.relative_to(ROOT / folder).parts)))
    assert set(config["packages"]) == on_disk
    for name in config["packages"]:  # import path == folder path
        top = next(n for n in sorted(roots, key=len, reverse=True) if name == n or name.startswith(n + "."))
        assert (ROOT / roots[top] / Path(*name[len(top):].split(".")[1:]) / "__init__.py").is_file(), name
