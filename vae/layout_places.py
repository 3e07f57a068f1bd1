"""Where a bundle's layouts are stored.

In the bundle (`layouts/` and model.json's `layouts` section) when its folder and model.json are
writable and it is not one of the models shipped inside the package (assets/models: an upgrade would
replace it, and it is often installed read-only). Otherwise beside it in the user data folder
(platformdirs): `layouts/<bundle folder name>-<hash of its resolved path>/`, the same `layouts/` files and
a `layouts.json` holding what model.json's section would. Both places are listed; a name in the bundle
hides the same name beside it.
"""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from latentwalk.vae.atomic import atomic_file, write_errors
from latentwalk.vae.bundle import MODEL_FILE
from latentwalk.vae.safeio import load_json_file

SIDE_INDEX = "layouts.json"
SIDE_INDEX_LIMIT = 4 << 20


def in_package(bundle_path: Path) -> bool:
    from latentwalk.assets import MODELS_DIR

    try:
        return Path(bundle_path).resolve().is_relative_to(Path(MODELS_DIR).resolve())
    except OSError:
        return False


def stored_in_bundle(bundle_path: Path) -> bool:
    """True where new layouts go into the bundle itself, False where they go beside it."""
    path = Path(bundle_path)
    return (not in_package(path) and os.access(path, os.W_OK) and os.access(path / MODEL_FILE, os.W_OK))


def side_folder(bundle_path: Path) -> Path:
    """The bundle's folder in the user data folder (not made here)."""
    import platformdirs

    resolved = Path(bundle_path).resolve()
    digest = hashlib.sha256(str(resolved).encode("utf-8", "surrogateescape")).hexdigest()[:12]
    return Path(platformdirs.user_data_dir("latentwalk")) / "layouts" / f"{resolved.name[:64]}-{digest}"


def read_side_section(bundle_path: Path, error: type[Exception]) -> dict:
    """The layouts stored beside the bundle (name -> entry); {} when there are none."""
    index = side_folder(bundle_path) / SIDE_INDEX
    if not index.exists():
        return {}
    data = load_json_file(index, error, limit=SIDE_INDEX_LIMIT)
    section = data.get("layouts") if isinstance(data, dict) else None
    if not isinstance(section, dict):
        raise error(f"{index}: expected an object with a 'layouts' object")
    return section


def write_side_section(bundle_path: Path, section: dict, error: type[Exception]) -> None:
    folder = side_folder(bundle_path)
    with write_errors(folder, error):
        with atomic_file(folder / SIDE_INDEX) as temp:
            temp.write_text(json.dumps({"bundle": str(Path(bundle_path).resolve()), "layouts": section},
                                       indent=2, allow_nan=False) + "\n")
