"""Special files for the hostile-input tests."""
from __future__ import annotations

import os
import threading


class Fifo:
    """A FIFO whose writer side waits in a thread: `opened` tells whether anyone opened it to read (and
    would have hung without the writer)."""

    def __init__(self, path) -> None:
        self.path = path
        os.mkfifo(path)
        self.opened = False
        self.thread = threading.Thread(target=self._writer, daemon=True)
        self.thread.start()

    def _writer(self) -> None:
        fd = os.open(self.path, os.O_WRONLY)  # returns once a reader opened it
        self.opened = not self.released
        os.close(fd)

    released = False

    def release(self) -> bool:
        """Unblock the writer; whether a reader had opened the FIFO before."""
        opened_before = self.opened
        self.released = True
        fd = os.open(self.path, os.O_RDONLY | os.O_NONBLOCK)
        self.thread.join(5)
        os.close(fd)
        return opened_before or self.opened
