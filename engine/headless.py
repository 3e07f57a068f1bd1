"""A private X server for headless rendering (tests, benches, offline recording): Xvfb at 24-bit depth.

Depth 24 matters: at 8 there is no GLX, at 16 colours are quantised.
"""
from __future__ import annotations

import os
import re
import subprocess

from latentwalk.engine.errors import ContextError

DEFAULT_SCREEN = (1920, 1080)


def _die_with_parent(parent: int):
    """The child's start: SIGTERM when the parent exits (and at once if it already has, in the moment
    between fork and prctl). Stopping Xvfb from Python instead races libraries that still talk to the
    X server during interpreter shutdown (they abort with XIO errors)."""
    def start() -> None:
        import ctypes
        import signal

        PR_SET_PDEATHSIG = 1
        try:
            ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
        except (OSError, AttributeError):  # not Linux: the caller must terminate it
            return
        if os.getppid() != parent:
            os._exit(1)

    return start


def start_xvfb(screen: tuple[int, int] = DEFAULT_SCREEN) -> tuple[subprocess.Popen, str]:
    """Start Xvfb on a free display number; return (process, ':N') once it accepts connections."""
    read_fd, write_fd = os.pipe()
    try:
        process = subprocess.Popen(
            ["Xvfb", "-displayfd", str(write_fd), "-screen", "0", f"{screen[0]}x{screen[1]}x24",
             "-nolisten", "tcp", "-noreset"],
            pass_fds=(write_fd,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            # a session of its own: a terminal's Ctrl+C goes to our process group, and an X server
            # that died with it first would take the program down (Xlib exits) before it could close
            # its files; it ends when this process does
            start_new_session=True, preexec_fn=_die_with_parent(os.getpid()))
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


# -- choosing a headless GL mode -------------------------------------------------------------------
GL_MODE_ENV = "LATENTWALK_GL_MODE"  # display | xvfb | egl: use that one mode, no search
GL_MODES = ("display", "xvfb", "egl")
PROBE_SECONDS = 60.0
_PROBE = ("import os; os.environ.setdefault('PYGAME_HIDE_SUPPORT_PROMPT', '1')\n"
          "from latentwalk.engine.window import Window\n"
          "w = Window((64, 64), vsync=False, title='latentwalk probe')\n"
          "print(w.gl_version + ' on ' + w.gl_renderer)\n")


class GlMode:
    """A way to get an OpenGL 3.3 context without a screen, found by `choose_gl_mode`."""

    def __init__(self, name: str, description: str, process: subprocess.Popen | None = None) -> None:
        self.name = name
        self.description = description  # e.g. "Xvfb :3: 4.5 (Core Profile) Mesa ... on llvmpipe"
        self.process = process  # the Xvfb started for it, if any (exits with this process)


def _mode_env(name: str) -> dict[str, str]:
    env = {"SDL_AUDIODRIVER": os.environ.get("SDL_AUDIODRIVER", "dummy")}
    if name == "egl":
        env.update(SDL_VIDEODRIVER="offscreen", PYOPENGL_PLATFORM="egl")
    return env


def probe_gl(extra_env: dict[str, str], remove: tuple[str, ...] = (),
             timeout: float = PROBE_SECONDS) -> tuple[bool, str]:
    """Open a 64x64 core-profile window in a child process with this environment: (worked, GL version
    or the reason it failed, one line). A child, because PyOpenGL fixes its platform (GLX or EGL) on
    import and a failed SDL video init can leave this process unable to try again."""
    import sys

    env = {k: v for k, v in os.environ.items() if k not in remove}
    env.update(extra_env)
    try:
        done = subprocess.run([sys.executable, "-c", _PROBE], env=env, capture_output=True, text=True,
                              timeout=timeout)
    except subprocess.TimeoutExpired:
        return False, f"no window after {timeout:.0f} s"
    if done.returncode == 0:
        return True, done.stdout.strip().splitlines()[-1] if done.stdout.strip() else "OpenGL context"
    lines = [line.strip() for line in (done.stderr or done.stdout).splitlines() if line.strip()]
    if not lines:
        return False, f"probe exited with status {done.returncode}"
    return False, re.sub(r"^[\w.]+(Error|Exception): ", "", lines[-1])  # the traceback's last line, bare


def choose_gl_mode(screen: tuple[int, int] = DEFAULT_SCREEN, modes: tuple[str, ...] | None = None) -> GlMode:
    """Find a working way to render and set this process's environment for it; call before `import
    OpenGL`. Tried in order: the $DISPLAY already set, a private Xvfb, EGL with no X server (SDL's
    offscreen driver). $LATENTWALK_GL_MODE names one mode to use without the search. None working:
    ContextError with what failed for each, on one line."""
    import sys

    forced = os.environ.get(GL_MODE_ENV)
    if forced and forced not in GL_MODES:
        raise ContextError(f"{GL_MODE_ENV}={forced!r}: expected one of {', '.join(GL_MODES)}")
    if modes is None:
        modes = (forced,) if forced else GL_MODES
    if "OpenGL" in sys.modules:  # the platform is fixed now: only modes of the same kind can work
        egl = os.environ.get("PYOPENGL_PLATFORM") == "egl"
        modes = tuple(m for m in modes if (m == "egl") == egl)
    failures = []
    for name in modes:
        if name == "display" and not os.environ.get("DISPLAY"):
            failures.append("display: $DISPLAY is not set")
            continue
        process = None
        extra = _mode_env(name)
        remove: tuple[str, ...] = ()
        if name == "xvfb":
            try:
                process, display = start_xvfb(screen)
            except ContextError as exc:
                failures.append(f"xvfb: {exc}")
                continue
            extra["DISPLAY"] = display
            extra["SDL_VIDEODRIVER"] = "x11"
        elif name == "egl":
            remove = ("DISPLAY",)
        ok, detail = probe_gl(extra, remove)
        if ok:
            for key in remove:
                os.environ.pop(key, None)
            os.environ.update(extra)
            where = {"display": f"display {os.environ.get('DISPLAY')}", "xvfb": f"Xvfb {extra.get('DISPLAY')}",
                     "egl": "EGL offscreen (no X server)"}[name]
            return GlMode(name, f"{where}: {detail}", process)
        if process is not None:
            process.kill()
            process.wait()
        failures.append(f"{name}: {detail}")
    raise ContextError("no way to render found: " + "; ".join(failures))


def headless_if_no_display(screen: tuple[int, int] = DEFAULT_SCREEN) -> GlMode | None:
    """For scripted runs: on Linux with neither $DISPLAY nor $WAYLAND_DISPLAY, find a headless mode
    (`choose_gl_mode`); elsewhere do nothing (macOS and Windows windows need no display variable), and
    nothing either when $SDL_VIDEODRIVER is set: whoever set it chose, and hears from the window if
    the choice cannot work."""
    import sys

    if not sys.platform.startswith("linux") or os.environ.get("SDL_VIDEODRIVER"):
        return None
    if os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"):
        return None
    return choose_gl_mode(screen)
