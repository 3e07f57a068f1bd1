"""Where the tests find data. The default run reads only what the repo holds (tests/data/) or what
tests write; the original tool's files and the full MNIST beside the repo are read only by tests
marked `compat` (deselected by default; `python -m pytest -m compat`), which fail, never skip, when
the folder named by $LATENTWALK_SHARED (default: ../shared beside the repo) lacks a file."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

SHARED_ENV = "LATENTWALK_SHARED"
REPO = Path(__file__).resolve().parents[1]
MNIST_SUBSET = REPO / "tests" / "data" / "mnist"  # first 1000 train / 200 test images of MNIST
running_compat_test = False  # set per test by conftest: only `compat` tests may read the shared folder


def shared_dir() -> Path:
    return Path(os.environ.get(SHARED_ENV) or REPO.parent / "shared")


def shared_path(*parts: str) -> Path:
    """A file or folder in the shared folder; fails the calling (compat) test when it is not there."""
    path = shared_dir().joinpath(*parts)
    if not running_compat_test:
        pytest.fail(f"{path}: only tests marked compat may read the shared folder", pytrace=False)
    if not path.exists():
        pytest.fail(f"{path}: missing; compat tests need the shared folder (set ${SHARED_ENV})", pytrace=False)
    return path


def reference_path(*parts: str) -> Path:
    """A file of the original browser tool (reference/js-plot-vae/...)."""
    return shared_path("reference", "js-plot-vae", *parts)


def mnist_dir() -> Path:
    """The full MNIST (compat only)."""
    return shared_path("datasets", "mnist")
