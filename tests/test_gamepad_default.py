"""The gamepad as a person meets it: the explorer's default start (panels shown, default bindings, the pad
driver attached as `latentwalk run` attaches it), a real SDL virtual controller, and the real `App.run`
loop with its idle skip on while time passes between the person's presses. The pad drives the explorer;
panel navigation is entered on purpose (a held button) and left again; the right stick's cursor has a
marker in the 3-d view."""
from __future__ import annotations

import numpy as np
import pygame
import pytest
from imgui_bundle import imgui

from latentwalk.engine.gamepad import NAVIGATE_PANELS
from latentwalk.scenes.explorer.panels.help import describe
from tests.explorer_helpers import FRAME, key
from tests.person import PersonClock
from tests.kiosk_helpers import tiny_bundle  # noqa: F401
from tests.virtual_pad import VirtualPad

DEFAULT_SIZE = (1280, 720)  # `latentwalk run`'s window
PAUSE = 0.4  # seconds a person takes between one press and the next


def press(person: PersonClock, pad: VirtualPad, button: str) -> PersonClock:
    person.then(PAUSE, lambda: pad.button(button, True))
    return person.then(0.1, lambda: pad.button(button, False))


def nudge_right_stick(person: PersonClock, pad: VirtualPad, seconds: float = 0.2) -> PersonClock:
    person.then(PAUSE, lambda: pad.axis("rightx", 1.0))
    return person.then(seconds, lambda: pad.axis("rightx", 0.0))


class ButtonPanel:
    """A panel with one button, focused when it first appears, that counts the times it was pressed:
    what ImGui's gamepad navigation does with A."""

    def __init__(self) -> None:
        self.pressed = 0
        self._focused = False

    def build(self) -> None:
        if not self._focused:
            imgui.set_next_window_focus()
            self._focused = True
        imgui.set_next_window_pos((560, 300))
        imgui.begin("pad probe")
        if imgui.button("press me"):
            self.pressed += 1
        imgui.end()


@pytest.fixture
def default_start(gl_app, tiny_bundle):  # noqa: F811
    """(app, explorer, pad driver, person, pad): the explorer as `latentwalk run` starts it, panels shown."""
    from latentwalk.scenes.explorer.scene import ExplorerScene
    from latentwalk.scenes.kiosk.pad_driver import PadDriver

    person = PersonClock()
    explorer = ExplorerScene(tiny_bundle, device="cpu")
    app = person.app = gl_app(explorer, size=DEFAULT_SIZE, time_source=person)
    driver = PadDriver.attach(explorer, app)
    pad = VirtualPad().attach()
    try:
        person.leave(0.2)
        person.run()  # the pad arrives, the start settles
        assert len(driver.gamepads.pads) == 1 and explorer.state.ui.panels_visible
        yield app, explorer, driver, person, pad
    finally:
        pad.detach()
        driver.close()
        pygame.event.clear()


def run_as_a_person(app, person) -> int:
    """Play the person's script through App.run with the idle skip on; the frames it drew."""
    person.leave(PAUSE)
    return person.run()["drawn"]


def test_three_presses_of_a_from_a_default_start_add_three_control_points(default_start):
    app, explorer, _, person, pad = default_start
    assert len(explorer.state.walk.path.points) == 0
    for _ in range(3):
        press(nudge_right_stick(person, pad), pad, "a")
    skipped = app.idle_frames
    run_as_a_person(app, person)
    assert app.idle_frames > skipped  # the loop did rest between the presses
    assert len(explorer.state.walk.path.points) == 3
    latents = [tuple(point.coords) for point in explorer.state.walk.path.points]
    assert len(set(latents)) == 3  # each press took the cursor where the stick had moved it


def test_panel_navigation_is_entered_on_purpose_and_left_again(default_start):
    app, explorer, driver, person, pad = default_start
    held = [name for name, action in app.bindings.to_dict().items() if action == NAVIGATE_PANELS]
    assert held, "no pad button enters panel navigation by default"
    button = held[0].split(":")[1]
    panel = ButtonPanel()
    explorer.panels.append(panel)
    nudge_right_stick(person, pad)  # a cursor selection, which A would add to the walk
    person.then(PAUSE, lambda: pad.button(button, True))  # into the panels
    press(person, pad, "dpdown")  # ImGui's navigation lands on the focused panel's button
    press(press(person, pad, "a"), pad, "a")
    person.then(PAUSE, lambda: pad.button(button, False))  # back to the explorer
    run_as_a_person(app, person)
    assert panel.pressed == 2 and len(explorer.state.walk.path.points) == 0  # A pressed the button, not the walk's
    assert not imgui.is_key_down(imgui.Key.gamepad_face_down)
    press(person, pad, "a")
    run_as_a_person(app, person)
    assert panel.pressed == 2 and len(explorer.state.walk.path.points) == 1


class PresentedFrames:
    """Keeps the last frame the loop presented, read from the back buffer just before the swap: what
    the window shows, without asking the App for a frame of its own."""

    def __init__(self, app, monkeypatch) -> None:
        self.last: np.ndarray | None = None
        flip = app.window.flip

        def read_then_flip():
            self.last = app.read_frame().copy()
            flip()

        monkeypatch.setattr(app.window, "flip", read_then_flip)


def test_the_right_sticks_cursor_is_marked_in_the_view(default_start, monkeypatch):
    app, explorer, driver, person, pad = default_start
    shown = PresentedFrames(app, monkeypatch)
    person.then(PAUSE, app.frames.request)  # one frame drawn at rest: what the window shows before
    run_as_a_person(app, person)
    before = shown.last
    scene_before = app.capture(include_ui=False)
    nudge_right_stick(person, pad, 0.3)
    run_as_a_person(app, person)
    assert explorer.state.selection.source == "gamepad"
    after = shown.last
    x, y = (int(round(v)) for v in explorer.camera.project(driver.cursor[None], 1.0, explorer.viewport).pixels[0])
    around = (slice(y - 12, y + 13), slice(x - 12, x + 13))
    assert np.any(after[around] != before[around])  # the window shows the marker where the cursor is
    def amber(image):
        return (image[..., 0] > 200) & (image[..., 1] > 160) & (image[..., 2] < 110)

    assert np.sum(amber(after[around]) & ~amber(before[around])) > 20  # in its own colour
    # the scene alone, drawn again: only the marker's pixels changed, all of them near the cursor
    changed = np.argwhere(np.any(app.capture(include_ui=False) != scene_before, axis=2))
    assert len(changed) > 20
    assert np.max(np.hypot(changed[:, 0] - y, changed[:, 1] - x)) < 30
    # any other selection takes the marker away
    person.then(PAUSE, lambda: key(pygame.KEYDOWN, pygame.K_ESCAPE)).then(0.1, lambda: key(pygame.KEYUP, pygame.K_ESCAPE))
    run_as_a_person(app, person)
    assert explorer.state.selection.empty
    assert np.array_equal(app.capture(include_ui=False), scene_before)


def test_help_says_how_the_pad_reaches_the_panels(default_start):
    app, explorer, _, person, _ = default_start
    person.then(PAUSE, lambda: key(pygame.KEYDOWN, pygame.K_F1)).then(0.1, lambda: key(pygame.KEYUP, pygame.K_F1))
    run_as_a_person(app, person)
    rows = explorer.help_panel.rows_shown
    assert explorer.help_panel.visible and ("Pad LB", describe(NAVIGATE_PANELS)) in rows
    first_pad_binding = min(i for i, (name, _) in enumerate(rows) if name.startswith("Pad "))
    gamepad = [i for i, (name, does) in enumerate(rows) if name == "Gamepad" and "hold LB" in does]
    assert gamepad and gamepad[0] < first_pad_binding  # said before the long list, where it is seen


def test_a_held_d_pad_keeps_moving_through_the_panels_between_events(default_start):
    app, explorer, _, person, pad = default_start
    person.then(PAUSE, lambda: pad.button("leftshoulder", True)).then(0.2, lambda: pad.button("dpdown", True))
    person.then(0.1, lambda: None)
    run_as_a_person(app, person)
    drawn = app.frame_index
    person.then(0.5, lambda: pad.button("dpdown", False))  # held still: no events for half a second
    person.then(0.0, lambda: pad.button("leftshoulder", False))
    run_as_a_person(app, person)
    assert app.frame_index - drawn >= 0.5 / FRAME * 0.8  # ImGui's navigation repeats only in drawn frames
    drawn = app.frame_index
    person.then(0.5, lambda: None)  # let go: the loop rests again
    run_as_a_person(app, person)
    assert app.frame_index - drawn < 0.5 / FRAME * 0.5
