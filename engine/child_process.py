"""A child process run for the window: its output read line by line by two threads that only wait on
its pipes, cancellable with SIGINT (the child closes what it writes and exits with 130).

Why a child rather than a thread: work that holds the interpreter (numba, PyTorch's Python side, a
render loop of its own) in a thread of the window's process drops the window's frame rate; a child
leaves the window's interpreter free. Subclasses read the lines (`on_output`, `on_error`); the main
thread polls `running` and reads what the readers kept."""
from __future__ import annotations

import os
import signal
import subprocess
import threading
import time

CANCELLED_STATUS = 130


class ChildJob:
    def __init__(self, command: list[str], *, name: str = "child") -> None:
        self.errors: list[str] = []  # the child's stderr lines that `on_error` kept
        self.cancelled = False
        self.process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE, text=True,
                                        env={**os.environ, "PYTHONUNBUFFERED": "1"})
        self._threads = [threading.Thread(target=self._read, args=(self.process.stdout, self.on_output),
                                          daemon=True, name=f"{name}-output"),
                         threading.Thread(target=self._read, args=(self.process.stderr, self.on_error),
                                          daemon=True, name=f"{name}-errors")]
        for thread in self._threads:
            thread.start()

    @staticmethod
    def _read(pipe, handle) -> None:
        for line in pipe:
            handle(line)

    def on_output(self, line: str) -> None:
        """A line of the child's stdout (on a reader thread)."""

    def on_error(self, line: str) -> None:
        """A line of the child's stderr (on a reader thread): kept when not blank."""
        line = line.strip()
        if line:
            self.errors.append(line)

    @property
    def running(self) -> bool:
        """Until the child has exited and its last lines have been read: on a busy machine the readers
        can still be behind when the exit status is already there."""
        return self.process.poll() is None or any(thread.is_alive() for thread in self._threads)

    @property
    def status(self) -> int | None:
        return None if self.running else self.process.returncode

    def cancel(self) -> None:
        if self.running:
            self.cancelled = True
            self.process.send_signal(signal.SIGINT)

    def wait(self, timeout: float | None = None) -> bool:
        """Until the child has exited and its output has been read (`running` turns False)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            return False
        for thread in self._threads:
            thread.join(None if deadline is None else max(0.0, deadline - time.monotonic()))
        return not self.running

    def close(self, timeout: float = 10.0) -> None:
        """Stop a running child: cancel, then kill after `timeout`."""
        if self.running:
            self.cancel()
            if not self.wait(timeout):
                self.process.kill()
                self.process.wait()
