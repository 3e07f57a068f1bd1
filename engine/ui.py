"""Dear ImGui (imgui-bundle) in the loop through its pygame backend; ini file in the user config dir.

The backend's own VIDEORESIZE handling calls `set_mode` and its clock reads the wall time, so
the App owns both: resize events are not forwarded and `new_frame` takes the frame's dt.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import os
from pathlib import Path

import pygame
from imgui_bundle import imgui
from imgui_bundle.python_backends.pygame_backend import PygameRenderer

CONFIG_DIR_ENV = "LATENTWALK_CONFIG_DIR"
UI_SCALE_ENV = "LATENTWALK_UI_SCALE"
_BASE_DPI = 96.0


def config_dir() -> Path:
    """Where per-user settings (imgui.ini) live; $LATENTWALK_CONFIG_DIR overrides (tests use a tmp dir)."""
    override = os.environ.get(CONFIG_DIR_ENV)
    if override:
        return Path(override)
    from platformdirs import user_config_dir
    return Path(user_config_dir("latentwalk"))


def _sdl_library() -> ctypes.CDLL | None:
    """The SDL2 library pygame loaded (on Linux its wheel bundles a private copy)."""
    try:
        with open("/proc/self/maps", encoding="utf-8") as maps:
            for line in maps:
                path = line.split()[-1]
                if "libSDL2-2" in path:
                    return ctypes.CDLL(path)
    except OSError:
        pass
    name = ctypes.util.find_library("SDL2")
    return ctypes.CDLL(name) if name else None


def display_scale() -> float:
    """UI scale for high-DPI screens: $LATENTWALK_UI_SCALE, else the display's DPI / 96, else 1."""
    override = os.environ.get(UI_SCALE_ENV)
    if override:
        try:
            return max(0.5, min(4.0, float(override)))
        except ValueError:
            pass
    try:
        sdl = _sdl_library()
        if sdl is None:
            return 1.0
        ddpi, hdpi, vdpi = ctypes.c_float(), ctypes.c_float(), ctypes.c_float()
        if sdl.SDL_GetDisplayDPI(0, ctypes.byref(ddpi), ctypes.byref(hdpi), ctypes.byref(vdpi)) != 0:
            return 1.0
        # Only scale up on genuinely dense screens; X servers often report 96 or nonsense like 1.
        scale = ddpi.value / _BASE_DPI
        return round(scale * 4) / 4 if scale >= 1.25 else 1.0
    except (OSError, AttributeError):
        return 1.0


class Ui:
    """One ImGui context (a process-wide singleton, like the pygame window)."""

    def __init__(self, *, scale: float | None = None, ini_path: Path | None = None) -> None:
        self.context = imgui.create_context()
        io = imgui.get_io()
        self.ini_path = ini_path or config_dir() / "imgui.ini"
        self.ini_path.parent.mkdir(parents=True, exist_ok=True)
        io.set_ini_filename(str(self.ini_path))
        self.scale = display_scale() if scale is None else scale
        style = imgui.get_style()
        # imgui 1.92 rasterises glyphs at the final size, so scaling the style keeps text crisp.
        style.font_scale_dpi = self.scale
        style.scale_all_sizes(self.scale)
        self.renderer = PygameRenderer()
        self._in_frame = False

    @property
    def want_capture_mouse(self) -> bool:
        return bool(imgui.get_io().want_capture_mouse)

    @property
    def want_capture_keyboard(self) -> bool:
        return bool(imgui.get_io().want_capture_keyboard)

    def process_event(self, event: pygame.event.Event) -> None:
        io = imgui.get_io()
        if event.type in (pygame.VIDEORESIZE, pygame.QUIT):
            return
        if event.type == pygame.WINDOWLEAVE:
            io.add_mouse_pos_event(-imgui.FLT_MAX, -imgui.FLT_MAX)
        elif event.type == pygame.WINDOWFOCUSLOST:
            io.add_focus_event(False)
        elif event.type == pygame.WINDOWFOCUSGAINED:
            io.add_focus_event(True)
        else:
            self.renderer.process_event(event)

    def new_frame(self, dt: float, display_size: tuple[int, int]) -> None:
        if self._in_frame:  # the previous frame died between new_frame and render
            imgui.end_frame()
        io = imgui.get_io()
        io.delta_time = max(float(dt), 1e-6)
        io.display_size = (float(display_size[0]), float(display_size[1]))
        imgui.new_frame()
        self._in_frame = True

    def render(self) -> None:
        imgui.render()
        self._in_frame = False
        self.renderer.render(imgui.get_draw_data())

    def render_again(self) -> None:
        """Draw the last finished frame's UI again (for a capture taken between frames)."""
        if not self._in_frame:
            self.renderer.render(imgui.get_draw_data())

    def shutdown(self) -> None:
        if self._in_frame:
            imgui.end_frame()
            self._in_frame = False
        imgui.save_ini_settings_to_disk(str(self.ini_path))
        self.renderer.shutdown()
        imgui.destroy_context(self.context)


def stats_window(timings, *, vsync: bool, updates_per_second: float) -> None:
    """A small overlay with frame rate and per-phase milliseconds (F3)."""
    imgui.set_next_window_pos((10, 10), imgui.Cond_.first_use_ever)
    imgui.set_next_window_bg_alpha(0.6)
    flags = imgui.WindowFlags_.always_auto_resize | imgui.WindowFlags_.no_focus_on_appearing
    if imgui.begin("Stats", None, flags)[0]:
        averages = timings.averages()
        imgui.text(f"{timings.fps:6.1f} fps  ({averages['frame']:.2f} ms)  vsync {'on' if vsync else 'off'}")
        imgui.text(f"update  {averages['update']:6.2f} ms  ({updates_per_second:.0f} Hz)")
        imgui.text(f"render  {averages['render']:6.2f} ms")
        imgui.text(f"ui      {averages['ui']:6.2f} ms")
        imgui.text(f"present {averages['present']:6.2f} ms")
    imgui.end()
