"""Shared by the kiosk tests: a tiny bundle, a KioskApp in the test window on a fake clock, frame stepping."""
from __future__ import annotations

import dataclasses
import math

import numpy as np
import pygame
import pytest

from latentwalk.engine.camera import quat_angle
from tests.bundles import make_bundle

FRAME = 1 / 60


@pytest.fixture(scope="module")
def tiny_bundle(tmp_path_factory):
    return make_bundle(tmp_path_factory.mktemp("kiosk") / "tiny", count=120, classes=4)


@pytest.fixture
def kiosk(gl_window, gl_ui, gl_app, tiny_bundle):
    """A factory `make(**config_fields)` -> (app, kiosk scene) in the shared window, 320x240, fake clock;
    `detail`: the explorer's adaptive detail options.
    Its apps close before gl_app's teardown leaves ImGui and the event queue clean for the next test."""
    from latentwalk.engine.clock import ManualTimeSource
    from latentwalk.scenes.explorer.scene import ExplorerScene
    from latentwalk.scenes.kiosk.config import KioskConfig, TourConfig
    from latentwalk.scenes.kiosk.scene import KioskApp, KioskScene

    apps = []

    def make(size=(320, 240), tour=None, detail=None, **fields):
        tour = dataclasses.replace(TourConfig(seed=11, seconds=12.0), **(tour or {}))
        config = KioskConfig(model=str(tiny_bundle), tour=tour, **fields)
        pygame.event.clear()
        scene = KioskScene(config, ExplorerScene(tiny_bundle, device="cpu", detail=detail))
        app = KioskApp(scene, size=size, window=gl_window, ui=gl_ui, time_source=ManualTimeSource(), vsync=False)
        apps.append(app)
        return app, scene

    yield make
    from tests.conftest import restore_panels

    for app in apps:
        restore_panels(app.scene)
        app.close()


def frames(app, count: int = 1, dt: float = FRAME) -> None:
    for _ in range(count):
        app.step_frame(dt)


def goal(scene):
    """The camera goal of a kiosk scene's explorer, or of an explorer."""
    return getattr(scene, "explorer", scene).camera.goal


def turned(before, after) -> float:
    return quat_angle(before.orientation, after.orientation)


def key(kind, code, mod=0) -> None:
    pygame.event.post(pygame.event.Event(kind, key=code, mod=mod, unicode="", scancode=0))


def press(code, mod=0) -> None:
    key(pygame.KEYDOWN, code, mod)
    key(pygame.KEYUP, code, mod)


def near(a, b, tol=1e-6) -> bool:
    return bool(np.allclose(np.asarray(a, float), np.asarray(b, float), atol=tol))


class Person:
    """A time source for the real `App.run` loop (idle skip on) that also acts as a person: `script` is
    a generator that posts events and yields how many seconds to wait before its next step; its time
    is the frames' (1/60 s each, drawn or skipped). When the script ends, or after `limit` seconds of
    its time, the kiosk leaves."""

    def __init__(self, app, script, limit: float = 600.0) -> None:
        self.app, self.script, self.limit = app, script, limit
        self.now = 0.0
        self._next = 0.0

    def __call__(self) -> float:
        self.now += FRAME
        if self.now > self.limit:
            self.app.leave()
        while self.now >= self._next:
            try:
                self._next = self.now + next(self.script)
            except StopIteration:
                self._next = math.inf
                self.app.leave()
        return self.now


def run_as_person(app, script) -> None:
    app.time_source = Person(app, script)
    app.run(idle=True)
