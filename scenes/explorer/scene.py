"""The explorer: a model bundle's latent points as a 3-d cloud, an orbit camera, id picking, decoding in
a background worker, and the panels; one typed state (state.py) changed only by commands (commands.py).

A frame, in phases (engine/app.py calls them in this order):
- input: `handle_action` turns actions into commands (actions.py) and `submit`s them;
- commands: `apply_commands` applies the queue in order (apply.py), bumping versions; the fixed
  `update(dt)` steps apply what was queued since, then move camera, playback and `updaters`;
- prepare (once a frame, drawn or not): model install, decoder results, picking when its inputs moved,
  `preparers`, the Output image (outputs.py); deterministic mode: a bounded wait for what it shows;
- render: draws from the state and changes none of it (the layer cache keeps its own bookkeeping).

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

import numpy as np

from latentwalk.engine.camera import OrbitCamera, quat_from_axis_angle, quat_multiply
from latentwalk.engine.memory import map_big_blocks
from latentwalk.engine.scene import Scene
from latentwalk.engine.screenshots import Screenshots
from latentwalk.scenes.explorer.input import actions
from latentwalk.scenes.explorer.view import frame_prepare
from latentwalk.scenes.explorer.model import install
from latentwalk.scenes.explorer.core.apply import apply as apply_command
from latentwalk.scenes.explorer.view.cursor_marker import CursorMarker
from latentwalk.scenes.explorer.model.decoding import DecoderService
from latentwalk.scenes.explorer.tools.drawing import DrawTools
from latentwalk.scenes.explorer.tools.insight import InsightTools
from latentwalk.scenes.explorer.view.detail_layer import WHOLE_LAYER, DetailLayerCache, LayerPart, draw_points
from latentwalk.scenes.explorer.view.layer import RenderContext
from latentwalk.scenes.explorer.model.model_loader import ModelLoader, prepare_model
from latentwalk.scenes.explorer.tools.neighbor_tools import NeighborTools
from latentwalk.scenes.explorer.model.outputs import OutputImages
from latentwalk.scenes.explorer.panels.detail_hint import detail_hint
from latentwalk.scenes.explorer.view.picking import Picker
from latentwalk.scenes.explorer.view.points import PointStyle
from latentwalk.scenes.explorer.core.scene_parts import ReadOnlyViews, make_panels
from latentwalk.scenes.explorer.core.state import ExplorerState
from latentwalk.scenes.explorer.view.tooltip import hover_tooltip
from latentwalk.scenes.explorer.core.undo import History
from latentwalk.scenes.explorer.view.view_cache import ViewCache
from latentwalk.scenes.explorer.walk.walk_tools import WalkTools
from latentwalk.scenes.explorer.model.layout_tools import LayoutTools
from latentwalk.scenes.explorer.view.selection_marker import SelectionMarker
from latentwalk.vae.bundle import Bundle, load_bundle

BACKGROUND = (0.08, 0.08, 0.10)
# A view from a little above and to the side, so the first frame already reads as 3-d.
HOME_ORIENTATION = quat_multiply(quat_from_axis_angle((0, 1, 0), math.radians(-30)),
                                 quat_from_axis_angle((1, 0, 0), math.radians(-18)))
DETERMINISTIC_TIMEOUT_S = 30.0


class ExplorerScene(ReadOnlyViews, Scene):
    def __init__(self, model: str | Path | Bundle = "mnist", *, data_dir: str | Path | None = None,
                 device: str | None = None, point_size: float = 4.0, prefilter: bool = True,
                 detail: dict | None = None) -> None:
        """Loads the bundle now, so a bad one fails (VaeError, one line) before a window opens.
        `detail`: adaptive detail's options for every model (adaptive_detail.py: target_fps, min_points,
        fixed, enabled)."""
        map_big_blocks()  # before a million points' arrays and their temporaries (engine/memory.py)
        self._first_bundle = model if isinstance(model, Bundle) else load_bundle(model)
        self.data_dir, self.device = data_dir, device
        self.state = ExplorerState()
        self.state.style.point_size, self.state.style.pick_prefilter = float(point_size), bool(prefilter)
        self.history = History()
        self.last_refusal: str | None = None  # why the last refused command was refused (one line)
        self.refused = None  # that command
        # offline frames (the recorder): prepare waits for the images the frame shows, bounded
        self.deterministic = False
        self.deterministic_timeout = DETERMINISTIC_TIMEOUT_S
        self.app = None
        self.camera = OrbitCamera(orientation=HOME_ORIENTATION)
        self.viewport = (1, 1)
        self.style = PointStyle(point_size=point_size, background=BACKGROUND)
        self.extra_renderers, self.overlay_renderers, self.action_handlers = [], [], []
        self.updaters, self.preparers, self.model_listeners = [], [], []
        self.render_context: RenderContext | None = None
        self.cloud = self.guides = None
        self.training_images: np.ndarray | None = None
        self.dataset_note: str | None = None
        self.loader = ModelLoader(data_dir)
        self.layer_cache = DetailLayerCache(detail)  # a subset while moving, refined at rest
        self._queue: list = []
        self.picked_for: tuple | None = None  # what the last pick saw (frame_prepare.py)
        self._arrived = False  # a model or decoder results came in this frame
        self._drawn: tuple | None = None  # what the last drawn frame showed, in versions
        self.view_cache = ViewCache(self)  # matrices and fog, again only when the view moved

    # ----------------------------------------------------------------- lifecycle
    def start(self, app) -> None:
        self.app = app
        actions.bind_keys(app.bindings)
        self.viewport = tuple(app.framebuffer_size)
        self.layer_cache.frame_ms = lambda: app.timings.last["frame"]  # sizes adaptive detail's subset
        self.layer_cache.frames = app.frames  # a subset drawn, or a layer half refined, asks for the next
        self.picker = Picker(*self.viewport, prefilter=self.state.style.pick_prefilter)
        self.decoder = DecoderService(self._first_bundle, device=self.device, held=True)  # warm() after frame 1
        self.outputs = OutputImages(self)
        self.panels, self.stats_panel = make_panels(self)
        install.install(self, prepare_model(self._first_bundle, self.data_dir))
        self.walk = WalkTools(self)  # the path, its view, panels and sessions, through the hooks above
        self.state.walk.path = self.walk.path
        self.layouts = LayoutTools(self)  # the bundle's layouts and the flight between them
        self.drawing = DrawTools(self)  # the Draw panel, dropped pictures, the drawn point's marker
        self.cursor_marker = CursorMarker(self)  # where the gamepad's stick cursor is, when it selects
        self.selection_marker = SelectionMarker(self)  # a ring around the selected point
        self.insight = InsightTools(self)  # the Activations and Weights panels
        self.neighbours = NeighborTools(self)  # the Neighbours panel; each model's index built off-thread
        self.screenshots = Screenshots(app)  # F12 / Shift+F12 save the window as a PNG (engine/screenshots.py)
        self.screenshots.bind_keys(app.bindings)
        self.action_handlers.append(self.screenshots.handle_action)

    def close(self) -> None:
        if self.app is None:
            return
        self.walk.release()
        self.drawing.release()
        self.cursor_marker.release()
        self.selection_marker.release()
        self.insight.release()
        self.neighbours.release()
        self.loader.close()
        self.decoder.close()
        for resource in (self.cloud, self.guides, self.picker, self.outputs, self.layer_cache):
            if resource is not None:
                resource.release()
        self.cloud = self.guides = None
        self.app = None

    def resize(self, width: int, height: int) -> None:
        self.viewport = (max(1, width), max(1, height))
        if self.app is not None:
            self.picker.resize(*self.viewport)
        self.state.view.touch()

    # ----------------------------------------------------------------- commands
    def submit(self, command) -> None:
        """Queue a command (commands.py); the update phase applies the queue in order."""
        self._queue.append(command)

    def apply_commands(self) -> None:
        while self._queue:
            queue, self._queue = self._queue, []
            for command in queue:
                apply_command(self, command)

    def request_model(self, name_or_path: str | Path) -> None:
        """Called by the LoadModel command (install.py); drivers submit LoadModel."""
        install.request_model(self, name_or_path)
        if self.model_loading is not None and self.app is not None:
            self.app.frames.request_while(self._loading)

    def _loading(self) -> bool:
        return self.model_loading is not None

    def load_model(self, name_or_path: str | Path) -> bool:
        """Switch models now (sessions, set-up and tests); False with state.model.error on failure."""
        return install.load_model(self, name_or_path)

    def mirror_style(self) -> None:
        """The render objects that mirror state.style (called by the SetPointStyle command)."""
        style = self.state.style
        self.guides.show_axes, self.guides.show_grid = style.show_axes, style.show_grid
        self.picker.prefilter = style.pick_prefilter

    # ----------------------------------------------------------------- input and fixed update
    def handle_action(self, action) -> None:
        for handler in list(self.action_handlers):
            if handler(action):
                return
        for command in actions.commands_for(self, action):
            self.submit(command)

    def update(self, dt: float) -> None:
        self.apply_commands()
        orbit = actions.held_orbit(self.app.input.held_actions() if self.app is not None else set(), dt)
        if orbit is not None:
            apply_command(self, orbit)
        self.camera.update(dt)
        if self.camera.is_moving:  # a flight, damping: no input, yet every frame shows a new view
            self.state.view.touch()
            if self.app is not None:
                self.app.frames.request()
        walk = self.path.traversal
        before = (walk.t, walk.playing)
        self.path.update(dt)
        if (walk.t, walk.playing) != before:
            self.state.walk.position_version += 1
        for updater in list(self.updaters):
            updater(dt)

    # ----------------------------------------------------------------- prepare
    def prepare(self, alpha: float) -> None:
        self.apply_commands()  # what drivers queued after the fixed steps (or in a frame without any)
        arrived = install.poll_loaded(self)
        arrived = self.decoder.pump() > 0 or arrived
        arrived = self.layer_cache.poll_order(self.cloud) or arrived
        if self.app is not None and self.app.frame_index >= 1:
            self.decoder.warm()  # torch loads once the first frame is on screen
        view_projection, view = self._matrices(alpha)
        self._update_style(alpha)
        frame_prepare.pick(self, alpha, view_projection, view)
        for preparer in list(self.preparers):
            preparer(alpha)
        self.outputs.request()
        self.outputs.show()
        if self.deterministic:
            frame_prepare.wait_for_shown_images(self, alpha)
        self._arrived = arrived
        self.render_context = RenderContext(view_projection, view, alpha, self.viewport, self.style, self.projection)

    def poll(self) -> None:
        """Deliver what background threads finished (tests call it between frames)."""
        install.poll_loaded(self)
        self.decoder.pump()

    def pick_at(self, pos: tuple[int, int], alpha: float = 1.0) -> int | None:
        """Index of the point drawn at window pixel `pos`, or None (a pick pass now; tests)."""
        view_projection, view = self._matrices(alpha)
        return self.picker.pick(self.cloud, self.framebuffer_pixel(pos), view_projection, view, self.style)

    def framebuffer_pixel(self, pos: tuple[int, int]) -> tuple[int, int]:
        """A window position (mouse, UI) as a framebuffer pixel: they differ on HiDPI screens."""
        window = self.app.window.size if self.app is not None else self.viewport
        return (int(pos[0] * self.viewport[0] / max(1, window[0])),
                int(pos[1] * self.viewport[1] / max(1, window[1])))

    # ----------------------------------------------------------------- idle
    def wants_redraw(self) -> bool:
        """True unless the last frame drawn still shows everything (frame_prepare.wants_redraw)."""
        return frame_prepare.wants_redraw(self)

    # ----------------------------------------------------------------- render (pure)
    def _matrices(self, alpha: float) -> tuple[np.ndarray, np.ndarray]:
        return self.view_cache.matrices(alpha)

    def view_key(self, alpha: float) -> tuple:
        return self.view_cache.key(alpha)

    def _update_style(self, alpha: float) -> None:
        self.view_cache.update_style(alpha)

    def layer_key(self, ctx: RenderContext) -> tuple | None:
        """What the 3-d layer shows, in versions; None when an extra renderer cannot say."""
        extra = []
        for renderer in list(self.extra_renderers):
            cache_key = getattr(renderer, "cache_key", None)
            if cache_key is None:
                return None
            extra.append(cache_key(ctx))
        state = self.state
        return (self.view_key(ctx.alpha), state.style.version, state.highlight.version, state.model.version,
                state.walk.version, self.cloud.style_version, tuple(self.app.clear_color), tuple(extra))

    def render(self, alpha: float) -> None:
        ctx = self.render_context
        if ctx is None or ctx.alpha != alpha or ctx.viewport != self.viewport:  # capture() between frames
            ctx = RenderContext(*self._matrices(alpha), alpha, self.viewport, self.style, self.projection)
        self.layer_cache.draw(self.layer_key(ctx), ctx.viewport, self.app.clear_color, 
                              lambda part=WHOLE_LAYER: self._draw_layer(ctx, part))
        depth, selected = self.layer_cache.depth_texture_id, self.state.selection.index
        if selected is not None and selected != self.style.hovered:  # the selection, enlarged like a hover
            self.cloud.draw_hovered(ctx.view_projection, ctx.view, replace(self.style, hovered=selected), depth)
        self.cloud.draw_hovered(ctx.view_projection, ctx.view, self.style, depth)
        for renderer in list(self.overlay_renderers):
            renderer(ctx)
        self._drawn = frame_prepare.shown_versions(self)  # for idle skipping, not explorer state

    def _draw_layer(self, ctx: RenderContext, part: LayerPart = WHOLE_LAYER) -> None:
        """The layer, or the part of it the detail cache asks for (detail_layer.py)."""
        if part.base:
            self.guides.draw(ctx.view_projection, ctx.view, self.style.fog_range, self.style.fog_amount)
        draw_points(self.cloud, ctx.view_projection, ctx.view, replace(self.style, hovered=None), part)
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
        self.stats_panel.build()
        detail_hint(self)
        self.screenshots.build()
        hovered = self.state.pointer.hovered
        if hovered is not None:
            hover_tooltip(self.bundle, hovered, self.positions[hovered])
