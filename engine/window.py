"""The pygame window with an OpenGL 3.3 core, forward-compatible context: resize, fullscreen, vsync.

With OPENGL, pygame's display surface keeps its first size, so the size always comes from
`pygame.display.get_window_size()` and the viewport is set by us after every change.

Two sizes: `size` is the window's in screen coordinates (mouse positions, the UI's layout), and
`framebuffer_size` is the drawable's in pixels (viewport, read-back); they differ on HiDPI screens.

Fullscreen: SDL asks the window manager; under an X server without one (Xvfb, many installations)
nobody obeys, the X window keeps its size while SDL reports the desktop's. So after asking, the real X
window is measured (`x11_window_size`, the X server's own answer), and where it did not grow the window
becomes a borderless one of the display's size at its top-left corner instead.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import os
import re
import warnings

import pygame
from OpenGL import GL as gl

from latentwalk.engine.errors import ContextError

GL_REQUIRED = (3, 3)
_VERSION_RE = re.compile(r"(\d+)\.(\d+)")


def _request_core_context() -> None:
    pygame.display.gl_set_attribute(pygame.GL_CONTEXT_MAJOR_VERSION, GL_REQUIRED[0])
    pygame.display.gl_set_attribute(pygame.GL_CONTEXT_MINOR_VERSION, GL_REQUIRED[1])
    pygame.display.gl_set_attribute(pygame.GL_CONTEXT_PROFILE_MASK, pygame.GL_CONTEXT_PROFILE_CORE)
    pygame.display.gl_set_attribute(pygame.GL_CONTEXT_FORWARD_COMPATIBLE_FLAG, 1)
    pygame.display.gl_set_attribute(pygame.GL_DOUBLEBUFFER, 1)
    pygame.display.gl_set_attribute(pygame.GL_DEPTH_SIZE, 24)


def _gl_string(name: int) -> str:
    value = gl.glGetString(name)
    return value.decode("ascii", "replace") if value else "unknown"


def parse_gl_version(version: str) -> tuple[int, int]:
    """(major, minor) from a GL_VERSION string such as '4.5 (Core Profile) Mesa 22.3.6'."""
    match = _VERSION_RE.search(version)
    return (int(match.group(1)), int(match.group(2))) if match else (0, 0)


def _driver_offer() -> str:
    """What the driver gives without our core-profile request, for the error message."""
    for attribute in (pygame.GL_CONTEXT_MAJOR_VERSION, pygame.GL_CONTEXT_MINOR_VERSION,
                      pygame.GL_CONTEXT_PROFILE_MASK, pygame.GL_CONTEXT_FORWARD_COMPATIBLE_FLAG):
        pygame.display.gl_set_attribute(attribute, 0)
    try:
        pygame.display.set_mode((64, 64), pygame.OPENGL | pygame.HIDDEN)
        return f"GL_VERSION '{_gl_string(gl.GL_VERSION)}' on '{_gl_string(gl.GL_RENDERER)}'"
    except Exception as exc:  # the driver may offer no GL at all
        return f"no OpenGL context at all ({exc})"


def _sdl() -> ctypes.CDLL | None:
    from latentwalk.engine.ui import _sdl_library  # the SDL2 that pygame loaded
    return _sdl_library()


def drawable_size() -> tuple[int, int] | None:
    """The current GL window's drawable in pixels (SDL_GL_GetDrawableSize), or None if SDL cannot say."""
    try:
        sdl = _sdl()
        if sdl is None:
            return None
        sdl.SDL_GL_GetCurrentWindow.restype = ctypes.c_void_p
        window = sdl.SDL_GL_GetCurrentWindow()
        if not window:
            return None
        width, height = ctypes.c_int(), ctypes.c_int()
        sdl.SDL_GL_GetDrawableSize(ctypes.c_void_p(window), ctypes.byref(width), ctypes.byref(height))
    except (OSError, AttributeError):
        return None
    return (width.value, height.value) if width.value > 0 and height.value > 0 else None


_xlib: tuple | None = None  # (library, Display*) opened once: closing a Display runs process-wide hooks


def x11_window_size() -> tuple[int, int] | None:
    """The X server's own idea of our window's size (None when not on X11): the truth SDL may not know."""
    global _xlib
    info = pygame.display.get_wm_info()
    window = info.get("window")
    if not isinstance(window, int) or not os.environ.get("DISPLAY") or pygame.display.get_driver() != "x11":
        return None
    try:
        if _xlib is None:
            name = ctypes.util.find_library("X11")
            if not name:
                return None
            xlib = ctypes.CDLL(name)
            xlib.XOpenDisplay.restype = ctypes.c_void_p
            xlib.XOpenDisplay.argtypes = [ctypes.c_char_p]
            xlib.XGetWindowAttributes.argtypes = [ctypes.c_void_p, ctypes.c_ulong, ctypes.c_void_p]
            display = xlib.XOpenDisplay(None)
            if not display:
                return None
            _xlib = (xlib, display)
        xlib, display = _xlib
        attributes = ctypes.create_string_buffer(256)  # XWindowAttributes: int x, y, width, height, ...
        if not xlib.XGetWindowAttributes(display, window, attributes):
            return None
        fields = (ctypes.c_int * 4).from_buffer(attributes)
        return int(fields[2]), int(fields[3])
    except (OSError, AttributeError):
        return None


class Window:
    """One OpenGL window (pygame allows one per process)."""

    def __init__(self, size: tuple[int, int] = (1280, 720), *, fullscreen: bool = False,
                 title: str = "latentwalk", vsync: bool = True, resizable: bool = True) -> None:
        width, height = int(size[0]), int(size[1])
        if width <= 0 or height <= 0:
            raise ContextError(f"window size must be positive, got {width}x{height}")
        pygame.display.init()
        pygame.display.set_caption(title)
        _request_core_context()
        self._flags = pygame.OPENGL | pygame.DOUBLEBUF | (pygame.RESIZABLE if resizable else 0)
        self.windowed_size = (width, height)
        self.vsync = False
        try:
            self._open((width, height), vsync=vsync)
        except pygame.error as exc:
            asked = f"OpenGL {GL_REQUIRED[0]}.{GL_REQUIRED[1]} core forward-compatible"
            offer = _driver_offer()
            pygame.display.quit()
            raise ContextError(f"could not create an {asked} context ({exc}); the driver offers {offer}") from exc
        self._check_pyopengl_sees_context()
        self.gl_version = _gl_string(gl.GL_VERSION)
        self.gl_renderer = _gl_string(gl.GL_RENDERER)
        if parse_gl_version(self.gl_version) < GL_REQUIRED:
            pygame.display.quit()
            raise ContextError(
                f"asked for OpenGL {GL_REQUIRED[0]}.{GL_REQUIRED[1]} core, the driver offers "
                f"GL_VERSION '{self.gl_version}' on '{self.gl_renderer}'")
        self.fullscreen = False
        self.borderless_fullscreen = False  # fullscreen done by hand: no window manager obeyed SDL
        if fullscreen:
            self.toggle_fullscreen()
        self.apply_viewport()

    def _check_pyopengl_sees_context(self) -> None:
        """Without a display SDL silently falls back to its EGL 'offscreen' driver, which PyOpenGL
        (GLX by default) cannot see: every later call would fail with an obscure error."""
        from OpenGL import contextdata, error

        try:
            contextdata.getContext()
        except error.Error:
            driver = pygame.display.get_driver()
            pygame.display.quit()
            raise ContextError(
                f"SDL video driver '{driver}' made a GL context PyOpenGL cannot use; set DISPLAY (e.g. run "
                "under xvfb-run) or, headless, SDL_VIDEODRIVER=offscreen with PYOPENGL_PLATFORM=egl") from None

    def _open(self, size: tuple[int, int], *, vsync: bool) -> None:
        if not vsync:
            pygame.display.set_mode(size, self._flags)
            return
        # pygame warns (not raises) when only "late swap" vsync is refused and falls back to plain vsync
        # or none; record whether vsync stuck rather than fail.
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                pygame.display.set_mode(size, self._flags, vsync=1)
                self.vsync = not any("vsync" in str(w.message) for w in caught)
            except pygame.error:
                pygame.display.set_mode(size, self._flags)
                self.vsync = False

    @property
    def size(self) -> tuple[int, int]:
        """The window's size in screen coordinates (mouse positions, UI layout)."""
        width, height = pygame.display.get_window_size()
        return int(width), int(height)

    @property
    def framebuffer_size(self) -> tuple[int, int]:
        """The drawable's size in pixels (viewport, read-back): larger than `size` on HiDPI screens."""
        return drawable_size() or self.size

    @property
    def aspect(self) -> float:
        width, height = self.framebuffer_size
        return width / max(1, height)

    def apply_viewport(self) -> tuple[int, int]:
        width, height = self.framebuffer_size
        gl.glViewport(0, 0, width, height)
        return width, height

    def resize(self, size: tuple[int, int]) -> None:
        """Resize from code (the user's drags arrive as events); the GL context and its objects survive."""
        width, height = max(1, int(size[0])), max(1, int(size[1]))
        if self.fullscreen:
            self.windowed_size = (width, height)
            return
        pygame.display.set_mode((width, height), self._flags)
        self.windowed_size = (width, height)
        self.apply_viewport()

    @staticmethod
    def display_size() -> tuple[int, int]:
        """The size of the display the window is on."""
        sizes = pygame.display.get_desktop_sizes()
        index = 0
        try:
            index = pygame.display.get_window_display_index() if hasattr(pygame.display, "get_window_display_index") else 0
        except pygame.error:
            pass
        width, height = sizes[index if index < len(sizes) else 0]
        return int(width), int(height)

    def toggle_fullscreen(self) -> None:
        if self.fullscreen:
            self._leave_fullscreen()
        else:
            self._enter_fullscreen()
        self.apply_viewport()

    def _enter_fullscreen(self) -> None:
        self.windowed_size = self.size
        display = self.display_size()
        pygame.display.toggle_fullscreen()
        self.fullscreen = True
        real = x11_window_size()
        if real is not None and real != display:  # no window manager made it fullscreen
            pygame.display.toggle_fullscreen()  # SDL's own idea back to windowed
            self._set_borderless(display)
            self.borderless_fullscreen = True

    def _leave_fullscreen(self) -> None:
        if self.borderless_fullscreen:
            pygame.display.set_mode(self.windowed_size, self._flags)
            self.borderless_fullscreen = False
        else:
            pygame.display.toggle_fullscreen()
            if self.size != self.windowed_size and x11_window_size() not in (None, self.windowed_size):
                pygame.display.set_mode(self.windowed_size, self._flags)
        self.fullscreen = False

    def _set_borderless(self, size: tuple[int, int]) -> None:
        flags = (self._flags & ~pygame.RESIZABLE) | pygame.NOFRAME
        pygame.display.set_mode(size, flags)
        # Through SDL itself: a pygame._sdl2 Window wrapper of the display's window, once garbage
        # collected, left SDL's event pump crashing (measured).
        try:
            sdl = _sdl()
            if sdl is not None:
                sdl.SDL_GL_GetCurrentWindow.restype = ctypes.c_void_p
                window = sdl.SDL_GL_GetCurrentWindow()
                if window:
                    sdl.SDL_SetWindowPosition(ctypes.c_void_p(window), 0, 0)
        except (OSError, AttributeError):
            pass

    def set_title(self, title: str) -> None:
        pygame.display.set_caption(title)

    def flip(self) -> None:
        pygame.display.flip()

    def close(self) -> None:
        pygame.display.quit()
