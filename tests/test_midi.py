"""MIDI (engine/midi.py) with mido's own messages fed through a port object: a knob moves the walk and a
pad plays it through the real `App.run` loop with its idle skip on; a fader bound to an axis orbits at a
rate, read once per fixed step; the bindings live in the one table; in kiosk mode the visitor policy
filters MIDI as it filters keys. (No test opens a virtual port: this machine has no MIDI system,
no /dev/snd/seq for ALSA and no JACK server, so python-rtmidi cannot make one.)"""
from __future__ import annotations

import mido
import numpy as np
import pytest

from latentwalk.engine.camera import quat_angle
from latentwalk.engine.input import Bindings
from latentwalk.engine.input_names import BindingError
from latentwalk.engine.midi import MidiSource
from latentwalk.scenes.explorer.core.commands import AddControlPoint, ShowPanels
from tests.bundles import make_bundle
from tests.explorer_helpers import frames
from tests.kiosk_helpers import goal, kiosk, tiny_bundle, turned  # noqa: F401
from tests.person import PersonClock, run_as_a_person

SIZE = (320, 240)


class FakePort:
    """What a mido input port offers the source: `iter_pending()` yields what came in, as mido.Message."""

    name = "fake controller"

    def __init__(self) -> None:
        self.waiting: list[mido.Message] = []
        self.closed = False

    def send(self, *messages: mido.Message) -> None:
        self.waiting.extend(messages)

    def iter_pending(self):
        while self.waiting:
            yield self.waiting.pop(0)

    def close(self) -> None:
        self.closed = True


def cc(control: int, value: int, channel: int = 0) -> mido.Message:
    return mido.Message("control_change", control=control, value=value, channel=channel)


def note(number: int, velocity: int = 100) -> mido.Message:
    return mido.Message("note_on", note=number, velocity=velocity)


@pytest.fixture(scope="module")
def bundle_path(tmp_path_factory):
    return make_bundle(tmp_path_factory.mktemp("midi") / "tiny", count=200, classes=4)


def open_with_midi(gl_app, bundle_path, *, pads: bool = False):
    from latentwalk.scenes.explorer.scene import ExplorerScene
    from latentwalk.scenes.kiosk.pad_driver import PadDriver

    scene = ExplorerScene(bundle_path, device="cpu")
    clock = PersonClock()
    app = clock.app = gl_app(scene, size=SIZE, time_source=clock)
    if pads:
        PadDriver.attach(scene, app)
    scene.submit(ShowPanels(False))
    port = FakePort()
    source = app.input.add_source(MidiSource(port))
    frames(app, 2)
    return app, scene, clock, port, source


def test_a_knob_moves_the_walk_and_a_pad_plays_it_through_the_idle_loop(gl_app, bundle_path):
    app, scene, clock, port, source = open_with_midi(gl_app, bundle_path)
    scene.submit(AddControlPoint(index=0))
    scene.submit(AddControlPoint(index=1))
    at_rest = run_as_a_person(app, clock, [], rest_until=0.5)
    script = [(0.1, lambda: port.send(cc(21, 127))),
              (0.3, lambda: port.send(cc(21, 32, channel=9))),  # any channel
              (0.5, lambda: port.send(note(36))),  # the default: play / pause the walk
              (0.6, lambda: port.send(mido.Message("note_off", note=36), mido.Message("clock"),
                                      mido.Message("sysex", data=[1, 2, 3])))]
    shown = run_as_a_person(app, clock, script, rest_until=1.0)
    assert scene.state.walk.playing
    assert scene.state.walk.position_version > 0 and source.ignored == 2 and source.inputs == 3
    assert not source.active()  # the note was let go
    port.send(note(36, velocity=90))
    run_as_a_person(app, clock, [], rest_until=0.2)
    assert not scene.state.walk.playing
    port.send(cc(21, 64))
    shown = run_as_a_person(app, clock, [], rest_until=0.5)
    assert scene.state.walk.path.traversal.t == pytest.approx(64 / 127)
    assert shown["skipped"] > 10
    assert np.abs(shown["frame"] - app.capture().astype(int)).max() <= 2
    assert np.abs(shown["frame"] - at_rest["frame"]).max() > 40  # the walk's marker and image moved


def test_a_fader_bound_to_an_axis_orbits_at_a_rate_and_stops_at_zero(gl_app, bundle_path):
    app, scene, clock, port, source = open_with_midi(gl_app, bundle_path, pads=True)
    app.bindings.bind("midi:cc:7", "orbit_yaw")
    before = scene.camera.goal.orientation
    run_as_a_person(app, clock, [(0.1, lambda: port.send(cc(7, 127))),
                                 (0.6, lambda: port.send(cc(7, 0)))], rest_until=1.5)
    # 90 degrees a second at full scale (the pad driver's default) for half a second, to a step
    assert np.degrees(quat_angle(before, scene.camera.goal.orientation)) == pytest.approx(45.0, abs=2.0)
    assert app.input.axes() == {}


def test_a_frame_takes_at_most_its_share_of_a_burst(gl_app, bundle_path):
    app, scene, clock, port, source = open_with_midi(gl_app, bundle_path)
    port.send(*(cc(21, i % 128) for i in range(source.per_frame * 3 + 5)))
    handled = []
    for _ in range(5):
        frames(app)
        handled.append(source.handled)
    assert handled == [source.per_frame, 2 * source.per_frame, 3 * source.per_frame, 3 * source.per_frame + 5,
                       3 * source.per_frame + 5]


def test_midi_inputs_are_bindings_like_any_other():
    bindings = Bindings()
    bindings.update({"midi:CC:021": "walk_t", "midi:note:36": "play_walk", "midi:cc:1": "-zoom_axis"})
    assert bindings.source_binding("midi:cc:21") == ("walk_t", 1.0)
    assert bindings.source_binding("midi:cc:1") == ("zoom_axis", -1.0)
    table = bindings.to_dict()
    assert table["midi:cc:21"] == "walk_t" and table["midi:cc:1"] == "-zoom_axis"
    assert Bindings.from_dict(table).to_dict() == table
    assert ("MIDI note 36", "play_walk") in bindings.describe()
    bindings.bind("midi:note:36", "")
    assert bindings.source_binding("midi:note:36") is None
    for bad in ("midi:cc:128", "midi:knob:1", "midi:note:x"):
        with pytest.raises(BindingError) as failure:
            bindings.bind(bad, "walk_t")
        assert bad in str(failure.value) and "\n" not in str(failure.value)


def test_the_kiosk_filters_midi_as_it_filters_keys_and_a_pad_hands_over(kiosk):
    app, scene = kiosk(visitors_may=("zoom",), bindings={"midi:note:40": "select_next_neighbor",
                                                          "midi:cc:7": "orbit_yaw"})
    port = FakePort()
    source = app.input.add_source(MidiSource(port))
    frames(app, 3)
    assert scene.mode == "tour"
    port.send(note(40))
    frames(app)
    assert scene.mode == "visitor" and scene.handovers == 1 and source.active()  # held: still there
    assert scene.refused.get("SelectNeighbor") == 1
    before = goal(scene)
    port.send(cc(7, 127), cc(21, 100), note(36))
    frames(app, 30)
    assert turned(before, goal(scene)) == 0.0  # the fader's axis is refused by the same policy
    assert scene.refused.get("SetWalkT") == 1 and scene.refused.get("PlayWalk") == 1
    app.close()
    assert port.closed  # the App closes the sources it still has


def test_the_kiosk_overlay_lists_what_a_visitor_finds_and_help_lists_midi_too(kiosk):
    app, scene = kiosk()
    play = [inputs for inputs, effect in scene.controls if "play" in effect]
    assert play and "Space" in play[0] and "MIDI" not in play[0]
    assert ("MIDI note 36", "play_walk") in app.bindings.describe()
