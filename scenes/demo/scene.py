"""The demo scene: an orbiting view of a coloured cube and axes, and a test-pattern inset."""
from __future__ import annotations

import math

import numpy as np
from imgui_bundle import imgui
from OpenGL import GL as gl

from latentwalk.engine.gl import Buffer, Program, Texture2D, VertexArray
from latentwalk.engine.input import Action
from latentwalk.engine.scene import Scene
from latentwalk.scenes.demo.geometry import axes, cube, orbit_view, perspective, test_pattern

DEFAULT_VIEW = (0.6, 0.45, 4.0)  # yaw, pitch (radians), distance
ORBIT_KEYS = {"orbit_left": (-1, 0), "orbit_right": (1, 0), "orbit_up": (0, 1), "orbit_down": (0, -1)}
ORBIT_KEY_SPEED = 1.5  # radians per second
DRAG_RADIANS_PER_PX = 0.01
DAMPING_PER_SECOND = 12.0


class DemoScene(Scene):
    def __init__(self, *, spin: bool = True) -> None:
        self.spin = spin
        self.spin_speed = 0.4
        self.target = list(DEFAULT_VIEW)
        self.view = list(DEFAULT_VIEW)
        self.previous_view = list(DEFAULT_VIEW)
        self.last_action = "-"
        self.aspect = 1.0
        self.app = None

    def start(self, app) -> None:
        self.app = app
        self.program = Program.from_files("demo_colored.vert", "demo_colored.frag")
        self.quad_program = Program.from_files("textured_quad.vert", "textured_quad.frag")
        self.cube_vao, self.cube_count = self._vertex_array(cube()), 36
        self.axes_vao, self.axes_count = self._vertex_array(axes()), 6
        self.empty_vao = VertexArray()  # core profile draws need a bound VAO even without attributes
        self.pattern = Texture2D.from_image(test_pattern(), filter="nearest")

    @staticmethod
    def _vertex_array(vertices: np.ndarray) -> VertexArray:
        vao = VertexArray()
        buffer = Buffer(vertices)
        stride = vertices.strides[0]
        vao.attribute(0, buffer, 3, stride=stride, offset=0, own=True)
        vao.attribute(1, buffer, 3, stride=stride, offset=12, own=True)
        return vao

    def resize(self, width: int, height: int) -> None:
        self.aspect = width / max(1, height)

    def handle_action(self, action: Action) -> None:
        self.last_action = action.name
        if action.name == "drag_rotate":
            self.target[0] -= action.delta[0] * DRAG_RADIANS_PER_PX
            self.target[1] = float(np.clip(self.target[1] + action.delta[1] * DRAG_RADIANS_PER_PX, -1.5, 1.5))
        elif action.name == "zoom":
            self.target[2] = float(np.clip(self.target[2] * 0.9 ** action.value, 1.5, 20.0))
        elif action.name == "reset_view":
            self.target = list(DEFAULT_VIEW)

    def update(self, dt: float) -> None:
        self.previous_view = list(self.view)
        held = self.app.input.held_actions() if self.app else set()
        for name, (dyaw, dpitch) in ORBIT_KEYS.items():
            if name in held:
                self.target[0] += dyaw * ORBIT_KEY_SPEED * dt
                self.target[1] = float(np.clip(self.target[1] + dpitch * ORBIT_KEY_SPEED * dt, -1.5, 1.5))
        if self.spin:
            self.target[0] += self.spin_speed * dt
        blend = 1.0 - math.exp(-DAMPING_PER_SECOND * dt)
        self.view = [v + (t - v) * blend for v, t in zip(self.view, self.target)]

    def render(self, alpha: float) -> None:
        yaw, pitch, distance = (p + (c - p) * alpha for p, c in zip(self.previous_view, self.view))
        mvp = perspective(45.0, self.aspect, 0.1, 100.0) @ orbit_view(yaw, pitch, distance)
        gl.glEnable(gl.GL_DEPTH_TEST)
        self.program.use()
        self.program["mvp"] = mvp
        self.program["brightness"] = 1.0
        self.cube_vao.draw(gl.GL_TRIANGLES, self.cube_count)
        self.axes_vao.draw(gl.GL_LINES, self.axes_count)
        gl.glDisable(gl.GL_DEPTH_TEST)
        self.quad_program.use()
        self.quad_program["rect"] = (0.70, -0.95, 0.95, -0.95 + 0.25 * self.aspect)
        self.quad_program["image"] = 0
        self.pattern.bind(0)
        self.empty_vao.draw(gl.GL_TRIANGLE_STRIP, 4)

    def build_ui(self) -> None:
        imgui.set_next_window_pos((10, 10), imgui.Cond_.first_use_ever)
        if imgui.begin("Demo", None, imgui.WindowFlags_.always_auto_resize)[0]:
            _, self.spin = imgui.checkbox("spin", self.spin)
            _, self.spin_speed = imgui.slider_float("speed", self.spin_speed, -2.0, 2.0)
            if imgui.button("reset view"):
                self.target = list(DEFAULT_VIEW)
            imgui.text(f"last action: {self.last_action}")
            imgui.text("drag: rotate  wheel: zoom  R: reset  F3: stats  F11: fullscreen")
        imgui.end()

    def close(self) -> None:
        for resource in ("program", "quad_program", "cube_vao", "axes_vao", "empty_vao", "pattern"):
            if hasattr(self, resource):
                getattr(self, resource).release()
                delattr(self, resource)
