"""The bundle's 3-d layouts in the explorer (vae/layouts.py makes them; `latentwalk project`).

Every model has the PCA view it opens with ("" here); a bundle may hold more (PCA, UMAP, t-SNE).
SwitchLayout flies every point from where it is now to its place in the chosen layout: eased, about a
second, in the fixed step; a new switch during a flight starts from where the points are. Picking
and hover keep working meanwhile: the cloud's host positions move with the drawn ones, and each step
bumps the model part's version, which re-picks and redraws the cached layer.

Walks stay in the full latent space; `scene.installed.projection` becomes the layout's map z -> 3-d (exact for
PCA, the layout's small network for UMAP and t-SNE), so the curve and the marker are drawn where
their latents fall in the layout shown.
"""
from __future__ import annotations

import math

from dataclasses import replace

import numpy as np

from latentwalk.scenes.errors import SceneError
from latentwalk.vae.layouts import Layout, LayoutError, list_layouts, load_layout

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
        scene.model_listeners.append(self._on_model)
        scene.updaters.append(self.update)
        self._on_model(scene.bundle)

    @property
    def flying(self) -> bool:
        return self._target is not None

    def _on_model(self, bundle) -> None:
        """A model installed: its own view is shown; its layouts are listed (read when chosen)."""
        self.current, self._start, self._target = "", None, None
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

    def update(self, dt: float) -> None:
        """Fixed step: move every point along its way."""
        if self._target is None:
            return
        self._elapsed += dt
        fraction = ease(self._elapsed / FLIGHT_S)
        if fraction >= 1.0:
            places = self._target
            self._start = self._target = None
        else:
            places = self._start + (self._target - self._start) * np.float32(fraction)
        self.scene.installed.cloud.move_to(places)
        self.scene.state.model.touch()

    def label(self, name: str) -> str:
        if name == "":
            method = getattr(self._base_projection, "method", "pca")
            return "PCA (the model's own view)" if method == "pca" else "as is (d <= 3)"
        entry = self.available.get(name, {})
        quality = entry.get("quality", {})
        kept = quality.get("neighbours_kept")
        figure = f", {100 * kept:.0f}% of neighbours kept" if isinstance(kept, (int, float)) and math.isfinite(kept) else ""
        return f"{name}: {entry.get('method', '?')}{figure}"
