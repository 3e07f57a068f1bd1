"""The bundle's 3-d layouts in the explorer (vae/layouts.py makes them; `latentwalk project`).

Every model has the PCA view it opens with ("" here); a bundle may hold more (PCA, UMAP, t-SNE).
SwitchLayout flies every point from where it is now to its place in the chosen layout: eased, about a
second; a new switch during a flight starts from where the points are. Each step of the flight is
applied by the FixedStep command (core/apply.py calls `step`), so the cloud's positions, like all
explorer state, change only inside apply(). Picking and hover keep working meanwhile: the cloud's
host positions move with the drawn ones, and each step bumps the model part's version, which
re-picks and redraws the cached layer.

Walks stay in the full latent space; `scene.installed.projection` becomes the layout's map z -> 3-d (exact for
PCA, the layout's small network for UMAP and t-SNE), so the curve and the marker are drawn where
their latents fall in the layout shown. During a flight they fly with the points: `to_3d` places a
latent between where the old layout put it and where the new one does, eased as the points are.

A new layout is computed from the Model panel (ComputeLayout) by `latentwalk project` in a child
process (layout_job.py) under a fresh name; the prepare phase notices its end and applies
LayoutJobEnded, which lists the bundle's layouts again and says the outcome in one line.
"""
from __future__ import annotations

import math

from dataclasses import replace

import numpy as np

from latentwalk.scenes.errors import SceneError
from latentwalk.scenes.explorer.core.scene_commands import LayoutJobEnded
from latentwalk.vae.layouts import (Layout, LayoutError, fresh_name, list_layouts, load_layout, option_problem,
                                    reread_layouts)

FLIGHT_S = 1.0


def ease(fraction: float) -> float:
    """Smoothstep: no jump in speed at either end of the flight."""
    f = min(max(fraction, 0.0), 1.0)
    return f * f * (3.0 - 2.0 * f)


class LayoutProjection:
    """A stored layout as the scene's projection: z -> 3-d through the layout's forward map."""

    def __init__(self, layout: Layout) -> None:
        self.layout = layout
        self.method = layout.method
        self.name = layout.name
        explained = layout.info.get("params", {}).get("explained") if layout.method == "pca" else None
        self.explained = np.asarray(explained if explained else (0.0, 0.0, 0.0), np.float32)

    @property
    def latent_dim(self) -> int:
        return int(self.layout.maps["pca.mean" if self.method == "pca" else "forward.in_mean"].shape[0])

    def to_3d(self, latents: np.ndarray) -> np.ndarray:
        return self.layout.to_3d(latents)

    def to_latent(self, positions: np.ndarray) -> np.ndarray:
        return self.layout.to_latent(positions)


class Blend:
    """A latent's place part of the way through a flight: `start`'s place moved `fraction` (eased) of
    the way to `target`'s. A switch during a flight starts from a frozen one."""

    def __init__(self, start, target, fraction: float) -> None:
        self.start, self.target, self.fraction = start, target, float(fraction)

    def __call__(self, latents: np.ndarray) -> np.ndarray:
        begin, end = self.start(latents), self.target(latents)
        return begin + (end - begin) * self.fraction


class LayoutTools:
    """The current model's layouts, which one is shown, and the flight between them."""

    def __init__(self, scene) -> None:
        self.scene = scene
        self.current = ""  # "" = the model's own PCA view
        self.available: dict[str, dict] = {}
        self.note: str | None = None  # why the bundle's layouts section cannot be read
        self._base_projection = None
        self._base_positions: np.ndarray | None = None
        self._start: np.ndarray | None = None
        self._target: np.ndarray | None = None
        self._elapsed = 0.0
        self._from = None  # during a flight: where the old layout put a latent (a callable, z -> 3-d)
        self.job = None  # the LayoutJob computing a new layout, while it runs
        self.job_message: str | None = None  # how the last one ended (one line)
        self.job_failed = False
        scene.model_listeners.append(self._on_model)
        scene.preparers.append(self._poll_job)
        self._on_model(scene.bundle)

    @property
    def flying(self) -> bool:
        return self._target is not None

    def _on_model(self, bundle) -> None:
        """A model installed: its own view is shown; its layouts are listed (read when chosen)."""
        self.current, self._start, self._target, self._from = "", None, None, None
        self._base_projection = self.scene.installed.projection
        self._base_positions = np.array(self.scene.installed.positions, dtype=np.float32, copy=True)
        try:
            self.available, self.note = list_layouts(bundle), None
        except LayoutError as exc:
            self.available, self.note = {}, str(exc)

    def switch(self, name: str, instant: bool = False) -> None:
        """SwitchLayout's handler: SceneError (one line) when the layout cannot be read. `instant`: the
        points are put in their places now, with no flight."""
        scene = self.scene
        if name == "":
            target, projection = self._base_positions, self._base_projection
        else:
            try:
                layout = load_layout(scene.bundle, name)
            except LayoutError as exc:
                raise SceneError(str(exc)) from None
            target, projection = layout.positions, LayoutProjection(layout)
        self._from = self._frozen_places()
        self._start = np.array(scene.installed.cloud.host_positions, dtype=np.float32, copy=True)
        self._target, self._elapsed = target, 0.0
        self.current = name
        scene.installed = replace(scene.installed, projection=projection)  # the record is replaced whole
        scene.walk_tools.view.invalidate()  # the curve is drawn where its latents fall in this layout
        scene.state.walk.position_version += 1
        scene.state.model.touch()
        if instant:
            self._start = self._target = None
            scene.installed.cloud.move_to(target)
        elif scene.app is not None:
            scene.app.frames.request_for(FLIGHT_S + 0.1)

    def _fraction(self) -> float:
        return ease(self._elapsed / FLIGHT_S)

    def _frozen_places(self):
        """Where latents are drawn now, as a callable that stays so (the start of a new flight)."""
        if self._target is None:
            return self.scene.installed.projection.to_3d
        return Blend(self._from, self.scene.installed.projection.to_3d, self._fraction())

    def to_3d(self, latents: np.ndarray) -> np.ndarray:
        """Where latents are drawn now: in the layout shown or, during a flight, on their way to it."""
        target = self.scene.installed.projection.to_3d
        if self._target is None:
            return target(latents)
        return Blend(self._from, target, self._fraction())(latents)

    def step(self, dt: float) -> None:
        """Within the FixedStep command: move every point, and the walk drawn among them, along its way."""
        if self._target is None:
            return
        scene = self.scene
        self._elapsed += dt
        fraction = self._fraction()
        if fraction >= 1.0:
            places = self._target
            self._start = self._target = self._from = None
        else:
            places = self._start + (self._target - self._start) * np.float32(fraction)
            if scene.app is not None:
                scene.app.frames.request()
        scene.installed.cloud.move_to(places)
        scene.walk_tools.view.invalidate()  # the curve's places move with the points
        scene.state.model.touch()

    # -- a new layout, computed in a child process ----------------------------------------------
    def compute(self, method: str, *, seed: int, neighbors: int, min_dist: float, perplexity: float) -> None:
        """ComputeLayout's handler: SceneError (one line) when it cannot start."""
        from latentwalk.scenes.explorer.model.layout_job import LayoutJob

        if self.job is not None:
            raise SceneError("a layout is being computed already: wait for it, or cancel it")
        bundle = self.scene.bundle
        why = option_problem(method, len(bundle.latents), neighbors=neighbors, min_dist=min_dist,
                             perplexity=perplexity)
        if why:
            raise SceneError(why)
        try:
            name = fresh_name(bundle, method)
        except LayoutError as exc:
            raise SceneError(str(exc)) from None
        try:
            self.job = LayoutJob(bundle.path, method, name, seed=seed, neighbors=neighbors, min_dist=min_dist,
                                 perplexity=perplexity)
        except OSError as exc:
            raise SceneError(f"cannot start latentwalk project: {exc.strerror or exc}") from None
        self.job_message, self.job_failed = None, False
        if self.scene.app is not None:
            self.scene.app.frames.request_while(lambda: self.job is not None)  # the progress bar moves

    def cancel(self) -> None:
        """CancelLayout's handler."""
        if self.job is None:
            raise SceneError("no layout is being computed")
        self.job.cancel()

    def _poll_job(self, alpha: float) -> None:
        """Prepare phase: a finished child is a finding, applied as a scene command."""
        if self.job is not None and not self.job.running:
            from latentwalk.scenes.explorer.core.apply import apply

            apply(self.scene, LayoutJobEnded())

    def job_ended(self) -> None:
        """LayoutJobEnded's handler: the outcome in one line, and the layouts listed again."""
        job, self.job = self.job, None
        if job is None:
            return
        succeeded, message = job.result()
        job.close()
        bundle = self.scene.bundle
        if succeeded and job.bundle_path != bundle.path:
            message += f" for {job.bundle_path.name}"
        self.job_message, self.job_failed = message, not succeeded
        if job.bundle_path == bundle.path:
            try:
                reread_layouts(bundle)
                self.available, self.note = list_layouts(bundle), None
            except LayoutError as exc:
                self.note = str(exc)
        self.scene.state.model.touch()

    def release(self) -> None:
        if self.job is not None:
            self.job.close()
            self.job = None

    def label(self, name: str) -> str:
        if name == "":
            method = getattr(self._base_projection, "method", "pca")
            return "PCA (the model's own view)" if method == "pca" else "as is (d <= 3)"
        entry = self.available.get(name, {})
        quality = entry.get("quality", {})
        kept = quality.get("neighbours_kept")
        figure = f", {100 * kept:.0f}% of neighbours kept" if isinstance(kept, (int, float)) and math.isfinite(kept) else ""
        return f"{name}: {entry.get('method', '?')}{figure}"
