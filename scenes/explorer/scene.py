"""The explorer: a model bundle's latent points as a 3-d cloud, an orbit camera, id picking under the
cursor, hover decoding in a background worker, and the Output / Classes / Model / Stats panels.

Extension points (issue 5 builds curves and traversal on these; each is a plain list or attribute):
- `extra_renderers`: callables `fn(ctx: RenderContext)` drawn in 3-d after the points, depth-tested.
  The 3-d layer is cached (see `render`): a renderer with a `cache_key(ctx)` method is asked for it every
  frame (hashable; equal keys must mean equal pixels) and drawn only when some key changed; one without
  it makes every frame redraw. A layer that changes frame to frame (camera moving) is drawn straight
  into the window; one that stays the same for two frames is kept offscreen and copied from then on.
- `overlay_renderers`: callables `fn(ctx)` drawn every frame over the layer, after the hovered point,
  depth test off (markers that must stay visible and may move without the cloud being redrawn).
- `panels`: objects with `build()`, drawn in order each frame; `output.sections`: callables drawn
  inside the Output panel.
- `action_handlers`: callables `fn(action) -> bool` offered every action first; True consumes it.
- `updaters`: callables `fn(dt)` run in each fixed step after the camera.
- `model_listeners`: callables `fn(bundle)` after a model switch; `hover_listeners`: `fn(index|None)`.
- `redraw_checks`: callables `fn() -> bool`; True keeps an idle window drawing (see `wants_redraw`).
- `decoder` (DecoderService): `request_latent(z, channel)`, `subscribe(channel, fn)`.
- `show_output(image, caption)`: put any decoded image in the Output panel.
- state: `bundle`, `projection` (latent -> 3-d), `positions` (N, 3), `hovered_index`, `camera`.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable

import numpy as np
import pygame
from OpenGL import GL as gl

from latentwalk.engine.camera import OrbitCamera, quat_from_axis_angle, quat_multiply
from latentwalk.engine.gl.framebuffer import Framebuffer
from latentwalk.engine.input import Action
from latentwalk.engine.scene import Scene
from latentwalk.engine.worker import WorkResult
from latentwalk.explorer.decoding import HOVER_CHANNEL, DecoderService, ImageSlot
from latentwalk.explorer.grid import Guides
from latentwalk.explorer.model_loader import LOAD_ERRORS, ModelLoader, PreparedModel, error_line, prepare_model
from latentwalk.explorer.palette import class_colors
from latentwalk.explorer.panels.classes import ClassesPanel
from latentwalk.explorer.panels.model import ModelPanel
from latentwalk.explorer.panels.output import OutputPanel
from latentwalk.explorer.panels.stats import StatsPanel
from latentwalk.explorer.picking import Picker
from latentwalk.explorer.points import PointCloud, PointStyle
from latentwalk.explorer.projection import LatentProjection
from latentwalk.explorer.tooltip import hover_tooltip
from latentwalk.explorer.walk_tools import WalkTools
from latentwalk.explorer.apply import apply as apply_command
from latentwalk.explorer.state import ExplorerState
from latentwalk.explorer.undo import History
from latentwalk.vae.bundle import Bundle, load_bundle

ORBIT_KEYS = {"orbit_left": (-1, 0), "orbit_right": (1, 0), "orbit_up": (0, 1), "orbit_down": (0, -1)}
ORBIT_RADIANS_PER_SECOND = 1.2
BACKGROUND = (0.08, 0.08, 0.10)
# A view from a little above and to the side, so the first frame already reads as 3-d.
HOME_ORIENTATION = quat_multiply(quat_from_axis_angle((0, 1, 0), math.radians(-30)),
                                 quat_from_axis_angle((1, 0, 0), math.radians(-18)))


@dataclass(frozen=True)
class RenderContext:
    """What an extra renderer needs to draw in the cloud's space, this frame."""
    view_projection: np.ndarray  # float32 4x4, maths convention (Program transposes)
    view: np.ndarray
    alpha: float
    viewport: tuple[int, int]
    style: PointStyle
    projection: LatentProjection


class ExplorerScene(Scene):
    def __init__(self, model: str | Path | Bundle = "mnist", *, data_dir: str | Path | None = None,
                 device: str | None = None, point_size: float = 4.0, prefilter: bool = True) -> None:
        """Loads the bundle now, so a bad one fails (VaeError, one line) before a window opens."""
        self.bundle = model if isinstance(model, Bundle) else load_bundle(model)
        self.data_dir = data_dir
        self.device = device
        self.point_size = point_size
        self.prefilter = prefilter
        self.app = None
        self.state = ExplorerState()
        self.state.style.point_size = point_size
        self.state.style.pick_prefilter = prefilter
        self.history = History()
        self.last_refusal: str | None = None
        self._queue: list = []
        self.camera = OrbitCamera(orientation=HOME_ORIENTATION)
        self.viewport = (1, 1)
        self.ui_visible = True
        self.hovered_index: int | None = None
        self.pointer: tuple[int, int] | None = None
        self.model_error: str | None = None
        self.dataset_note: str | None = None
        self.output_caption = ""
        self.output_shows_point = False
        self.hover_latency_frames: int | None = None
        self.style = PointStyle(point_size=point_size, background=BACKGROUND)
        self.extra_renderers: list[Callable[[RenderContext], None]] = []
        self.overlay_renderers: list[Callable[[RenderContext], None]] = []
        self.action_handlers: list[Callable[[Action], bool]] = []
        self.updaters: list[Callable[[float], None]] = []
        self.model_listeners: list[Callable[[Bundle], None]] = []
        self.hover_listeners: list[Callable[[int | None], None]] = []
        self.redraw_checks: list[Callable[[], bool]] = []
        self.render_context: RenderContext | None = None
        self.cloud: PointCloud | None = None
        self.guides: Guides | None = None
        self._requested_key = None
        self._requested_frame = 0
        self._last_pick_state: tuple | None = None
        self._training_images: np.ndarray | None = None
        self.loader = ModelLoader(data_dir)
        self._arrived = False  # a model or decoder results came in this frame (see poll)
        self._drawn_state: tuple | None = None
        self.layer: Framebuffer | None = None  # the 3-d layer's last pixels (colour + depth)
        self._layer_key: tuple | None = None  # what they show; None: nothing valid there
        self._previous_layer_state: tuple | None = None  # what the last frame's layer showed
        self._installs = 0  # counts model installs: a new cloud, guides and projection
        self.layer_reuses = 0  # frames that blitted the cached 3-d layer instead of drawing it

    # ----------------------------------------------------------------- lifecycle
    def start(self, app) -> None:
        self.app = app
        app.bindings.bind_key(pygame.K_TAB, "toggle_panels")
        self.viewport = tuple(app.framebuffer_size)
        self.picker = Picker(*self.viewport, prefilter=self.prefilter)
        self.decoder = DecoderService(self.bundle, device=self.device)
        self.decoder.subscribe(HOVER_CHANNEL, self._on_hover_result)
        self.decoded_slot = ImageSlot()
        self.real_slot = ImageSlot()
        self.output = OutputPanel(self)
        self.panels = [ClassesPanel(self), self.output, ModelPanel(self), StatsPanel(self)]
        self._install(prepare_model(self.bundle, self.data_dir))
        # curves and traversal (issue 5): attaches itself through the hooks above
        self.walk = WalkTools(self)
        self.state.walk.path = self.walk.path

    def close(self) -> None:
        if self.app is None:
            return
        self.walk.release()
        self.loader.close()
        self.decoder.close()
        for resource in (self.cloud, self.guides, self.picker, self.decoded_slot, self.real_slot, self.layer):
            if resource is not None:
                resource.release()
        self.cloud = self.guides = self.layer = None
        self._layer_key = None
        self.app = None

    def resize(self, width: int, height: int) -> None:
        self.viewport = (max(1, width), max(1, height))
        if self.app is not None:
            self.picker.resize(*self.viewport)
            self._last_pick_state = None
        self._layer_key = None

    # ----------------------------------------------------------------- models
    @property
    def model_loading(self) -> str | None:
        """The model being loaded in the background, if any."""
        return self.loader.loading

    def request_model(self, name_or_path: str | Path) -> None:
        """Switch to another bundle without stalling a frame: it loads in a background thread and is
        installed by `poll` once ready (a newer request supersedes this one); on failure the current
        model stays and `model_error` says why."""
        self.model_error = None
        self.loader.request(name_or_path)

    def load_model(self, name_or_path: str | Path) -> bool:
        """Switch to another bundle now (sessions need the model in place before restoring the rest);
        on failure keep the current one and set `model_error` (one line). Supersedes `request_model`."""
        self.loader.cancel()
        try:
            prepared = prepare_model(name_or_path, self.data_dir)
        except LOAD_ERRORS as exc:
            self.model_error = error_line(exc)
            return False
        self._install(prepared)
        self.model_error = None
        return True

    def _install(self, prepared: PreparedModel) -> None:
        """Main thread: upload the prepared model and switch everything to it."""
        bundle, positions = prepared.bundle, prepared.positions
        colors = class_colors(len(bundle.class_names))
        lo, hi = (positions.min(axis=0), positions.max(axis=0)) if len(positions) else (np.zeros(3), np.ones(3))
        cloud = PointCloud(positions, bundle.labels, colors)  # the new one exists before the old goes
        guides = Guides(lo, hi)
        if self.guides is not None:
            guides.show_axes, guides.show_grid = self.guides.show_axes, self.guides.show_grid
        for old in (self.cloud, self.guides):
            if old is not None:
                old.release()
        switching = self.bundle is not bundle
        self.bundle, self.projection, self.positions = bundle, prepared.projection, positions
        self.cloud, self.guides, self.class_colors = cloud, guides, colors
        self._installs += 1
        self._layer_key = None
        self.class_counts = np.bincount(bundle.labels, minlength=len(bundle.class_names))
        self.highlighted = np.ones(len(bundle.class_names), bool)
        self.camera.frame_points(lo, hi, aspect=self.viewport[0] / self.viewport[1])
        self.camera.snap()
        self.picker.forget_view()
        self._last_pick_state = None
        if switching:
            self.decoder.set_bundle(bundle)
        self._set_hovered(None)
        self.decoded_slot.clear()
        self.real_slot.clear()
        self.output_caption = ""
        self._training_images, self.dataset_note = prepared.training_images, prepared.dataset_note
        self.state.model.bundle = bundle
        self.state.highlight.mask = tuple(bool(v) for v in self.highlighted)
        self.state.model.touch()
        for listener in list(self.model_listeners):
            listener(bundle)

    def set_highlighted(self, highlighted: np.ndarray) -> None:
        """bool per class; classes set False are dimmed (a C-texel upload, positions untouched)."""
        self.highlighted = np.asarray(highlighted, bool).copy()
        self.cloud.set_highlight(self.highlighted)
        self._last_pick_state = None  # dimmed points shrink: what is under the cursor may change

    # ----------------------------------------------------------------- input
    def handle_action(self, action: Action) -> None:
        for handler in list(self.action_handlers):
            if handler(action):
                return
        name, camera = action.name, self.camera
        if name == "pointer_move":
            self.pointer = action.pos
        elif name == "pointer_leave":
            self.pointer = None
            self._set_hovered(None)
        elif name == "drag_rotate":
            x, y = action.pos
            camera.rotate_drag((x - action.delta[0], y - action.delta[1]), (x, y), self.viewport)
        elif name == "drag_pan":
            camera.pan_drag(action.delta, self.viewport)
        elif name == "zoom":
            anchor = None if self.hovered_index is None else self.positions[self.hovered_index]
            camera.zoom(action.value, action.pos, self.viewport, anchor=anchor)
        elif name == "double_click":
            index = self.pick_at(action.pos)
            if index is not None:
                camera.focus(self.positions[index])
        elif name == "reset_view":
            camera.reset()
        elif name == "drop_file" and action.text:
            self.request_model(action.text)
        elif name == "toggle_panels":
            self.ui_visible = not self.ui_visible

    # ----------------------------------------------------------------- commands
    def submit(self, command) -> None:
        """Queue a command (scenes/explorer/commands.py); applied in order at the next update phase."""
        self._queue.append(command)

    def apply_commands(self) -> None:
        queue, self._queue = self._queue, []
        for command in queue:
            apply_command(self, command)

    @property
    def path(self):
        return self.walk.path

    def mirror_style(self) -> None:
        style = self.state.style
        self.point_size = style.point_size
        self.guides.show_axes, self.guides.show_grid = style.show_axes, style.show_grid
        self.picker.prefilter = style.pick_prefilter

    def update(self, dt: float) -> None:
        self.apply_commands()
        held = self.app.input.held_actions() if self.app is not None else set()
        yaw = sum(ORBIT_KEYS[n][0] for n in held if n in ORBIT_KEYS) * ORBIT_RADIANS_PER_SECOND * dt
        pitch = sum(ORBIT_KEYS[n][1] for n in held if n in ORBIT_KEYS) * ORBIT_RADIANS_PER_SECOND * dt
        if yaw or pitch:
            self.camera.orbit(yaw, pitch)
        self.camera.update(dt)
        for updater in list(self.updaters):
            updater(dt)

    def poll(self) -> None:
        """Once a frame, drawn or not: install a model that finished loading, deliver decoded images."""
        outcome = self.loader.poll()
        if isinstance(outcome, PreparedModel):
            self._install(outcome)
            self.model_error = None
        elif outcome is not None:
            self.model_error = outcome
        delivered = self.decoder.pump()
        self._arrived = outcome is not None or delivered > 0

    # ----------------------------------------------------------------- idle
    def wants_redraw(self) -> bool:
        """True unless the last frame drawn still shows everything: the camera at rest, no playback,
        nothing loading or decoding, nothing arrived, and the drawn state unchanged."""
        if self.app is None or self._arrived or self.camera.is_moving or self.model_loading is not None:
            return True
        if self.decoder.worker.pending_count or self.walk.path.traversal.playing:
            return True
        if any(check() for check in list(self.redraw_checks)):
            return True
        return self._drawn_state != self._visible_state(self.app.clock.alpha)

    def _visible_state(self, alpha: float) -> tuple:
        """What a frame shows, in brief: a change here needs a redraw even when no input came."""
        decoder = self.decoder
        return (self._matrices(alpha)[0].tobytes(), self.viewport, self.pointer, self.hovered_index,
                self.ui_visible, self.app.show_stats if self.app is not None else None,
                self.highlighted.tobytes(), self.point_size, id(self.cloud), self.output_caption,
                id(self.decoded_slot.image), id(self.real_slot.image), self.model_error,
                self.dataset_note, decoder.last_error, decoder.results_seen,
                self.guides.show_axes if self.guides is not None else None,
                self.guides.show_grid if self.guides is not None else None,
                tuple(self.app.clear_color) if self.app is not None else None)

    # ----------------------------------------------------------------- picking and hover
    def pick_at(self, pos: tuple[int, int], alpha: float = 1.0) -> int | None:
        """Index of the point drawn at window pixel `pos`, or None (a pick pass now)."""
        view_projection, view = self._matrices(alpha)
        return self.picker.pick(self.cloud, pos, view_projection, view, self.style)

    def _set_hovered(self, index: int | None) -> None:
        if index == self.hovered_index:
            return
        self.hovered_index = index
        if index is not None:
            self._requested_key = self.decoder.request_point(index)
            self._requested_frame = self.app.frame_index if self.app is not None else 0
            if self._training_images is not None:
                self.real_slot.show(self._training_images[index])
        for listener in list(self.hover_listeners):
            listener(index)

    def _on_hover_result(self, result: WorkResult) -> None:
        if result.key != self._requested_key or not result.ok:
            return  # stale, or an error the Output panel shows from decoder.last_error
        index = result.key[1]
        self.show_output(result.value, f"#{index}  class {self.bundle.class_names[self.bundle.labels[index]]}")
        self.output_shows_point = self._training_images is not None
        self.hover_latency_frames = self.app.frame_index - self._requested_frame

    def show_output(self, image: np.ndarray, caption: str) -> None:
        """Show `image` (float (H, W) in [0, 1]) as the Output panel's decoded image."""
        self.decoded_slot.show(image)
        self.output_caption = caption
        self.output_shows_point = False

    # ----------------------------------------------------------------- render
    def _matrices(self, alpha: float) -> tuple[np.ndarray, np.ndarray]:
        aspect = self.viewport[0] / self.viewport[1]
        return self.camera.view_projection(alpha, aspect), self.camera.view_matrix(alpha)

    def _update_style(self, alpha: float) -> None:
        state = self.camera.state(alpha)
        radius = self.camera.scene_radius
        depth = float(np.linalg.norm(state.eye - self.camera.scene_center))
        self.style.point_size = self.point_size
        self.style.reference_distance = self.camera.home.distance
        self.style.fog_range = (max(0.0, depth - 0.4 * radius), depth + radius)
        self.style.hovered = self.hovered_index

    def render(self, alpha: float) -> None:
        view_projection, view = self._matrices(alpha)
        self._update_style(alpha)
        pick_state = (self.pointer, view_projection.tobytes(), self.point_size, id(self.cloud))
        if self.pointer is not None and pick_state != self._last_pick_state:
            self._set_hovered(self.picker.pick(self.cloud, self.pointer, view_projection, view, self.style))
            self.style.hovered = self.hovered_index
        self._last_pick_state = pick_state
        self.decoder.pump()
        self.render_context = RenderContext(view_projection, view, alpha, self.viewport, self.style, self.projection)
        key = self._layer_state(self.render_context)
        if key is not None and key == self._layer_key:
            self.layer_reuses += 1
            self._blit_layer()
        elif key is not None and key == self._previous_layer_state:
            # at rest for a frame: worth keeping, since the frames after it can reuse it
            self._draw_layer(self.render_context, self._cached_layer())
            self._layer_key = key
            self._blit_layer()
        else:
            # changing frame to frame (the camera moving, playback): a copy would be wasted work
            self._draw_layer(self.render_context, None)
            self._layer_key = None
        self._previous_layer_state = key
        cached_depth = None if self._layer_key is None else self.layer.depth_texture_id
        self.cloud.draw_hovered(view_projection, view, self.style, cached_depth)
        for renderer in list(self.overlay_renderers):
            renderer(self.render_context)
        self._drawn_state = self._visible_state(alpha)

    def invalidate_layer(self) -> None:
        """Draw the 3-d layer afresh next frame (for a change its key cannot see)."""
        self._layer_key = self._previous_layer_state = None

    def _layer_state(self, ctx: RenderContext) -> tuple | None:
        """Everything the 3-d layer shows (points, guides, extra renderers), or None when some renderer
        cannot say (then every frame redraws). Extra renderers' keys are asked for every frame: asking
        also lets them sync state of their own."""
        guides = self.guides
        extra = []
        for renderer in list(self.extra_renderers):
            cache_key = getattr(renderer, "cache_key", None)
            extra.append(None if cache_key is None else cache_key(ctx))
        if any(k is None for k in extra):
            return None
        style = replace(ctx.style, hovered=None)  # the hovered point is drawn over the layer
        return (ctx.view_projection.tobytes(), ctx.view.tobytes(), ctx.viewport, tuple(vars(style).values()),
                self._installs, id(self.cloud), self.cloud.style_version, guides.show_axes, guides.show_grid,
                tuple(self.app.clear_color) if self.app is not None else None, tuple(extra))

    def _cached_layer(self) -> Framebuffer:
        width, height = self.viewport
        if self.layer is None:
            self.layer = Framebuffer(width, height, ("rgba8",), depth_texture=True)
        elif (self.layer.width, self.layer.height) != (width, height):
            self.layer.resize(width, height)
        return self.layer

    def _draw_layer(self, ctx: RenderContext, target: Framebuffer | None) -> None:
        """The 3-d layer drawn afresh: into `target` (the cache), or straight into the window (None),
        which the App has already cleared."""
        gl.glDisable(gl.GL_SCISSOR_TEST)
        if target is not None:
            clear = self.app.clear_color if self.app is not None else (*BACKGROUND, 1.0)
            target.clear(color=clear)
            target.bind()
        else:
            gl.glBindFramebuffer(gl.GL_FRAMEBUFFER, 0)
            gl.glViewport(0, 0, *ctx.viewport)
        self.guides.draw(ctx.view_projection, ctx.view, self.style.fog_range, self.style.fog_amount)
        self.cloud.draw(ctx.view_projection, ctx.view, replace(self.style, hovered=None))
        for renderer in list(self.extra_renderers):
            renderer(ctx)

    def _blit_layer(self) -> None:
        """The layer's colour into the window's framebuffer, pixel for pixel; depth stays the window's."""
        width, height = self.layer.width, self.layer.height
        gl.glDisable(gl.GL_SCISSOR_TEST)
        gl.glBindFramebuffer(gl.GL_READ_FRAMEBUFFER, self.layer.id)
        gl.glReadBuffer(gl.GL_COLOR_ATTACHMENT0)
        gl.glBindFramebuffer(gl.GL_DRAW_FRAMEBUFFER, 0)
        gl.glBlitFramebuffer(0, 0, width, height, 0, 0, width, height, gl.GL_COLOR_BUFFER_BIT, gl.GL_NEAREST)
        gl.glBindFramebuffer(gl.GL_FRAMEBUFFER, 0)
        gl.glViewport(0, 0, *self.viewport)

    def build_ui(self) -> None:
        if self.ui_visible:
            for panel in self.panels:
                panel.build()
        elif self.app is not None and self.app.show_stats:
            self.panels[-1].build()
        if self.hovered_index is not None:
            hover_tooltip(self.bundle, self.hovered_index, self.positions[self.hovered_index])
