"""A private X server for headless rendering (tests, benches, offline recording): Xvfb at 24-bit depth.

Depth 24 matters: at 8 there is no GLX, at 16 colours are quantised.
"""
from __future__ import annotations

import os
import subprocess

from latentwalk.engine.errors import ContextError

DEFAULT_SCREEN = (1920, 1080)


def _die_with_parent() -> None:
    """Runs in the child: SIGTERM when the parent exits. Stopping Xvfb from Python instead races
    libraries that still talk to the X server during interpreter shutdown (they abort with XIO errors)."""
    import ctypes
    import signal

    PR_SET_PDEATHSIG = 1
    try:
        ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):  # not Linux: the caller must terminate it
        pass


def start_xvfb(screen: tuple[int, int] = DEFAULT_SCREEN) -> tuple[subprocess.Popen, str]:
    """Start Xvfb on a free display number; return (process, ':N') once it accepts connections."""
    read_fd, write_fd = os.pipe()
    try:
        process = subprocess.Popen(
            ["Xvfb", "-displayfd", str(write_fd), "-screen", "0", f"{screen[0]}x{screen[1]}x24",
             "-nolisten", "tcp", "-noreset"],
            pass_fds=(write_fd,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            preexec_fn=_die_with_parent)
    except FileNotFoundError:
        os.close(read_fd)
        raise ContextError("Xvfb not found: install it (apt-get install xvfb) or set DISPLAY") from None
    finally:
        os.close(write_fd)
    with os.fdopen(read_fd) as pipe:
        number = pipe.readline().strip()  # written once the server is ready
    if not number:
        process.kill()
        raise ContextError("Xvfb exited before reporting a display number")
    return process, f":{number}"


def ensure_display(screen: tuple[int, int] = DEFAULT_SCREEN) -> subprocess.Popen | None:
    """Keep $DISPLAY if set; otherwise start Xvfb and point $DISPLAY at it (returned, else None)."""
    if os.environ.get("DISPLAY"):
        return None
    process, display = start_xvfb(screen)
    os.environ["DISPLAY"] = display
    return process
