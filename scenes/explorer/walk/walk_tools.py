"""Curves and traversal in the explorer: the walk's drawing, panels and sessions, attached to an
`ExplorerScene` through its extension points (see scenes/explorer/scene.py's docstring). The walk's
state itself, `WalkPath`, is the state's `walk.path`; commands change it (apply_edits.py).

- The path belongs to its model: switching to another model empties and stops it (its points would
  name other pictures there); the same model loaded again keeps the points that fit. The curve view
  re-projects.
- Playback advances in the scene's fixed step, never per frame.
- Prepare phase (`prepare`): the walk's decode requests (image at the position, filmstrip) and the
  curve view's geometry and marker. Render only draws what that left.
- The Output panel shows the walk's image when neither a hovered nor a selected point owns it
  (outputs.py); removing the walk takes its image out.
- Sessions store the highlighted classes as the indices of the classes checked in the Classes panel,
  and an empty list when every class is checked (no highlighting in effect).
"""
from __future__ import annotations

from latentwalk.scenes.explorer.core import commands as c
from latentwalk.scenes.explorer.walk.curve_view import CurveView
from latentwalk.scenes.explorer.panels.layout import layout_of
from latentwalk.scenes.explorer.panels.path import PathPanel
from latentwalk.scenes.explorer.panels.record import RecordDialog
from latentwalk.scenes.explorer.panels.session import SessionIO, SessionPanel
from latentwalk.scenes.explorer.panels.traversal import TraversalPanel
from latentwalk.scenes.explorer.session.session import model_reference


def walk_caption(t: float | None, bundle=None) -> str:
    """The Output caption of the walk's image; a bundle of pictures without a decoder shows, at each
    step, the real picture nearest to the walk's point, and says so."""
    text = "walk" if t is None else f"walk  t = {t:.3f}"
    return f"{text}  (nearest real picture)" if bundle is not None and bundle.kind == "pictures" else text


class WalkTools:
    """Construct in the scene's `start` (GL context current, decoder and panels made); `release` in close."""

    def __init__(self, scene) -> None:
        self.scene = scene
        self.path = scene.state.walk.path  # the state's, which commands change
        self._model = scene.bundle.path  # the model the walk's points belong to
        self.view = CurveView()
        self._prepared: tuple | None = None  # what the last prepare synced
        refusal = lambda: (scene.refused, scene.last_refusal)  # noqa: E731
        self.path_panel = PathPanel(self.path, scene.submit, hovered_index=lambda: scene.state.pointer.hovered,
                                    describe=self.describe, refusal=refusal)
        self.walk_panel = TraversalPanel(self.path, scene.decoder, scene.submit)
        self.walk_panel.show_preview = False  # the Output panel shows the walk's image, larger
        self.walk_panel.hide_when_empty = True
        self.session = SessionIO(self.path, scene.camera, model=lambda: model_reference(scene.bundle.path),
                                 n_classes=lambda: len(scene.bundle.class_names),
                                 highlighted=lambda: list(scene.state.highlight.classes or ()),
                                 submit=scene.submit, state=scene.state)
        self.session_panel = SessionPanel(self.session, refusal=refusal)
        for panel in (self.path_panel, self.walk_panel, self.session_panel):
            panel.layout = layout_of(scene)
        scene.overlay_renderers.append(self.render_overlay)  # the curve and markers, never in the cached layer
        # the Walk panel's Record button opens it; it records in a child process (record_job.py)
        self.record_dialog = RecordDialog(self.session.current, has_walk=lambda: self.path.curve is not None,
                                          request_start=lambda: scene.submit(c.StartRecording()))
        self.walk_panel.on_record = self.record_dialog.open
        self.record_dialog.frames = self.session_panel.frames = scene.app.frames  # both change in time
        scene.panels.extend([self.path_panel, self.walk_panel, self.session_panel, self, self.record_dialog])
        scene.preparers.append(self.prepare)
        scene.model_listeners.append(self._on_model)
        scene.output_images.walk_image = self.output_image
        scene.output_images.walk_pending = lambda: self.walk_panel.pending
        scene.output_images.walk_latent = self.shown_latent

    # -- hooks -----------------------------------------------------------------------------------
    def prepare(self, alpha: float) -> None:
        """Decode requests for the walk, and the curve view's geometry and marker for this frame; an
        idle frame with nothing changed and no filmstrip request left to make costs one comparison."""
        seen = (self.path.version, self.path.traversal.t, self.scene.state.model.version)
        strip = self.walk_panel.filmstrip
        if seen == self._prepared and strip.synced_with(self.path) and not strip.requests_left:
            return
        self._prepared = seen
        self.walk_panel.sync()
        layouts = self.scene.layouts  # where latents are drawn, on their way during a layout flight
        self.view.sync(self.path, self.scene.installed.projection.to_3d if layouts is None else layouts.to_3d)

    def render_overlay(self, ctx) -> None:
        """The curve, the control points and the position marker, over the layer every frame: playing
        the walk leaves the cached layer, and so the full cloud, as it is."""
        self.view.render_curve(ctx.view_projection, ctx.viewport, self.scene.layer_cache.depth_texture_id)
        self.view.render_markers(ctx.view_projection, ctx.viewport)

    def build(self) -> None:
        """In the scene's panel list only to number the control points in the 3-d view."""
        self.view.draw_labels()

    def output_image(self):
        """(image, caption) of the walk for the Output panel, or None without a walk image."""
        image = self.walk_panel.image.image
        if image is None or self.path.curve is None:
            return None
        return image, walk_caption(self.walk_panel.image_t, self.scene.bundle)

    def shown_latent(self):
        """(latent, t) where the walk's image in Output was decoded, or None without one."""
        t = self.walk_panel.image_t
        if self.output_image() is None or t is None:
            return None
        return self.path.curve.at(t), t

    def _on_model(self, bundle) -> None:
        """Another model, within the InstallModel command: its walk starts empty and stopped (an index or
        a latent of the old model names another picture in the new one); the same model loaded again
        keeps the walk that fits."""
        same = bundle.path == self._model
        self._model = bundle.path
        if not same:
            self.path.clear()
            self.path.traversal.pause()
            self.path.traversal.seek(0.0)
            self.path.kind = bundle.walk_interpolation or "catmull-rom"  # the model's own default, on an empty walk
        self.path.set_latents(bundle.latents)
        self.scene.state.walk.position_version += 1
        self.view.invalidate()

    def describe(self, index: int) -> str:
        bundle = self.scene.bundle
        return f"#{index}  {bundle.class_names[bundle.labels[index]]}"

    def release(self) -> None:
        # quitting with unsaved work keeps it for the next start (a command: a kiosk refuses it)
        self.scene.submit(c.SaveSession(autosave=True))
        self.scene.apply_commands()
        self.view.release()
        self.walk_panel.release()
        self.record_dialog.release()
