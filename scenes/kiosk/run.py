"""`latentwalk run --kiosk [--config FILE.toml]`: the explorer as an installation, fullscreen on the
configured display, panels and cursor hidden, touring until a visitor takes over.

The config is read and the model loaded before any window opens, so either fails in one line: a
config that cannot be used is a usage error (exit 2), a model that fails to load a failure (exit 1).
`--model`, `--osc`, `--osc-host` and `--midi` on the command line, when given, win over the config.
"""
from __future__ import annotations

import ctypes
import logging
import os

from latentwalk.scenes.errors import UsageError
from latentwalk.scenes.kiosk.config import KioskConfig, KioskConfigError, load_config

LOG_FORMAT = "%(asctime)s %(levelname)s %(message)s"


def place_on_display(config: KioskConfig) -> None:
    """Open the window on display `config.display` (fullscreen then fills that one); KioskConfigError
    when there is no such display."""
    import pygame

    pygame.display.init()
    count = pygame.display.get_num_displays()
    source = config.path or "the default config"
    if config.display >= count:
        raise KioskConfigError(f"{source}: display: there is no display {config.display} "
                               f"(this machine has {count}, numbered from 0)")
    from latentwalk.engine.ui import _sdl_library

    sdl = _sdl_library()
    rect = (ctypes.c_int * 4)()
    if sdl is not None and sdl.SDL_GetDisplayBounds(config.display, ctypes.byref(rect)) == 0:
        os.environ["SDL_VIDEO_WINDOW_POS"] = f"{rect[0]},{rect[1]}"  # pygame reads it when the window opens


def _given(args, name: str, configured):
    value = getattr(args, name, None)
    return configured if value is None else value


def run_kiosk(args) -> int:
    from latentwalk.subcommands.run import app_with_sources, open_remote_sources
    from latentwalk.scenes.explorer.scene import ExplorerScene
    from latentwalk.scenes.kiosk.scene import KioskApp, KioskScene
    from latentwalk.vae.errors import VaeError

    try:
        config = load_config(getattr(args, "config", None))
    except KioskConfigError as exc:
        raise UsageError(str(exc)) from None  # the file --config names cannot be used: a usage error
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format=LOG_FORMAT)
    # a kiosk's window may not have the focus, and its pads must still work
    os.environ.setdefault("SDL_JOYSTICK_ALLOW_BACKGROUND_EVENTS", "1")
    from_config = args.model is None and config.path is not None  # an explicit --model wins
    model = _given(args, "model", config.model)
    try:
        explorer = ExplorerScene(model, data_dir=args.data_dir)
    except (VaeError, OSError, ValueError) as exc:
        if not from_config:
            raise
        raise KioskConfigError(f"{config.path}: model: {exc}") from None
    sources = open_remote_sources(osc_port=_given(args, "osc", config.osc_port),
                                  osc_host=_given(args, "osc_host", config.osc_host),
                                  midi_port=_given(args, "midi", config.midi_port))

    def make_app() -> KioskApp:
        place_on_display(config)
        return KioskApp(KioskScene(config, explorer), size=args.size, fullscreen=True, vsync=args.vsync,
                        frame_cap=args.max_fps, title="latentwalk")

    # keys, pads, OSC and MIDI all go through the same visitor policy (KioskScene.handle_action)
    with app_with_sources(make_app, sources) as app:
        app.run(frames=args.frames, screenshot=args.screenshot)
    return 0
