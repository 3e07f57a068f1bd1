"""Runs planned tours on the explorer by submitting its commands, one fixed step at a time.

A tour begins by laying out its walk (ClearPath, AddControlPoint per point, interpolation, closure,
mode "once", speed for the tour's length, t = 0, play) and clearing the selection so the walk owns
the Output image. Each fixed step then sets the camera's goal (SetCameraView, not snapped: the
explorer's damping smooths it) from where the camera was when the tour began, turned by the tour's
yaw and pitch, its distance breathing in and out, its target drifting towards the walk's current
point. When the walk reaches its end the next tour starts; when the driver resumes after a visitor
it starts a fresh tour from wherever the visitor left the camera, easing in.
"""
from __future__ import annotations

import numpy as np

from latentwalk.engine.camera import quat_from_axis_angle, quat_multiply
from latentwalk.scenes.explorer.core import commands as c
from latentwalk.scenes.kiosk.tour import EASE_SECONDS, Tour, TourPlanner, camera_at, smoothstep

TARGET_FOLLOW = 0.35  # how far the camera's target leans from the scene centre towards the walk
END_PAUSE_SECONDS = 2.0  # the last image stays a moment before the next tour


class TourDriver:
    def __init__(self, scene, planner: TourPlanner, speed: float = 1.0) -> None:
        self.scene = scene
        self.planner = planner
        self.speed = float(speed)
        self.tour: Tour | None = None
        self.elapsed = 0.0  # tour seconds (scaled by speed)
        self.tours_started = 0
        self._ended_for = 0.0
        self._start = None  # the camera goal when the tour began
        self._start_factor = 1.0

    def begin(self) -> Tour:
        """Start the next planned tour from the camera as it is now."""
        scene = self.scene
        tour = self.planner.next()
        self.tour, self.elapsed, self._ended_for = tour, 0.0, 0.0
        self.tours_started += 1
        goal = scene.camera.goal
        self._start = goal
        self._start_factor = goal.distance / max(scene.camera.home.distance, 1e-9)
        submit = scene.submit
        submit(c.Select())  # no selection: the walk owns the Output image
        submit(c.ClearPath())
        for index in tour.indices:
            submit(c.AddControlPoint(index=int(index)))
        submit(c.SetInterpolation("catmull-rom"))
        submit(c.SetClosed(tour.closed))
        submit(c.SetWalkMode("once"))
        submit(c.SetWalkSpeed(min(2.0, self.speed / tour.seconds)))
        submit(c.SetWalkT(0.0))
        submit(c.PlayWalk(True))
        return tour

    def pause(self) -> None:
        """A visitor took over: the walk stops where it is (theirs to play on)."""
        if self.tour is not None:
            self.scene.submit(c.PlayWalk(False))
        self.tour = None

    def step(self, dt: float) -> None:
        if self.tour is None:
            return
        scene = self.scene
        self.elapsed += dt * self.speed
        walk = scene.state.walk
        if self.elapsed > EASE_SECONDS and not walk.playing and walk.t >= 1.0:
            self._ended_for += dt
            if self._ended_for >= END_PAUSE_SECONDS:
                self.begin()
                return
        self._camera(self.tour, scene)

    def _camera(self, tour: Tour, scene) -> None:
        start, camera = self._start, scene.camera
        pose = camera_at(tour, self.elapsed, self._start_factor)
        turn = quat_multiply(quat_from_axis_angle((0, 1, 0), pose.yaw), quat_from_axis_angle((1, 0, 0), -pose.pitch))
        orientation = quat_multiply(start.orientation, turn)
        orientation = orientation / np.linalg.norm(orientation)
        target = np.asarray(start.target, np.float64)
        point = self._walk_point(scene)
        if point is not None:
            wanted = camera.scene_center + TARGET_FOLLOW * (point - camera.scene_center)
            target = target + (wanted - target) * smoothstep(self.elapsed / EASE_SECONDS)
        distance = camera.home.distance * pose.distance_factor
        scene.submit(c.SetCameraView(tuple(float(v) for v in target), float(distance),
                                     tuple(float(v) for v in orientation),
                                     fov_degrees=float(np.degrees(camera.fov_y)), snap=False))

    @staticmethod
    def _walk_point(scene) -> np.ndarray | None:
        latent = scene.state.walk.path.traversal.point
        if latent is None:
            return None
        return scene.installed.projection.to_3d(np.asarray(latent, np.float32)[None])[0].astype(np.float64)
