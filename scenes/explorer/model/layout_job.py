"""A layout computed from the explorer: `latentwalk project` run in a child process on the current
bundle, its progress read back line by line ('progress FRACTION STAGE'), cancellable.

Why a process: umap-learn's numba code (its compilation above all) and openTSNE hold the interpreter
for long stretches. Measured on 2 shared cores with a UMAP of 3,000 points x 8-d running: a main-thread
loop of small Python steps got through 46k steps in 60 s with the UMAP in a thread, 106k with it in a
child (and stalled up to 388 ms against 272). The child also stores the layout
exactly as `project` does (layouts.py: in the bundle, or beside it in the user data folder), atomically,
so a cancelled or failed job leaves no half-written layout. Cancel sends SIGINT (exit status 130).
"""
from __future__ import annotations

import sys
from pathlib import Path

from latentwalk.engine.child_process import ChildJob

ERROR_PREFIX = "latentwalk project: error: "


class LayoutJob(ChildJob):
    """One running (then finished) `latentwalk project` child."""

    def __init__(self, bundle_path: Path, method: str, name: str, *, seed: int, neighbors: int,
                 min_dist: float, perplexity: float) -> None:
        self.bundle_path, self.method, self.name = Path(bundle_path), method, name
        self.fraction, self.stage = 0.0, "starting"
        command = [sys.executable, "-m", "latentwalk", "project", "--model", str(self.bundle_path),
                   "--method", method, "--name", name, "--seed", str(int(seed)), "--progress-lines"]
        if method == "umap":
            command += ["--neighbors", str(int(neighbors)), "--min-dist", repr(float(min_dist))]
        elif method == "tsne":
            command += ["--perplexity", repr(float(perplexity))]
        super().__init__(command, name="layout")

    def on_output(self, line: str) -> None:
        parts = line.split(maxsplit=2)
        if len(parts) == 3 and parts[0] == "progress":
            try:
                fraction = float(parts[1])
            except ValueError:
                return
            self.fraction, self.stage = min(max(fraction, self.fraction), 1.0), parts[2].strip()

    def result(self) -> tuple[bool, str] | None:
        """None while running; then (succeeded, one line for the person)."""
        status = self.status
        if status is None:
            return None
        if status == 0:
            return True, f"layout {self.name!r} computed ({self.method})"
        if self.cancelled:  # 130 from its handler; a signal that came before the child set one up kills it
            return False, "layout cancelled"
        said = [line for line in self.errors if line.startswith(ERROR_PREFIX)]
        reason = (said or self.errors or [f"latentwalk project exited with status {status}"])[-1]
        return False, reason.removeprefix(ERROR_PREFIX)
