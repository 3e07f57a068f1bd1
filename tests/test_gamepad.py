"""Gamepads through real SDL events from a virtual game controller: hot-plug of several pads, buttons
through the binding table, dead zones and curves on the axes, ImGui navigation; and the binding
table as data (config overrides, round trip, the Help panel's listing)."""
import math

import pygame
import pytest
from imgui_bundle import imgui

from latentwalk.engine.gamepad import AxisResponse, Gamepads
from latentwalk.engine.input import Bindings
from latentwalk.engine.input_names import BindingError
from latentwalk.engine.scene import Scene
from tests.explorer_helpers import frames
from tests.virtual_pad import VirtualPad


class PadScene(Scene):
    def __init__(self):
        self.actions = []
        self.face_down_seen = False

    def start(self, app):
        self.app = app
        self.gamepads = Gamepads(app.bindings, AxisResponse(stick_dead_zone=0.2, trigger_dead_zone=0.1, exponent=2.0))
        app.input.add_source(self.gamepads)

    def handle_action(self, action):
        self.actions.append(action.name)

    def build_ui(self):
        self.face_down_seen |= imgui.is_key_down(imgui.Key.gamepad_face_down)
        imgui.begin("pad panel")
        imgui.button("one")
        imgui.button("two")
        imgui.end()

    def close(self):
        self.app.input.remove_source(self.gamepads)
        self.gamepads.close()


@pytest.fixture
def pad_app(gl_app):
    scene = PadScene()
    app = gl_app(scene)
    frames(app, 2)
    pads = []

    def plug():
        pad = VirtualPad().attach()
        pads.append(pad)
        frames(app, 2)
        return pad

    yield app, scene, plug
    for pad in pads:
        pad.detach()
    frames(app, 2)


def test_pads_plugged_and_unplugged_at_any_time(pad_app):
    app, scene, plug = pad_app
    first = plug()
    assert len(scene.gamepads.pads) == 1 and scene.gamepads.connections == 1
    assert list(scene.gamepads.pads.values())[0].name == "Virtual Controller"
    second = plug()
    assert len(scene.gamepads.pads) == 2
    first.detach()
    frames(app, 2)
    assert list(scene.gamepads.pads) == [second.instance_id]
    second.button("a", True)  # the remaining pad still works
    app.bindings.bind_pad_button("a", "pressed_a")
    frames(app, 2)
    assert scene.actions.count("pressed_a") == 1
    second.detach()
    frames(app, 2)
    assert scene.gamepads.pads == {}


def test_buttons_map_through_the_binding_table_once_per_press(pad_app):
    app, scene, plug = pad_app
    app.bindings.update({"pad:b": "remove_last", "pad:start": "toggle_panels"})
    pad = plug()
    inputs_before = app.input.user_inputs
    pad.button("b", True)
    frames(app, 3)  # held: still one action
    pad.button("b", False)
    pad.button("start", True)
    frames(app, 2)
    assert scene.actions.count("remove_last") == 1 and scene.actions.count("toggle_panels") == 1
    assert app.input.user_inputs == inputs_before + 2  # two presses; releases do not count


def test_sticks_have_a_radial_dead_zone_and_a_curve(pad_app):
    app, scene, plug = pad_app
    app.bindings.bind_pad_axis("leftx", "turn")
    app.bindings.bind_pad_axis("lefty", "tilt", -1.0)
    app.bindings.bind_pad_axis("righttrigger", "zoom_in")
    pad = plug()
    pad.axis("leftx", 0.15)
    frames(app)
    assert scene.gamepads.axes() == {}  # inside the dead zone
    pad.axis("leftx", 0.6)
    frames(app)
    expected = ((0.6 - 0.2) / 0.8) ** 2
    assert scene.gamepads.axes()["turn"] == pytest.approx(expected, abs=1e-3)
    pad.axis("leftx", 0.0)
    pad.axis("lefty", -1.0)  # pushed up: SDL's -y, bound with scale -1
    pad.axis("righttrigger", 1.0)
    frames(app)
    axes = scene.gamepads.axes()
    assert axes["tilt"] == pytest.approx(1.0, abs=1e-3) and axes["zoom_in"] == pytest.approx(1.0, abs=1e-3)
    assert "turn" not in axes
    pad.axis("leftx", math.sqrt(0.5) * 0.9)  # a diagonal keeps its direction
    pad.axis("lefty", math.sqrt(0.5) * 0.9)
    frames(app)
    axes = scene.gamepads.axes()
    assert axes["turn"] == pytest.approx(-axes["tilt"], abs=1e-3) and axes["turn"] > 0.3


def test_two_pads_add_up_and_clamp(pad_app):
    app, scene, plug = pad_app
    app.bindings.bind_pad_axis("rightx", "cursor_x")
    one, two = plug(), plug()
    one.axis("rightx", 1.0)
    two.axis("rightx", 1.0)
    frames(app)
    assert scene.gamepads.axes()["cursor_x"] == 1.0
    two.axis("rightx", -1.0)
    frames(app)
    assert "cursor_x" not in scene.gamepads.axes()


def test_posted_controller_events_need_no_device(pad_app):
    app, scene, _ = pad_app
    app.bindings.bind_pad_button("x", "play")
    app.bindings.bind_pad_axis("lefttrigger", "zoom_out")
    pygame.event.post(pygame.event.Event(pygame.CONTROLLERBUTTONDOWN, instance_id=4242,
                                         button=pygame.CONTROLLER_BUTTON_X))
    pygame.event.post(pygame.event.Event(pygame.CONTROLLERAXISMOTION, instance_id=4242,
                                         axis=pygame.CONTROLLER_AXIS_TRIGGERLEFT, value=32767))
    frames(app)
    assert "play" in scene.actions and scene.gamepads.axes() == {"zoom_out": 1.0}
    pygame.event.post(pygame.event.Event(pygame.CONTROLLERDEVICEREMOVED, instance_id=4242))
    frames(app)
    assert scene.gamepads.axes() == {}


def test_imgui_navigation_takes_the_buttons_only_while_its_button_is_held(pad_app):
    from latentwalk.engine.gamepad import NAVIGATE_PANELS, enable_imgui_navigation

    app, scene, plug = pad_app
    app.bindings.update({"pad:a": "pressed_a", "pad:start": "toggle_panels", "pad:leftshoulder": NAVIGATE_PANELS})
    app.bindings.bind_pad_axis("rightx", "cursor_x")
    pad = plug()
    enable_imgui_navigation(True)

    def tap(name):
        pad.button(name, True)
        frames(app, 2)
        pad.button(name, False)
        frames(app, 2)

    try:
        scene.gamepads.set_ui_available(True)  # panels shown: the pad still drives the scene
        tap("a")
        assert scene.actions.count("pressed_a") == 1 and not scene.face_down_seen
        pad.button("leftshoulder", True)  # into the panels, on purpose
        pad.axis("rightx", 1.0)
        frames(app, 2)
        assert scene.gamepads.navigate_ui and scene.gamepads.axes() == {}  # the sticks drive nothing else
        pad.button("a", True)
        pad.button("start", True)
        frames(app, 3)
        assert scene.face_down_seen  # ImGui saw the pad's A as its "activate" key
        assert scene.actions.count("pressed_a") == 1 and "toggle_panels" in scene.actions
        assert NAVIGATE_PANELS not in scene.actions  # the hold is the pad's own, not the scene's
        pad.button("leftshoulder", False)  # let go with A still down: ImGui must not keep it pressed
        frames(app, 2)
        assert not scene.gamepads.navigate_ui and scene.gamepads.axes() == {"cursor_x": 1.0}
        scene.face_down_seen = False
        frames(app)
        assert not scene.face_down_seen
        pad.button("a", False)
        pad.axis("rightx", 0.0)
        pad.button("leftshoulder", True)
        frames(app, 2)
        scene.gamepads.set_ui_available(False)  # panels hidden: nothing to navigate, the hold does nothing
        assert not scene.gamepads.navigate_ui
        tap("a")
        assert scene.actions.count("pressed_a") == 2 and not scene.face_down_seen
        pad.button("leftshoulder", False)
        frames(app)
    finally:
        enable_imgui_navigation(False)
        scene.gamepads.set_ui_available(False)


def test_binding_table_round_trips_and_lists_every_device():
    bindings = Bindings.defaults()
    bindings.update({"pad:a": "add_control_point", "pad:lefty": "-orbit_pitch", "key:ctrl+shift+q": "leave",
                     "mouse:wheel": "", "key:escape": "none"})
    table = bindings.to_dict()
    assert table["pad:lefty"] == "-orbit_pitch" and table["key:ctrl+shift+q"] == "leave"
    assert "mouse:wheel" not in table and "key:escape" not in table
    assert bindings.pad_axis_binding("lefty") == ("orbit_pitch", -1.0)
    assert bindings.key_action(pygame.K_q, pygame.KMOD_LCTRL | pygame.KMOD_RSHIFT) == "leave"
    assert Bindings.from_dict(table).to_dict() == table
    rows = dict(bindings.describe())
    assert rows["Pad A"] == "add_control_point" and rows["Ctrl+Shift+Q"] == "leave"
    assert rows["Left drag"] == "drag_rotate" and rows["Pad Left stick Y"] == "-orbit_pitch"


def test_a_bad_binding_is_refused_in_one_line_and_changes_nothing():
    bindings = Bindings.defaults()
    before = bindings.to_dict()
    for bad in ({"pad:z": "x"}, {"key:ctrl+nokey": "x"}, {"mouse:left": "x"}, {"joy:a": "x"}, {"key:hyper+a": "x"}):
        with pytest.raises(BindingError) as caught:
            bindings.update({"pad:a": "fine", **bad})
        assert "\n" not in str(caught.value)
    assert bindings.to_dict() == before
