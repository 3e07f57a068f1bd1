"""Curves and traversal in the explorer: the walk's state, drawing, panels, keys and sessions, attached
to an `ExplorerScene` through its extension points only (see scenes/explorer/scene.py's docstring).

- The path follows the model: a switch hands the new latents to the `WalkPath` (points that no longer
  fit are dropped) and the curve view re-projects.
- Playback advances in the scene's fixed step (`updaters`), never per frame.
- The Output panel: the hovered point's image while a point is hovered (the tooltip names the same
  point), else the image at the walk's position, captioned with its t; with no walk and no hover it
  keeps the last image it showed. Removing the walk takes its image out of the Output panel.
- Sessions store the highlighted classes as the indices of the classes checked in the Classes panel,
  and an empty list when every class is checked (no highlighting in effect).
"""
from __future__ import annotations

import numpy as np

from latentwalk.engine.input import Action
from latentwalk.errors import SceneError
from latentwalk.explorer.curve_view import CurveView
from latentwalk.explorer.decoding import ImageSlot
from latentwalk.explorer.panels import path as path_panel
from latentwalk.explorer.panels.layout import layout_of
from latentwalk.explorer.panels import session as session_panel
from latentwalk.explorer.panels.path import PathPanel
from latentwalk.explorer.panels.session import SessionIO, SessionPanel
from latentwalk.explorer.panels.traversal import TraversalPanel
from latentwalk.explorer.path import WalkPath
from latentwalk.explorer.session import model_reference


def walk_caption(t: float | None) -> str:
    return "walk" if t is None else f"walk  t = {t:.3f}"


class WalkTools:
    """Construct in the scene's `start` (GL context current, decoder and panels made); `release` in close."""

    def __init__(self, scene) -> None:
        self.scene = scene
        self.path = WalkPath(scene.bundle.latents)
        self.view = CurveView()
        self.path_panel = PathPanel(self.path, hovered_index=lambda: scene.hovered_index, jump_to=self.jump_to,
                                    describe=self.describe)
        self.walk_panel = TraversalPanel(self.path, scene.decoder, on_image=self._show_image)
        self.walk_panel.show_preview = False  # the Output panel shows the walk's image, larger
        self.walk_panel.hide_when_empty = True
        self.session = SessionIO(self.path, scene.camera, model=lambda: model_reference(scene.bundle.path),
                                 n_classes=lambda: len(scene.bundle.class_names),
                                 highlighted=self._highlighted, set_highlighted=self._set_highlighted,
                                 switch_model=self._switch_model)
        self.session_panel = SessionPanel(self.session)
        for panel in (self.path_panel, self.walk_panel, self.session_panel):
            panel.layout = layout_of(scene)
        self._output_image = None  # the walk image last put in the Output panel, and its caption
        self._output_caption: str | None = None
        path_panel.bind_keys(scene.app.bindings)
        session_panel.bind_keys(scene.app.bindings)
        scene.extra_renderers.append(self)  # called to draw; `cache_key` lets the scene reuse its 3-d layer
        scene.overlay_renderers.append(self.render_overlay)
        # before the last panel: the scene builds panels[-1] (Stats) alone when the others are hidden
        scene.panels[-1:-1] = [self.path_panel, self.walk_panel, self.session_panel, self]
        scene.action_handlers.append(self.handle_action)
        scene.updaters.append(self.path.update)
        scene.model_listeners.append(self._on_model)

    # -- hooks -----------------------------------------------------------------------------------
    def handle_action(self, action: Action) -> bool:
        return self.path_panel.handle_action(action) or self.session_panel.handle_action(action)

    def __call__(self, ctx) -> None:
        self.render(ctx)

    def cache_key(self, ctx) -> tuple:
        """Called on every drawn frame, before deciding whether the layer is reused: syncs the walk
        (decode requests, Output image, marker), then says what the curve view would draw."""
        self._sync(ctx)
        return self.view.cache_key()

    def render(self, ctx) -> None:
        """The curve, in the scene's cached 3-d layer (already synced by `cache_key` this frame: the
        scene asks every renderer for its key before drawing the layer)."""
        self.view.render_curve(ctx.view_projection, ctx.viewport)

    def render_overlay(self, ctx) -> None:
        """Control points and the position marker, over the layer every frame."""
        self.view.render_markers(ctx.view_projection, ctx.viewport)

    def _sync(self, ctx) -> None:
        self.walk_panel.sync()
        self._sync_output()
        self.view.sync(self.path, ctx.projection.to_3d)

    def build(self) -> None:
        """In the scene's panel list only to number the control points in the 3-d view."""
        self.view.draw_labels()

    def _on_model(self, bundle) -> None:
        self.path.set_latents(bundle.latents)
        self.view.invalidate()

    # -- panel callbacks -------------------------------------------------------------------------
    def jump_to(self, latent: np.ndarray) -> None:
        self.scene.camera.focus(self.scene.projection.to_3d(np.asarray(latent)[None])[0].astype(np.float64))

    def describe(self, index: int) -> str:
        bundle = self.scene.bundle
        return f"#{index}  {bundle.class_names[bundle.labels[index]]}"

    def _show_image(self, slot: ImageSlot) -> None:
        self._sync_output()

    def _sync_output(self) -> None:
        """Put the walk's image in the Output panel unless a hovered point has it (module docstring)."""
        scene, image = self.scene, self.walk_panel.image.image
        if scene.hovered_index is not None:
            return
        showing_walk = self._output_caption is not None and scene.output_caption == self._output_caption
        if image is None:
            if showing_walk:
                scene.decoded_slot.clear()
                scene.output_caption = ""
            self._output_image = self._output_caption = None
            return
        caption = walk_caption(self.walk_panel.image_t)
        if not showing_walk or caption != self._output_caption or image is not self._output_image:
            scene.show_output(image, caption)
            self._output_image, self._output_caption = image, caption

    def _highlighted(self) -> list[int]:
        mask = np.asarray(self.scene.highlighted, bool)
        return [] if mask.all() else [int(i) for i in np.flatnonzero(mask)]

    def _set_highlighted(self, classes: list[int]) -> None:
        count = len(self.scene.bundle.class_names)
        mask = np.ones(count, bool) if not classes else np.isin(np.arange(count), classes)
        self.scene.set_highlighted(mask)

    def _switch_model(self, model: str) -> None:
        if not self.scene.load_model(model):
            raise SceneError(self.scene.model_error or f"{model}: cannot load this model")

    def release(self) -> None:
        self.view.release()
        self.walk_panel.release()
