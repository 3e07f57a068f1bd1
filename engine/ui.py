"""Dear ImGui (imgui-bundle) in the loop through its pygame backend; ini file in the user config dir.

The backend's own VIDEORESIZE handling calls `set_mode` and its clock reads the wall time, so
the App owns both: resize events are not forwarded and `new_frame` takes the frame's dt.

Text is drawn with a TrueType font shipped in assets/fonts (Roboto), which ImGui rasterises at the
size in use, so it stays crisp at any scale. The scale is the display's (DPI, or $LATENTWALK_UI_SCALE)
times the user's (`step_user_scale`, Ctrl+plus / Ctrl+minus), which is remembered in the config dir.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import functools
import json
import os
import time
from pathlib import Path

import pygame
from imgui_bundle import imgui
from imgui_bundle.python_backends.pygame_backend import PygameRenderer

CONFIG_DIR_ENV = "LATENTWALK_CONFIG_DIR"
UI_SCALE_ENV = "LATENTWALK_UI_SCALE"
_BASE_DPI = 96.0
FONT_FILE = Path(__file__).resolve().parents[1] / "assets" / "fonts" / "Roboto-Regular.ttf"
FONT_SIZE_PX = 15.0  # at scale 1
ATLAS_MIN_PX = 1024
USER_SCALE_STEP = 0.1
USER_SCALE_RANGE = (0.6, 2.5)
SETTINGS_FILE = "ui.json"


def font_file() -> Path:
    """The UI's TTF font: beside the sources, or inside the installed package."""
    if FONT_FILE.is_file():
        return FONT_FILE
    from importlib import resources
    return Path(str(resources.files("latentwalk.assets") / "fonts" / FONT_FILE.name))


def config_dir() -> Path:
    """Where per-user settings (imgui.ini) live; $LATENTWALK_CONFIG_DIR overrides (tests use a tmp dir)."""
    override = os.environ.get(CONFIG_DIR_ENV)
    if override:
        return Path(override)
    from platformdirs import user_config_dir
    return Path(user_config_dir("latentwalk"))


@functools.lru_cache(maxsize=1)
def _sdl_library() -> ctypes.CDLL | None:
    """The SDL2 library pygame loaded (on Linux its wheel bundles a private copy). Cached: the window
    asks for its drawable size every frame, and scanning /proc/self/maps cost 2-100 ms a frame."""
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
        self.settings_path = self.ini_path.parent / SETTINGS_FILE
        io.set_ini_filename(str(self.ini_path))
        # A roomy atlas from the start, so glyphs baked at new sizes (UI scale) do not make the backend
        # replace the atlas texture mid-run.
        io.fonts.tex_min_width = io.fonts.tex_min_height = ATLAS_MIN_PX
        self.font = io.fonts.add_font_from_file_ttf(str(font_file()), FONT_SIZE_PX)
        io.font_default = self.font
        self.scale = display_scale() if scale is None else scale
        self.user_scale = self._load_user_scale()
        self._apply_scale()
        self.renderer = PygameRenderer()
        self._in_frame = False
        # the UI drawn into a texture and reused while unchanged (engine/ui_layer.py); made on first use
        self.layered = True
        self.layer = None
        self._layer_holds_frame = False  # the last frame's UI is in the layer (render_again lays it)
        self._windows: tuple = ()  # the last rendered frame's windows (windows_signature)
        self.windows_changed = False  # they differ from the frame rendered before it

    # -- scale -----------------------------------------------------------------------------------
    @property
    def total_scale(self) -> float:
        return self.scale * self.user_scale

    def _apply_scale(self) -> None:
        """A fresh default style scaled as a whole (scaling the live one again would compound rounding)."""
        style = imgui.Style()
        style.scale_all_sizes(self.total_scale)
        style.font_size_base = FONT_SIZE_PX
        # imgui 1.92 rasterises glyphs at the final size, so scaling the font keeps text crisp.
        style.font_scale_dpi = self.scale
        style.font_scale_main = self.user_scale
        imgui.get_current_context().style = style

    def set_user_scale(self, value: float) -> float:
        """Set the user's UI scale (clamped to USER_SCALE_RANGE, in USER_SCALE_STEP steps) and remember it."""
        low, high = USER_SCALE_RANGE
        value = round(min(high, max(low, float(value))) / USER_SCALE_STEP) * USER_SCALE_STEP
        if abs(value - self.user_scale) > 1e-6:
            self.user_scale = round(value, 2)
            self._apply_scale()
            self._save_settings()
        return self.user_scale

    def step_user_scale(self, steps: int) -> float:
        return self.set_user_scale(self.user_scale + steps * USER_SCALE_STEP)

    def _load_user_scale(self) -> float:
        try:
            value = float(json.loads(self.settings_path.read_text(encoding="utf-8")).get("ui_scale", 1.0))
        except (OSError, ValueError, TypeError, AttributeError):
            return 1.0
        low, high = USER_SCALE_RANGE
        return min(high, max(low, value)) if value == value else 1.0

    def _save_settings(self) -> None:
        try:
            self.settings_path.parent.mkdir(parents=True, exist_ok=True)
            partial = self.settings_path.with_name(self.settings_path.name + f".{os.getpid()}.tmp")
            partial.write_text(json.dumps({"ui_scale": self.user_scale}), encoding="utf-8")
            os.replace(partial, self.settings_path)
        except OSError:
            pass  # an unwritable config dir costs only the remembering

    @property
    def want_capture_mouse(self) -> bool:
        return bool(imgui.get_io().want_capture_mouse)

    @property
    def want_capture_keyboard(self) -> bool:
        return bool(imgui.get_io().want_capture_keyboard)

    def close_popups(self) -> bool:
        """Close every open popup (a combo's list, a menu); True if one was open. Called between frames
        or before this frame's widgets, so the popup is simply not drawn again."""
        if not imgui.get_current_context().open_popup_stack.size():
            return False
        imgui.internal.close_popup_to_level(0, True)
        return True

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

    def new_frame(self, dt: float, framebuffer_size: tuple[int, int]) -> None:
        """Start a UI frame laid out over the window (its size in screen coordinates, which the mouse
        uses) and drawn into `framebuffer_size` pixels: on HiDPI screens these differ."""
        if self._in_frame:  # the previous frame died between new_frame and render
            imgui.end_frame()
        io = imgui.get_io()
        io.delta_time = max(float(dt), 1e-6)
        width, height = pygame.display.get_window_size() if pygame.display.get_init() else framebuffer_size
        width, height = (width, height) if width > 0 and height > 0 else framebuffer_size
        io.display_size = (float(width), float(height))
        io.display_framebuffer_scale = (framebuffer_size[0] / width, framebuffer_size[1] / height)
        imgui.new_frame()
        self._in_frame = True

    def render(self) -> None:
        imgui.render()
        self._in_frame = False
        windows = windows_signature()
        self.windows_changed, self._windows = windows != self._windows, windows
        self._draw(imgui.get_draw_data())

    def render_again(self) -> None:
        """Draw the last finished frame's UI again (for a capture taken between frames)."""
        if self._in_frame:
            return
        if self.layered and self.layer is not None and self._layer_holds_frame:
            # the backend scaled that draw data's clip rects in place when it rendered: not again
            size = self._framebuffer_size()
            self.layer.composite(int(size[0]), int(size[1]))
        else:
            draw_data = imgui.get_draw_data()
            sx, sy = imgui.get_io().display_framebuffer_scale
            if (sx, sy) != (1.0, 1.0) and sx > 0 and sy > 0:
                # the backend scaled the clip rects in place when it drew this data; it will again
                draw_data.scale_clip_rects(imgui.ImVec2(1.0 / sx, 1.0 / sy))
            self.renderer.render(draw_data)

    def _draw(self, draw_data) -> None:
        if not self.layered:
            self.renderer.render(draw_data)
            self._layer_holds_frame = False
            return
        if self.layer is None:
            from latentwalk.engine.ui_layer import UiLayer

            self.layer = UiLayer()
        self._layer_holds_frame = self.layer.draw(self.renderer, draw_data, self._framebuffer_size())

    @staticmethod
    def _framebuffer_size() -> tuple[float, float]:
        io = imgui.get_io()
        return (io.display_size[0] * io.display_framebuffer_scale[0],
                io.display_size[1] * io.display_framebuffer_scale[1])

    def shutdown(self) -> None:
        if self._in_frame:
            imgui.end_frame()
            self._in_frame = False
        imgui.save_ini_settings_to_disk(str(self.ini_path))
        if self.layer is not None:
            self.layer.release()
            self.layer = None
        self.renderer.shutdown()
        imgui.destroy_context(self.context)


def windows_signature() -> tuple:
    """Where each window shown this frame is, its size, and how far its content reached (ImGui sizes an
    auto-resized window from the content of the frame before): while this changes, the UI is settling."""
    shown = []
    for window in imgui.get_current_context().windows:
        if not window.active:
            continue
        dc = window.dc
        shown.append((window.id_, window.collapsed, window.pos.x, window.pos.y, window.size.x, window.size.y,
                      dc.cursor_max_pos.x - window.pos.x, dc.cursor_max_pos.y - window.pos.y,
                      dc.ideal_max_pos.x - window.pos.x, dc.ideal_max_pos.y - window.pos.y))
    return tuple(shown)


# Figures in the stats overlay change this often: still readable, and between changes the UI layer
# (ui_layer.py) is reused instead of redrawn, which the figures would otherwise force every frame.
STATS_REFRESH_S = 0.25


class ThrottledText:
    """Lines of text made again at most every `interval` seconds, per key."""

    def __init__(self, interval: float = STATS_REFRESH_S) -> None:
        self.interval = interval
        self._lines: dict[str, list[str]] = {}
        self._made_at: dict[str, float] = {}

    def lines(self, key: str, make) -> list[str]:
        now = time.perf_counter()
        if key not in self._lines or now - self._made_at[key] >= self.interval:
            self._lines[key], self._made_at[key] = list(make()), now
        return self._lines[key]


stats_text = ThrottledText()


def stats_window(timings, *, vsync: bool, updates_per_second: float, sources=()) -> None:
    """A small overlay with frame rate and per-phase milliseconds (F3), and a line for each input
    source that has one (engine/input_sources.py: what it took and dropped)."""
    imgui.set_next_window_pos((10, 10), imgui.Cond_.first_use_ever)
    imgui.set_next_window_bg_alpha(0.6)
    flags = imgui.WindowFlags_.always_auto_resize | imgui.WindowFlags_.no_focus_on_appearing
    if imgui.begin("Stats", None, flags)[0]:
        def make():
            averages = timings.averages()
            return [f"{timings.fps:6.1f} fps  ({averages['frame']:.2f} ms)  vsync {'on' if vsync else 'off'}",
                    f"update  {averages['update']:6.2f} ms  ({updates_per_second:.0f} Hz)",
                    f"render  {averages['render']:6.2f} ms",
                    f"ui      {averages['ui']:6.2f} ms",
                    f"present {averages['present']:6.2f} ms",
                    *filter(None, (source.status_line() for source in sources))]
        for line in stats_text.lines("engine", make):
            imgui.text(line)
    imgui.end()
