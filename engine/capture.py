"""Read rendered frames back into numpy (top-down RGB uint8) and save them as PNG.

Reads GL_RGB with pack alignment 1 straight into a preallocated array (an RGBA read plus a numpy
slice costs ~5x more); the back buffer must be read before the swap, after it it is undefined.
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from OpenGL import GL as gl

from latentwalk.engine.errors import EngineError


class FrameReader:
    """Reads the currently bound read framebuffer into reused arrays."""

    def __init__(self) -> None:
        self._bottom_up = np.empty((0, 0, 3), np.uint8)
        self._top_down = np.empty((0, 0, 3), np.uint8)

    def read(self, width: int, height: int, *, x: int = 0, y: int = 0,
             out: np.ndarray | None = None) -> np.ndarray:
        """(height, width, 3) uint8, row 0 at the top. Without `out` the returned array is reused next call."""
        if self._bottom_up.shape != (height, width, 3):
            self._bottom_up = np.empty((height, width, 3), np.uint8)
            self._top_down = np.empty((height, width, 3), np.uint8)
        gl.glPixelStorei(gl.GL_PACK_ALIGNMENT, 1)
        gl.glReadPixels(x, y, width, height, gl.GL_RGB, gl.GL_UNSIGNED_BYTE, self._bottom_up)
        target = self._top_down if out is None else out
        np.copyto(target, self._bottom_up[::-1])
        return target

    def read_back_buffer(self, size: tuple[int, int], out: np.ndarray | None = None) -> np.ndarray:
        """The default framebuffer's back buffer (call before the swap)."""
        gl.glBindFramebuffer(gl.GL_READ_FRAMEBUFFER, 0)
        gl.glReadBuffer(gl.GL_BACK)
        return self.read(size[0], size[1], out=out)


def check_writable(path: str | Path) -> Path:
    """Fail before any rendering if a capture could not be saved there (one-line EngineError).

    Checked by creating (and removing) a file beside it, as the save will: permission bits say
    nothing for root, and file systems such as /sys or /proc refuse new files whatever they say."""
    path = Path(path)
    parent = path.parent if str(path.parent) else Path(".")
    if path.suffix.lower() != ".png":
        raise EngineError(f"{path}: screenshots are PNG files; use a .png name")
    if not parent.is_dir():
        raise EngineError(f"{path}: directory {parent} does not exist")
    if path.is_dir():
        raise EngineError(f"{path}: is a directory")
    probe = parent / f".{path.name}.{os.getpid()}.probe"
    try:
        os.close(os.open(probe, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    except FileExistsError:
        pass  # a probe of this process that an earlier check could not remove: it was creatable
    except OSError as exc:
        raise EngineError(f"{path}: not writable ({exc.strerror or exc})") from None
    try:
        os.unlink(probe)
    except OSError:
        pass
    return path


def save_png(image: np.ndarray, path: str | Path) -> Path:
    """Write an (H, W, 3) or (H, W, 4) uint8 image; the file appears whole or not at all."""
    from PIL import Image

    path = check_writable(path)
    if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] not in (3, 4):
        raise EngineError(f"{path}: expected an (H, W, 3|4) uint8 image, got {image.shape} {image.dtype}")
    partial = path.with_name(f".{path.name}.partial")
    try:
        Image.fromarray(image).save(partial, format="PNG")
        os.replace(partial, path)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise EngineError(f"{path}: could not write PNG ({exc.strerror or exc})") from exc
    return path
