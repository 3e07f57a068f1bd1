"""The camera's matrices and the points' fog for a frame, computed again only when the view moved: an
idle window asks for them every frame (prepare, render) and would otherwise redo the same maths."""
from __future__ import annotations

import numpy as np


class ViewCache:
    def __init__(self, scene) -> None:
        self.scene = scene
        self._matrices: tuple = (None, None, None)  # (view key, view-projection, view)
        self._styled_for: tuple | None = None  # the view key the fog range was computed for

    def key(self, alpha: float) -> tuple:
        """Equal keys, equal matrices: the view's version (every command that moves the camera, each
        fixed step it moves in, a resize bump it), and while it moves, how far the frame is between
        two steps."""
        scene = self.scene
        moving = scene.camera.is_moving
        return (scene.state.view.version, alpha if moving else None, scene.viewport)

    def matrices(self, alpha: float) -> tuple[np.ndarray, np.ndarray]:
        """The view-projection and view matrices (float32, maths convention)."""
        key = self.key(alpha)
        if self._matrices[0] != key:
            camera, (width, height) = self.scene.camera, self.scene.viewport
            self._matrices = (key, camera.view_projection(alpha, width / height), camera.view_matrix(alpha))
        return self._matrices[1], self._matrices[2]

    def update_style(self, alpha: float) -> None:
        """The scene's PointStyle for this frame: size and hovered point from the state, fog from the eye."""
        scene, camera = self.scene, self.scene.camera
        style = scene.style
        key = self.key(alpha)
        if key != self._styled_for:
            self._styled_for = key
            radius = camera.scene_radius
            depth = float(np.linalg.norm(camera.state(alpha).eye - camera.scene_center))
            style.fog_range = (max(0.0, depth - 0.4 * radius), depth + radius)
        style.point_size = scene.state.style.point_size
        style.reference_distance = camera.home.distance
        style.hovered = scene.state.pointer.hovered
