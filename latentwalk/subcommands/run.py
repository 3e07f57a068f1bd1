"""`latentwalk run`: open the window and run the interactive scene."""
from __future__ import annotations

import argparse
import ipaddress
import re
import time

from latentwalk.subcommands._args import argument_check, positive_float, positive_int

DEFAULT_MODEL = "mnist"
SETTLE_LIMIT_S = 30.0  # a bound: work that never ends (panels whose size keeps changing) must not hold a script
SETTLE_POLL_S = 0.005
_SIZE_RE = re.compile(r"^\s*(\d+)\s*[xX]\s*(\d+)\s*$")


def parse_size(text: str) -> tuple[int, int]:
    match = _SIZE_RE.match(text)
    if not match:
        raise argparse.ArgumentTypeError(f"expected WIDTHxHEIGHT like 1280x720, got {text!r}")
    width, height = int(match.group(1)), int(match.group(2))
    if not (16 <= width <= 16384 and 16 <= height <= 16384):
        raise argparse.ArgumentTypeError(f"size {width}x{height} out of range (16..16384 per side)")
    return width, height


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser("run", help="open the explorer window",
                                   description="Open the latent-space explorer on a model bundle.")
    parser.add_argument("--model", default=None, metavar="M",
                        help=f"a bundled model's name or a bundle folder (default: {DEFAULT_MODEL}; with --kiosk, "
                             "the config's model)")
    parser.add_argument("--layout", default=None, metavar="NAME",
                        help="open on this stored layout of the model (`latentwalk project` makes them; the Model "
                             "panel lists them) instead of its PCA view")
    parser.add_argument("--data-dir", default=None, metavar="D",
                        help="folder of the model's data set, to show training images beside decoded ones")
    parser.add_argument("--size", type=parse_size, default=(1280, 720), metavar="WxH",
                        help="window size in pixels")
    parser.add_argument("--fullscreen", action="store_true", help="start fullscreen (F11 toggles)")
    parser.add_argument("--frames", type=positive_int, default=None, metavar="N",
                        help="quit after N frames (scripted runs; with --screenshot, drawing goes on while work already "
                             "started still changes the picture: the model's load, a decoded image on its way, "
                             "the cloud refining, panels settling into place; at most 30 s)")
    parser.add_argument("--screenshot", default=None, metavar="PATH",
                        help="save the last frame, UI included, as a PNG (with --frames, else on quit)")
    parser.add_argument("--demo", action="store_true",
                        help="show the engine's demo scene instead (checks the GL setup; needs no model)")
    parser.add_argument("--no-vsync", dest="vsync", action="store_false", help="do not wait for vertical sync")
    parser.add_argument("--max-fps", type=float, default=None, metavar="N",
                        help="frame cap (default: none under vsync, 144 without it; 0: uncapped)")
    parser.add_argument("--target-fps", type=positive_float, default=None, metavar="N",
                        help="frame rate a moving view holds by drawing a subset of a big cloud (default: 36)")
    parser.add_argument("--kiosk", action="store_true",
                        help="installation mode: fullscreen, panels and cursor hidden, a tour until a visitor "
                             "takes over (see --config)")
    parser.add_argument("--config", default=None, metavar="FILE.toml",
                        help="the kiosk's TOML config (model, display, idle timeout, tour, bindings); needs --kiosk")
    parser.add_argument("--osc", type=port_number, default=None, metavar="PORT",
                        help="take OSC messages (/latentwalk/select, /latentwalk/walk/t, ...) on this UDP port")
    parser.add_argument("--osc-host", default=None, metavar="IP",
                        help="the interface OSC listens on when not 127.0.0.1 (this machine only), as 0.0.0.0 "
                             "(every interface)")
    parser.add_argument("--midi", default=None, metavar="NAME",
                        help="read a MIDI input, by (part of) its name: CC 21 moves the walk, notes 36-38 play, "
                             "add a point, reset the view (a kiosk config's [bindings] rebinds; needs the midi "
                             "extra)")
    parser.add_argument("--colour-by", default=None, metavar="FILE.npy",
                        help="per-point values the Classes panel can colour the points by: float (N,) or (N, K), "
                             "a row for each of the model's N points")
    parser.set_defaults(func=run)


def port_number(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a UDP port number, got {text!r}") from None
    if not 1 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"a port is from 1 to 65535, got {value}")
    return value


def open_remote_sources(*, osc_port: int | None = None, osc_host: str | None = None,
                        midi_port: str | None = None) -> list:
    """OSC and MIDI input sources (engine/osc.py, engine/midi.py), started, for `app.input.add_source`:
    opened before a window, so a port in use or a missing MIDI input fails first, in one line."""
    sources = []
    if osc_port is not None:
        from latentwalk.engine.osc import DEFAULT_HOST, OscSource
        sources.append(OscSource(osc_port, osc_host or DEFAULT_HOST))
    if midi_port is not None:
        from latentwalk.engine.midi import MidiSource
        sources.append(MidiSource(midi_port))
    started = []
    try:
        for source in sources:
            source.start()
            started.append(source)
    except BaseException:
        for source in started:
            source.close()
        raise
    return sources


def app_with_sources(make_app, sources: list):
    """`make_app()` with `sources` added (it closes them); when it cannot be made, they are closed."""
    try:
        app = make_app()
    except BaseException:
        for source in sources:
            source.close()
        raise
    for source in sources:
        app.input.add_source(source)
    return app


def make_scene(args: argparse.Namespace):
    """The explorer on --model; a missing default bundle says how to get one, in one line."""
    if args.demo:
        from latentwalk.scenes.demo.scene import DemoScene
        return DemoScene()
    from latentwalk.scenes.errors import SceneError
    from latentwalk.scenes.explorer.scene import ExplorerScene
    from latentwalk.vae.bundle import list_bundled_models, load_bundle

    model = DEFAULT_MODEL if args.model is None else args.model  # None: --model not given
    if model == DEFAULT_MODEL and DEFAULT_MODEL not in list_bundled_models():
        raise SceneError(f"the bundled model {DEFAULT_MODEL!r} is missing (assets/models/{DEFAULT_MODEL}); "
                         "train it with `latentwalk train` or pass --model PATH to a bundle folder "
                         "(`latentwalk import-tfjs` makes one)")
    detail = None if args.target_fps is None else {"target_fps": args.target_fps}
    columns = None
    if args.colour_by is not None:  # checked against the model's points before a window opens
        from latentwalk.scenes.explorer.tools.colouring import read_colour_file
        model = load_bundle(model)
        columns = read_colour_file(args.colour_by, len(model.latents))
    scene = ExplorerScene(model, data_dir=args.data_dir, detail=detail, colour_columns=columns, layout=args.layout)
    if args.layout is not None:
        check_layout(scene.bundle, args.layout)
    return scene


def check_layout(bundle, name: str) -> None:
    """--layout names a layout the bundle holds, whose files read whole: else one line, before a window."""
    from latentwalk.scenes.errors import UsageError
    from latentwalk.vae.layouts import LayoutError, list_layouts, load_layout

    try:
        available = list_layouts(bundle)
    except LayoutError as exc:
        raise UsageError(f"--layout {name}: {exc}") from None
    if name not in available:
        raise UsageError(f"--layout {name}: {bundle.path.name} has no layout of that name (it has: "
                         f"{', '.join(available) or 'none; latentwalk project makes them'})")
    load_layout(bundle, name)  # LayoutError, one line naming the file, when a file is damaged


def run(args: argparse.Namespace) -> int:
    if args.frames is not None:  # a scripted run needs no screen: Xvfb or EGL, chosen before OpenGL loads
        from latentwalk.engine.headless import headless_if_no_display
        headless_if_no_display()
    from latentwalk.engine.app import App
    from latentwalk.engine.capture import check_writable
    from latentwalk.scenes.errors import UsageError

    if args.max_fps is not None and not 0 <= args.max_fps < float("inf"):
        raise UsageError(f"--max-fps must be 0 (uncapped) or a positive number, not {args.max_fps}")

    if args.screenshot is not None:
        check_writable(args.screenshot)  # fail before a window opens, not after the run
    if args.config is not None and not args.kiosk:
        raise UsageError("--config is the kiosk's config: use it with --kiosk")
    if args.colour_by is not None and (args.kiosk or args.demo):
        raise UsageError("--colour-by colours the explorer's points: not with --kiosk or --demo")
    if args.osc_host is not None:
        with argument_check("--osc-host", ValueError):
            ipaddress.ip_address(args.osc_host)
    if args.layout is not None and (args.kiosk or args.demo):
        raise UsageError(f"--layout opens a model's layout in the explorer: not with --{'kiosk' if args.kiosk else 'demo'}")
    if args.kiosk:
        from latentwalk.scenes.kiosk.run import run_kiosk
        return run_kiosk(args)
    scene = make_scene(args)
    sources = open_remote_sources(osc_port=args.osc, osc_host=args.osc_host, midi_port=args.midi)
    with app_with_sources(lambda: App(scene, size=args.size, fullscreen=args.fullscreen, vsync=args.vsync,
                                      frame_cap=args.max_fps), sources) as app:
        if not args.demo:
            from latentwalk.scenes.kiosk.pad_driver import PadDriver
            PadDriver.attach(scene, app)  # gamepads drive the explorer outside kiosk mode too
        if args.frames is not None and args.screenshot is not None:
            run_then_screenshot(app, scene, args.frames, args.screenshot)
        else:
            app.run(frames=args.frames, screenshot=args.screenshot)
    return 0


def run_then_screenshot(app, scene, frames: int, screenshot: str) -> None:
    """A scripted run's screenshot, UI included as the help says: the N frames (the last one saved, as
    on a quit), then, while work already started still changes the picture (`scene.settling()`: the
    model's load, the first decoded image, the cloud refining, panels finding their places: ImGui
    sizes a window in its first frame without showing it), more frames for at most SETTLE_LIMIT_S,
    and the screenshot again: a script gets the picture a person would see once it stops changing."""
    app.run(frames=frames, screenshot=screenshot)
    if not app.running or not scene.settling():
        return
    deadline = time.monotonic() + SETTLE_LIMIT_S
    while app.running and scene.settling() and time.monotonic() < deadline:
        app.step_frame()
        time.sleep(SETTLE_POLL_S)  # a worker's result comes from another thread: leave it the core
    if app.running:
        app.run(frames=1, screenshot=screenshot)
