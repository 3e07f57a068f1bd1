"""A recording started from the app: `latentwalk record` run in a child process on the current walk
(saved to a temporary session file), its progress read back line by line, cancellable.

Why a process: offline rendering needs its own GL context at the video's size and a decoder kept busy,
and Python-heavy work in a thread was measured to drop the render loop to 3 fps. In a
child, the window stays responsive and the recording is exactly what `latentwalk record` makes.
Cancel sends the child SIGINT: it closes the file properly (a video of the frames written) and exits
with 130 (engine/child_process.py runs the child and reads its pipes).
"""
from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

from latentwalk.engine.child_process import ChildJob
from latentwalk.scenes.explorer.session.session import save_session


class RecordJob(ChildJob):
    """One running (then finished) `latentwalk record` child."""

    def __init__(self, session, out: str | os.PathLike, *, layout: str = "view", size=(1280, 720),
                 fps: float = 30.0, seconds: float = 5.0, ui: bool = False, clock=time.monotonic) -> None:
        self.out = Path(out)
        self.total = max(1, round(fps * seconds))
        self.done = 0
        self.summary = ""  # the child's "wrote ..." line
        self.clock = clock
        handle, name = tempfile.mkstemp(prefix="latentwalk-record-", suffix=".json")
        os.close(handle)
        self._session_file = Path(name)
        save_session(self._session_file, session)
        command = [sys.executable, "-m", "latentwalk", "record", "--session", str(self._session_file),
                   "--out", str(self.out), "--layout", layout, "--size", f"{size[0]}x{size[1]}",
                   "--fps", f"{fps:g}", "--frames", str(self.total), "--progress", "lines"]
        if ui:
            command.append("--ui")
        self.started = clock()
        super().__init__(command, name="record")

    def on_output(self, line: str) -> None:
        parts = line.split()
        if len(parts) == 3 and parts[0] == "frame" and parts[1].isdigit():
            self.done = int(parts[1])
        elif line.startswith("wrote "):
            self.summary = line.strip()[len("wrote "):]

    def on_error(self, line: str) -> None:
        if not line.strip().startswith(("recording:", "rendering on ")):  # tqdm's bar, the mode found
            super().on_error(line)

    # -- state -----------------------------------------------------------------------------------
    @property
    def fraction(self) -> float:
        return min(1.0, self.done / self.total)

    def eta_seconds(self) -> float | None:
        """Seconds left at the rate so far; None until the first frame."""
        if not self.done:
            return None
        elapsed = self.clock() - self.started
        return elapsed / self.done * (self.total - self.done)

    def result(self) -> tuple[bool, str] | None:
        """None while running; then (succeeded, one line for the person)."""
        if self.running:
            return None
        status = self.process.returncode
        if status == 0:
            return True, f"recorded {self.summary or self.out}"
        if self.cancelled:  # 130 from its handler; a SIGINT before the child set one up kills it (-2)
            kept = f"; {self.summary}" if self.summary else ""
            return False, f"recording cancelled{kept}"
        reason = self.errors[-1] if self.errors else f"latentwalk record exited with status {status}"
        return False, reason.removeprefix("latentwalk record: error: ")

    # -- control ---------------------------------------------------------------------------------
    def close(self, timeout: float = 10.0) -> None:
        """Stop a running child (cancel, then kill after `timeout`) and remove the session file."""
        super().close(timeout)
        self._session_file.unlink(missing_ok=True)
