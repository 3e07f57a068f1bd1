"""SIGINT, SIGTERM and SIGHUP, however they arrive, stop a command the same way: the first one raises
`Stopped` where the program is (a KeyboardInterrupt, so every `finally` and cleanup runs as for
Ctrl+C), and every later one is only noted, so a second Ctrl+C or a SIGTERM right after it cannot cut
the closing of a file short. The exit status is 128 + the first signal's number.

SIGINT is taken over even when it was inherited ignored: a job started in the background by a script
gets SIGINT as SIG_IGN, and `kill -INT` must still stop it cleanly. SIGHUP is left alone when it was
inherited ignored: that is `nohup` asking for the command to outlive its terminal.
"""
from __future__ import annotations

import contextlib
import signal
import threading
from typing import Iterator

NAMES = {signal.SIGINT: "interrupted (Ctrl+C, SIGINT)", signal.SIGTERM: "terminated (SIGTERM)",
         signal.SIGHUP: "hung up (SIGHUP: the terminal closed)"}


class Stopped(KeyboardInterrupt):
    """The first stopping signal, raised where the program was."""

    def __init__(self, signum: int) -> None:
        super().__init__(NAMES.get(signum, f"signal {signum}"))
        self.signum = signum

    @property
    def status(self) -> int:
        return 128 + self.signum

    @property
    def reason(self) -> str:
        return NAMES.get(self.signum, f"signal {self.signum}")


class StopSignals:
    """Installs the handlers (main thread only) and puts the old ones back on `restore`."""

    def __init__(self) -> None:
        self.received: int | None = None
        self._holding = False
        self._previous: dict[int, object] = {}

    def install(self) -> "StopSignals":
        self.received, self._holding = None, False
        if threading.current_thread() is not threading.main_thread():
            return self
        for signum in NAMES:
            current = signal.getsignal(signum)
            if signum == signal.SIGHUP and current == signal.SIG_IGN:
                continue
            self._previous[signum] = signal.signal(signum, self._handle)
        return self

    def _handle(self, signum, frame) -> None:
        if self.received is not None:
            return  # already stopping: the closing under way must finish
        self.received = signum
        if not self._holding:
            raise Stopped(signum)

    @contextlib.contextmanager
    def held(self) -> Iterator[None]:
        """Signals in the block are noted in `received`, not raised: for closing a file."""
        holding, self._holding = self._holding, True
        try:
            yield
        finally:
            self._holding = holding

    @property
    def stopped(self) -> Stopped | None:
        return None if self.received is None else Stopped(self.received)

    def settle(self) -> None:
        """The outcome is decided: ignore the signals from now on. Python's shutdown puts a default
        handler back in place of ours, and a SIGTERM just after a Ctrl+C would then kill the process
        and replace its exit status."""
        for signum in self._previous:
            signal.signal(signum, signal.SIG_IGN)

    def restore(self) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler if handler is not None else signal.SIG_DFL)
        self._previous.clear()


# The process's one set of handlers, installed by `latentwalk`'s main for every command.
STOP = StopSignals()
