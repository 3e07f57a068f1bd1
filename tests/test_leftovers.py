"""Nothing left behind: SIGTERM cleans up like Ctrl+C; temporaries of a writer killed with
SIGKILL are swept by the next write to the same folder; a live writer's are never touched."""
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from latentwalk.cli import main
from latentwalk.vae.atomic import STALE_LEGACY_S, atomic_file, sweep_stale
from tests.bundles import make_bundle

REPO = Path(__file__).resolve().parents[1]


def dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def start_long_walk(out: Path) -> subprocess.Popen:
    """A walk of 10 million rows: it spends seconds writing its temporary file."""
    return subprocess.Popen([sys.executable, "-m", "latentwalk", "walk", "--through", "0,1,2", "--steps", "10000000",
                             "--out", str(out)], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_for_temporary(folder: Path, process: subprocess.Popen) -> Path:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and process.poll() is None:
        temps = [p for p in folder.iterdir() if p.name.endswith(".tmp")]
        if temps and temps[0].stat().st_size > 0:
            return temps[0]
        time.sleep(0.02)
    process.kill()
    pytest.fail(f"no temporary file appeared (exit {process.poll()}): {process.communicate()}")


@pytest.mark.timeout(150)
def test_sigterm_removes_the_temporary_and_keeps_what_was_there(tmp_path):
    out = tmp_path / "w.npy"
    np.save(tmp_path / "kept.npy", np.ones(3))
    walk = start_long_walk(out)
    temp = wait_for_temporary(tmp_path, walk)
    assert temp.name.startswith(f".w.npy.{walk.pid}.")
    walk.send_signal(signal.SIGTERM)
    _, err = walk.communicate(timeout=60)
    assert walk.returncode == 128 + signal.SIGTERM and err == "latentwalk walk: terminated (SIGTERM)\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kept.npy"]  # no temporary, no partial output
    np.testing.assert_array_equal(np.load(tmp_path / "kept.npy"), np.ones(3))


@pytest.mark.timeout(150)
def test_a_sigkilled_writers_temporary_is_swept_by_the_next_write(tmp_path):
    out = tmp_path / "w.npy"
    walk = start_long_walk(out)
    temp = wait_for_temporary(tmp_path, walk)
    walk.kill()
    walk.communicate(timeout=60)
    assert temp.exists()  # SIGKILL cannot be cleaned up after: the next write does it
    np.save(tmp_path / "p.npy", np.eye(3))
    assert main(["walk", "--points", str(tmp_path / "p.npy"), "--steps", "5", "--out", str(out)]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p.npy", "w.npy"]


def test_sweep_removes_only_stale_temporaries_of_our_naming(tmp_path):
    gone, alive = dead_pid(), os.getppid()
    stale_file = tmp_path / f".w.npy.{gone}.abcd_123.tmp"
    stale_staging = tmp_path / f".bund.{gone}.x1y2z3w4.tmp"
    stale_probe = tmp_path / f".latentwalk-probe.{gone}.q1w2e3r4"
    live_file = tmp_path / f".s.json.{alive}.abcd_123.tmp"
    legacy_old, legacy_new = tmp_path / ".w.npy.k9k9k9k9.tmp", tmp_path / ".s.json.m8m8m8m8.tmp"
    unrelated = [tmp_path / ".hidden.tmp", tmp_path / "notes.12345.abcdefgh.tmp", tmp_path / ".x.npy.partial"]
    for path in (stale_file, stale_probe, live_file, legacy_old, legacy_new, *unrelated):
        path.write_bytes(b"partial")
    stale_staging.mkdir()
    (stale_staging / "decoder.safetensors").write_bytes(b"half")
    long_ago = time.time() - STALE_LEGACY_S - 60
    os.utime(legacy_old, (long_ago, long_ago))

    removed = sweep_stale(tmp_path)
    assert sorted(removed) == sorted(p.name for p in (stale_file, stale_staging, stale_probe, legacy_old))
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in (live_file, legacy_new, *unrelated))


def test_a_bundle_moved_aside_by_a_killed_writer_is_put_back_not_swept(tmp_path):
    bundle = make_bundle(tmp_path / "bund", count=20)
    aside = tmp_path / f".bund.{dead_pid()}.abcdefgh.old"
    os.rename(bundle, aside)  # killed between moving the old bundle aside and moving the new one in
    with atomic_file(tmp_path / "other.npy") as temp:
        temp.write_bytes(b"x")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bund", "other.npy"]
    assert (tmp_path / "bund" / "model.json").is_file()


def test_writing_a_bundle_sweeps_a_dead_writers_staging_folder(tmp_path):
    staging = tmp_path / f".bund.{dead_pid()}.abcdefgh.tmp"
    staging.mkdir()
    (staging / "latents.npy").write_bytes(b"half written")
    make_bundle(tmp_path / "bund", count=20)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bund"]


def test_temporaries_carry_the_writers_pid(tmp_path):
    with atomic_file(tmp_path / "a.npy") as temp:
        assert temp.name.startswith(f".a.npy.{os.getpid()}.") and temp.name.endswith(".tmp")
        assert sweep_stale(tmp_path) == []  # our own live temporary stays
