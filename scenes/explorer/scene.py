"""The explorer: a model bundle's latent points as a 3-d cloud, an orbit camera, id picking, decoding in
a background worker, and the panels; one typed state (state.py) changed only by commands, every one
of them through apply() (core/apply.py).

A frame, in phases (engine/app.py calls them in this order), and where the command queue is drained
(once per phase that can submit; `apply_commands` is the one drain):
- input: `handle_action` turns actions into commands (actions.py) and `submit`s them;
- commands: `apply_commands` drains the queue: what input, last frame's UI and preparers, and callers
  between frames (the recorder, tests) submitted;
- fixed step (`update(dt)`, k times): the `updaters` (tour, gamepad) submit, then `apply_commands`
  drains the queue, then the held-key orbit and `FixedStep` (camera, playback) apply;
- prepare (once a frame, drawn or not): no drain. It applies what it finds as scene commands
  (scene_commands.py: a finished model load, the pick), pumps decoder results, runs the `preparers`,
  and shows the Output image (outputs.py); deterministic mode: a bounded wait for what it shows;
- render: draws from the state and changes none of it (the layer cache keeps its own bookkeeping);
- UI: panels `submit`; the next frame's commands phase drains it.

Extension points (plain lists): `extra_renderers` (fn(ctx: RenderContext), drawn into the cached
3-d layer; one with a pure `cache_key(ctx)` lets the layer be reused, one without redraws it every
frame), `overlay_renderers` (fn(ctx), over the layer every frame), `action_handlers` (fn(action) ->
bool, offered every action first), `updaters` (fn(dt), each fixed step), `preparers` (fn(alpha), each
prepare), `model_listeners` (fn(bundle)), `panels` (objects with `build()`, drawn in order; the Stats
overlay, `stats_panel`, is built last and also when the panels are hidden).

Idle frames: a frame is drawn when what it shows moved (versions, `wants_redraw`) or when something
that changes on its own asked the App for frames (`app.frames`, engine/frames.py): the camera while it
moves, a model loading, the layer cache while it refines, a tool's worker result, a timed message.
"""
from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path


from latentwalk.engine.camera import OrbitCamera, quat_from_axis_angle, quat_multiply
from latentwalk.engine.memory import map_big_blocks
from latentwalk.engine.scene import Scene
from latentwalk.engine.screenshots import Screenshots
from latentwalk.scenes.explorer.input import actions
from latentwalk.scenes.explorer.view import frame_prepare
from latentwalk.scenes.explorer.model import install
from latentwalk.scenes.explorer.core.apply import apply as apply_command
from latentwalk.scenes.explorer.core.commands import LoadModel, SwitchLayout
from latentwalk.scenes.explorer.core.scene_commands import FixedStep, InstallModel, ViewportResized
from latentwalk.scenes.explorer.view.cursor_marker import CursorMarker
from latentwalk.scenes.explorer.model.decoding import DecoderService
from latentwalk.scenes.explorer.tools.drawing import DrawTools
from latentwalk.scenes.explorer.tools.insight import InsightTools
from latentwalk.scenes.explorer.view.detail_layer import WHOLE_LAYER, DetailLayerCache, LayerPart, draw_points
from latentwalk.scenes.explorer.view.layer import RenderContext
from latentwalk.scenes.explorer.model.install import InstalledModel
from latentwalk.scenes.explorer.model.model_loader import ModelLoader, prepare_model
from latentwalk.scenes.explorer.tools.neighbor_tools import NeighborTools
from latentwalk.scenes.explorer.tools.colouring import ColourTools
from latentwalk.scenes.explorer.model.outputs import OutputImages
from latentwalk.scenes.explorer.panels.detail_hint import detail_hint
from latentwalk.scenes.explorer.view.picking import Picker
from latentwalk.scenes.explorer.view.points import PointStyle
from latentwalk.scenes.explorer.panels.layout import PanelLayout
from latentwalk.scenes.explorer.panels.start import make_panels
from latentwalk.scenes.explorer.core.state import ExplorerState, StyleState, WalkState
from latentwalk.scenes.explorer.view.tooltip import hover_tooltip
from latentwalk.scenes.explorer.core.undo import History
from latentwalk.scenes.explorer.view.view_cache import ViewCache
from latentwalk.scenes.explorer.walk.path import WalkPath
from latentwalk.scenes.explorer.walk.walk_tools import WalkTools
from latentwalk.scenes.explorer.model.layout_tools import LayoutTools
from latentwalk.scenes.explorer.view.selection_marker import SelectionMarker
from latentwalk.vae.bundle import Bundle, load_bundle

BACKGROUND = (0.08, 0.08, 0.10)
# A view from a little above and to the side, so the first frame already reads as 3-d.
HOME_ORIENTATION = quat_multiply(quat_from_axis_angle((0, 1, 0), math.radians(-30)),
                                 quat_from_axis_angle((1, 0, 0), math.radians(-18)))
DETERMINISTIC_TIMEOUT_S = 30.0


class ExplorerScene(Scene):
    def __init__(self, model: str | Path | Bundle = "mnist", *, data_dir: str | Path | None = None,
                 device: str | None = None, point_size: float = 4.0, prefilter: bool = True,
                 detail: dict | None = None, colour_columns: dict | None = None, layout: str | None = None) -> None:
        """Loads the bundle now, so a bad one fails (VaeError, one line) before a window opens.
        `detail`: adaptive detail's options for every model (adaptive_detail.py: target_fps, min_points,
        fixed, enabled). `colour_columns`: name -> float (N,) values the points can be coloured by
        (`run --colour-by`; tools/colouring.py). `layout`: the bundle's stored layout to open on (else
        its PCA view)."""
        map_big_blocks()  # before a million points' arrays and their temporaries (engine/memory.py)
        self._first_bundle = model if isinstance(model, Bundle) else load_bundle(model)
        self.data_dir, self.device = data_dir, device
        self._colour_columns = colour_columns
        self.opening_layout = layout
        self.state = ExplorerState(style=StyleState(point_size=float(point_size), pick_prefilter=bool(prefilter)),
                                   walk=WalkState(WalkPath(self._first_bundle.latents,
                                                            kind=self._first_bundle.walk_interpolation or "catmull-rom")))
        self.history = History()
        self.last_refusal: str | None = None  # why the last refused command was refused (one line)
        self.refused = None  # that command
        # command -> None, or why it may not be submitted (one line): the kiosk's limits on visitors
        self.command_policy = None
        # the detail hint, the stats overlay and the hover tooltip's numbers: off in a kiosk
        self.developer_readouts = True
        # offline frames (the recorder): prepare waits for the images the frame shows, bounded
        self.deterministic = False
        self.deterministic_timeout = DETERMINISTIC_TIMEOUT_S
        self.hover_catch_up_s = frame_prepare.HOVER_CATCH_UP_S  # after render, for a fast decoder's hover image
        self.app = None
        self.camera = OrbitCamera(orientation=HOME_ORIENTATION)  # mirrors the view: only commands move it
        self.viewport = (1, 1)
        self.style = PointStyle(point_size=point_size, background=BACKGROUND)  # render's copy, per frame
        self.extra_renderers, self.overlay_renderers, self.action_handlers = [], [], []
        self.updaters, self.preparers, self.model_listeners = [], [], []
        self.render_context: RenderContext | None = None
        self.installed: InstalledModel | None = None  # assigned by model/install.py's `install` only
        self.loader = ModelLoader(data_dir)
        self.layer_cache = DetailLayerCache(detail)  # a subset while moving, refined at rest
        self._queue: list = []
        self.picked_for: tuple | None = None  # what the last pick saw (frame_prepare.py)
        self._arrived = False  # a model or decoder results came in this frame
        self._drawn: tuple | None = None  # what the last drawn frame showed, in versions
        self.view_cache = ViewCache(self)  # matrices and fog, again only when the view moved
        self.panel_layout = PanelLayout()  # where the panels go (panels/layout.py)
        self.detail_hint_text: str | None = None  # the UI phase's adaptive-detail line (panels/detail_hint.py)
        self.detail_hint_rect: tuple | None = None
        # made in `start`, once the GL context exists
        self.picker: Picker | None = None
        self.decoder: DecoderService | None = None
        self.output_images: OutputImages | None = None
        self.panels: list = []
        self.stats_panel = self.output_panel = self.help_panel = None
        self.walk_tools: WalkTools | None = None
        self.layouts: LayoutTools | None = None
        self.drawing: DrawTools | None = None
        self.cursor_marker: CursorMarker | None = None
        self.selection_marker: SelectionMarker | None = None
        self.insight: InsightTools | None = None
        self.neighbours: NeighborTools | None = None
        self.colouring: ColourTools | None = None
        self.screenshots: Screenshots | None = None

    @property
    def bundle(self) -> Bundle:
        """The installed bundle (state.model.bundle); before `start`, the one the scene was made with."""
        installed = self.state.model.bundle
        return self._first_bundle if installed is None else installed

    # ----------------------------------------------------------------- lifecycle
    def start(self, app) -> None:
        self.app = app
        actions.bind_keys(app.bindings)
        self.viewport = tuple(app.framebuffer_size)
        self.layer_cache.frame_ms = lambda: app.timings.last["frame"]  # sizes adaptive detail's subset
        self.layer_cache.frames = app.frames  # a subset drawn, or a layer half refined, asks for the next
        self.picker = Picker(*self.viewport, prefilter=self.state.style.pick_prefilter)
        self.decoder = DecoderService(self._first_bundle, device=self.device, held=True)  # warm() after frame 1
        self.output_images = OutputImages(self)
        self.panels, self.stats_panel, self.output_panel, self.help_panel = make_panels(self)
        apply_command(self, InstallModel(prepare_model(self._first_bundle, self.data_dir)))
        self.walk_tools = WalkTools(self)  # the path's view, panels and sessions, through the hooks above
        self.layouts = LayoutTools(self)  # the bundle's layouts and the flight between them
        if self.opening_layout:
            apply_command(self, SwitchLayout(self.opening_layout, instant=True))
        self.drawing = DrawTools(self)  # the Draw panel, dropped pictures, the drawn point's marker
        self.cursor_marker = CursorMarker(self)  # where the gamepad's stick cursor is, when it selects
        self.selection_marker = SelectionMarker(self)  # a ring around the selected point
        self.insight = InsightTools(self)  # the Activations and Weights panels
        self.neighbours = NeighborTools(self)  # the Neighbours panel; each model's index built off-thread
        self.colouring = ColourTools(self, self._colour_columns)  # colour by a value; some computed off-thread
        self.screenshots = Screenshots(app)  # F12 / Shift+F12 save the window as a PNG (engine/screenshots.py)
        self.screenshots.bind_keys(app.bindings)  # the keys' actions become TakeScreenshot (actions.py)

    def close(self) -> None:
        if self.app is None:
            return
        self.walk_tools.release()
        self.layouts.release()
        self.drawing.release()
        self.cursor_marker.release()
        self.selection_marker.release()
        self.insight.release()
        self.neighbours.release()
        self.colouring.close()
        self.loader.close()
        self.decoder.close()
        installed = () if self.installed is None else (self.installed.cloud, self.installed.guides)
        for resource in (*installed, self.picker, self.output_images, self.layer_cache):
            if resource is not None:
                resource.release()
        self.app = None

    def resize(self, width: int, height: int) -> None:
        apply_command(self, ViewportResized((width, height)))

    # ----------------------------------------------------------------- commands
    def submit(self, command) -> None:
        """Queue a command (commands.py); the next drain (module docstring) applies the queue in order.
        Every driver and panel submits here, so `command_policy` (when set) sees every command: one it
        refuses is not queued, and its reason is `last_refusal` like any refused command's."""
        if self.command_policy is not None:
            reason = self.command_policy(command)
            if reason is not None:
                self.last_refusal, self.refused = reason, command
                return
        self._queue.append(command)

    def apply_commands(self) -> None:
        """The drain: every queued command, in order, through apply(), and what those submit."""
        while self._queue:
            queue, self._queue = self._queue, []
            for command in queue:
                apply_command(self, command)

    def request_model(self, name_or_path: str | Path) -> None:
        """The LoadModel command, now (set-up and tests); drivers submit LoadModel."""
        apply_command(self, LoadModel(str(name_or_path)))

    def load_model(self, name_or_path: str | Path) -> bool:
        """Switch models now, on this thread (set-up and tests): the load, then the InstallModel
        command; False with state.model.error on failure."""
        apply_command(self, install.prepare_now(self, name_or_path))
        return self.state.model.error is None

    def mirror_style(self) -> None:
        """The render objects that mirror state.style (called by the SetPointStyle command)."""
        style, guides = self.state.style, self.installed.guides
        guides.show_axes, guides.show_grid = style.show_axes, style.show_grid
        self.picker.prefilter = style.pick_prefilter

    def mirror_point_style(self) -> None:
        """The cloud's per-point style: colours of the chosen value (SetColouring, or its values
        arriving) and state.highlight.points (HighlightPoints, undo)."""
        points = self.state.highlight.points
        colours = None if self.colouring is None else self.colouring.point_colours()
        self.installed.cloud.set_point_style(colours, None if points is None else points.shown)

    # ----------------------------------------------------------------- input and fixed update
    def handle_action(self, action) -> None:
        for handler in list(self.action_handlers):
            if handler(action):
                return
        for command in actions.commands_for(self, action):
            self.submit(command)

    def update(self, dt: float) -> None:
        """One fixed step: drivers submit, the queue is drained, then the held keys and time move things."""
        for updater in list(self.updaters):
            updater(dt)
        self.apply_commands()
        orbit = actions.held_orbit(self.app.input.held_actions() if self.app is not None else set(), dt)
        if orbit is not None:  # in this step, not the next: held keys turn at the fixed step's rate
            self.submit(orbit)  # through submit, so a command policy sees it
            self.apply_commands()
        apply_command(self, FixedStep(dt))

    # ----------------------------------------------------------------- prepare
    def prepare(self, alpha: float) -> None:
        arrived = self._install_loaded()
        arrived = self.decoder.pump() > 0 or arrived
        arrived = self.layer_cache.poll_order(self.installed.cloud) or arrived
        if self.app is not None and self.app.frame_index >= 1:
            self.decoder.warm()  # torch loads once the first frame is on screen
        view_projection, view = self.view_cache.matrices(alpha)
        self.view_cache.update_style(alpha)
        hovered = frame_prepare.pick(self, alpha, view_projection, view)
        if hovered is not None:
            apply_command(self, hovered)
        self.output_images.request()  # first: the decoder works while the rest of the frame is made
        for preparer in list(self.preparers):
            preparer(alpha)
        self.output_images.show()
        if self.deterministic:
            frame_prepare.wait_for_shown_images(self, alpha)
        self._arrived = arrived
        self.render_context = RenderContext(view_projection, view, alpha, self.viewport, self.style,
                                            self.installed.projection)

    def catch_up(self) -> None:
        """A hover's image that the decoder finished while the frame rendered shows in this frame
        (frame_prepare.catch_up_hover)."""
        frame_prepare.catch_up_hover(self)

    def _install_loaded(self) -> bool:
        """A background model load that ended is installed (or its error kept); True if one ended."""
        ended = install.poll_loaded(self)
        if ended is not None:
            apply_command(self, ended)
        return ended is not None

    def poll(self) -> None:
        """Deliver what background threads finished (tests call it between frames)."""
        self._install_loaded()
        self.decoder.pump()

    def pick_at(self, pos: tuple[int, int], alpha: float = 1.0) -> int | None:
        """Index of the point drawn at window pixel `pos`, or None (a pick pass now; tests)."""
        view_projection, view = self.view_cache.matrices(alpha)
        return self.picker.pick(self.installed.cloud, self.framebuffer_pixel(pos), view_projection, view, self.style)

    def framebuffer_pixel(self, pos: tuple[int, int]) -> tuple[int, int]:
        """A window position (mouse, UI) as a framebuffer pixel: they differ on HiDPI screens."""
        window = self.app.window.size if self.app is not None else self.viewport
        return (int(pos[0] * self.viewport[0] / max(1, window[0])),
                int(pos[1] * self.viewport[1] / max(1, window[1])))

    # ----------------------------------------------------------------- idle
    def wants_redraw(self) -> bool:
        """True unless the last frame drawn still shows everything (frame_prepare.wants_redraw)."""
        return frame_prepare.wants_redraw(self)

    def settling(self) -> bool:
        """A model loading, a decode on its way to Output, the cloud refining or panels finding their
        places: what a scripted screenshot waits for."""
        return (self.loader.loading is not None or self.decoder.worker.pending_count > 0
                or self.output_images.pending() is not None or self.layer_cache.refining or self.panel_layout.settling())

    # ----------------------------------------------------------------- render (pure)
    def layer_key(self, ctx: RenderContext) -> tuple | None:
        """What the 3-d layer shows, in versions; None when an extra renderer cannot say."""
        extra = []
        for renderer in list(self.extra_renderers):
            cache_key = getattr(renderer, "cache_key", None)
            if cache_key is None:
                return None
            extra.append(cache_key(ctx))
        state = self.state
        return (self.view_cache.key(ctx.alpha), state.style.version, state.highlight.version, state.model.version,
                state.walk.version, self.installed.cloud.style_version, tuple(self.app.clear_color), tuple(extra))

    def render(self, alpha: float) -> None:
        ctx = self.render_context
        if ctx is None or ctx.alpha != alpha or ctx.viewport != self.viewport:  # capture() between frames
            ctx = RenderContext(*self.view_cache.matrices(alpha), alpha, self.viewport, self.style, self.installed.projection)
        self.layer_cache.draw(self.layer_key(ctx), ctx.viewport, self.app.clear_color, 
                              lambda part=WHOLE_LAYER: self._draw_layer(ctx, part))
        depth, selected, cloud = self.layer_cache.depth_texture_id, self.state.selection.index, self.installed.cloud
        if selected is not None and selected != self.style.hovered:  # the selection, enlarged like a hover
            cloud.draw_hovered(ctx.view_projection, ctx.view, replace(self.style, hovered=selected), depth)
        cloud.draw_hovered(ctx.view_projection, ctx.view, self.style, depth)
        for renderer in list(self.overlay_renderers):
            renderer(ctx)
        self._drawn = frame_prepare.shown_versions(self)  # for idle skipping, not explorer state

    def _draw_layer(self, ctx: RenderContext, part: LayerPart = WHOLE_LAYER) -> None:
        """The layer, or the part of it the detail cache asks for (detail_layer.py)."""
        if part.base:
            self.installed.guides.draw(ctx.view_projection, ctx.view, self.style.fog_range, self.style.fog_amount)
        draw_points(self.installed.cloud, ctx.view_projection, ctx.view, replace(self.style, hovered=None), part)
        if part.extras:
            for renderer in list(self.extra_renderers):
                renderer(ctx)

    def invalidate_layer(self) -> None:
        """Draw the 3-d layer afresh next frame (for a change its key cannot see; tests)."""
        self.layer_cache.invalidate()

    # ----------------------------------------------------------------- UI
    def build_ui(self) -> None:
        if self.state.ui.panels_visible:
            for panel in self.panels:
                panel.build()
        self.screenshots.build()
        if not self.developer_readouts:
            return
        self.stats_panel.build()
        detail_hint(self)
        hovered = self.state.pointer.hovered
        if hovered is not None:
            hover_tooltip(self.bundle, hovered, self.installed.positions[hovered])
