"""OSC over UDP (engine/osc.py) with real packets on 127.0.0.1: messages drive the explorer through the
real `App.run` loop with its idle skip on and the frames it presents show them; malformed packets and
a flood of thousands are dropped and counted, at most `per_frame` a frame, and the loop goes on; in
kiosk mode the visitor policy filters OSC as it filters keys, and a message hands over from the tour."""
from __future__ import annotations

import socket
import struct
import time

import numpy as np
import pytest
from pythonosc.osc_bundle_builder import IMMEDIATELY, OscBundleBuilder
from pythonosc.osc_message_builder import OscMessageBuilder

from latentwalk.engine.camera import quat_angle
from latentwalk.engine.errors import EngineError
from latentwalk.engine.osc import OscSource
from latentwalk.engine.ui import stats_text
from latentwalk.scenes.explorer.core.commands import AddControlPoint
from tests.bundles import make_bundle
from tests.explorer_helpers import frames
from tests.kiosk_helpers import goal, kiosk, tiny_bundle, turned  # noqa: F401
from tests.person import PersonClock, run_as_a_person

SIZE = (320, 240)
SETTLE_SECONDS = 5.0  # the most a test waits for the receiving thread to account for what it was sent


def message(address: str, *args) -> bytes:
    builder = OscMessageBuilder(address)
    for arg in args:
        builder.add_arg(arg)
    return builder.build().dgram


class Sender:
    """A UDP socket sending to a source; `send` waits (bounded) until the source's thread has
    accounted for every datagram sent so far, so the next frame's poll sees them."""

    def __init__(self, source: OscSource) -> None:
        self.source = source
        self.socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sent = 0

    def send(self, *datagrams: bytes, outcomes: int | None = None) -> None:
        """`outcomes`: what the datagrams count as (messages received, malformed or unknown);
        by default one each."""
        for datagram in datagrams:
            self.socket.sendto(datagram, self.source.address)
        self.sent += len(datagrams) if outcomes is None else outcomes
        deadline = time.monotonic() + SETTLE_SECONDS
        while accounted(self.source) < self.sent:
            assert time.monotonic() < deadline, f"the OSC thread accounted for {accounted(self.source)} of {self.sent}"
            time.sleep(0.0005)

    def close(self) -> None:
        self.socket.close()


def accounted(source: OscSource) -> int:
    return source.received + source.malformed + source.unknown


@pytest.fixture(scope="module")
def bundle_path(tmp_path_factory):
    return make_bundle(tmp_path_factory.mktemp("osc") / "tiny", count=200, classes=4)


@pytest.fixture
def explorer_on_a_person_clock(gl_app, bundle_path):
    """An explorer with an OSC source on a free port, its App on a PersonClock; the App closes the source."""
    from latentwalk.scenes.explorer.scene import ExplorerScene
    from latentwalk.scenes.explorer.core.commands import ShowPanels

    scene = ExplorerScene(bundle_path, device="cpu")
    clock = PersonClock()
    app = clock.app = gl_app(scene, size=SIZE, time_source=clock)
    scene.submit(ShowPanels(False))
    source = app.input.add_source(OscSource(0))
    frames(app, 2)
    sender = Sender(source)
    yield app, scene, clock, source, sender
    sender.close()


def test_messages_drive_the_explorer_through_the_idle_loop_and_the_screen_shows_them(explorer_on_a_person_clock):
    app, scene, clock, source, sender = explorer_on_a_person_clock
    scene.submit(AddControlPoint(index=0))
    scene.submit(AddControlPoint(index=1))
    at_rest = run_as_a_person(app, clock, [], rest_until=1.0)
    assert at_rest["skipped"] > 30  # the loop rests between messages as it does for a person
    orientation = scene.camera.goal.orientation
    script = [
        (0.2, lambda: sender.send(message("/latentwalk/select", 7))),
        (0.5, lambda: sender.send(message("/latentwalk/orbit", 30.0, 0.0))),
        (0.8, lambda: sender.send(message("/latentwalk/highlight", 2))),
        (1.0, lambda: sender.send(message("/latentwalk/play", 1))),
        (1.3, lambda: sender.send(message("/latentwalk/play", False))),
        (1.5, lambda: sender.send(message("/latentwalk/walk/t", 0.25))),
    ]
    shown = run_as_a_person(app, clock, script, rest_until=4.0)

    state = scene.state
    assert state.selection.index == 7 and state.selection.source == "remote"
    assert quat_angle(orientation, scene.camera.goal.orientation) == pytest.approx(np.radians(30.0), abs=1e-6)
    assert state.highlight.classes == (2,)
    assert not state.walk.playing and scene.state.walk.path.traversal.t == pytest.approx(0.25)
    assert source.handled == 6 and source.inputs == 6 and source.malformed == source.unknown == 0
    assert shown["skipped"] > 60
    # the idle loop drew what the messages changed: the last frame presented is the state drawn afresh
    assert np.abs(shown["frame"] - app.capture().astype(int)).max() <= 2
    assert np.abs(shown["frame"] - at_rest["frame"]).max() > 40  # and it is not the frame from before


def test_malformed_packets_and_a_flood_are_dropped_and_counted_and_no_frame_takes_more_than_its_share(
        explorer_on_a_person_clock, monkeypatch):
    app, scene, clock, source, sender = explorer_on_a_person_clock
    scene.submit(AddControlPoint(index=0))
    scene.submit(AddControlPoint(index=1))
    taken_per_poll = []
    poll = source.poll

    def counting_poll():
        before = source.handled
        actions = poll()
        taken_per_poll.append(source.handled - before)
        return actions

    source.poll = counting_poll
    flood = 3000
    values = [0.1 + 0.8 * i / (flood - 1) for i in range(flood)]

    def attack():
        sender.send(b"not osc at all", message("/latentwalk/select", 3)[:-2],  # cut short
                    message("/latentwalk/walk/t", "fast"), message("/latentwalk/select", 1.5),
                    message("/latentwalk/orbit", 1.0), message("/latentwalk/walk/t", float("nan")),
                    message("/elsewhere", 1))
        nested = b"".join([b"#bundle\x00", struct.pack(">Q", 1), struct.pack(">i", 0)])
        for _ in range(2000):  # bundles in bundles, past Python's recursion limit
            nested = b"#bundle\x00" + struct.pack(">Q", 1) + struct.pack(">i", len(nested)) + nested
        sender.send(nested)
        for start in range(0, flood, 100):  # paced so the kernel's buffer drops none of them
            sender.send(*(message("/latentwalk/walk/t", v) for v in values[start:start + 100]))

    drawn_before = app.frame_index
    shown = run_as_a_person(app, clock, [(0.2, attack)], rest_until=2.0)

    assert source.malformed == 7 and source.unknown == 1
    assert source.received == flood and source.dropped == flood - source.queue_size
    assert source.handled == source.queue_size and source.pending() == 0
    assert max(taken_per_poll) == source.per_frame  # a frame takes its share and leaves the rest
    assert sum(1 for n in taken_per_poll if n) == source.queue_size // source.per_frame
    assert scene.state.walk.path.traversal.t == pytest.approx(values[-1])  # the newest survive a full queue
    assert scene.last_refusal is None and app.frame_index - drawn_before >= len(
        [n for n in taken_per_poll if n])  # every frame that took messages was drawn: the loop went on
    assert "7 malformed, 1 unknown, 1,976 dropped" in source.status_line()
    assert np.abs(shown["frame"] - app.capture().astype(int)).max() <= 2
    monkeypatch.setattr(stats_text, "interval", 0.0)  # F3's figures made again in the next frame
    app.show_stats = True
    frames(app)
    assert source.status_line() in stats_text._lines["engine"]  # the counts show in the F3 stats


def test_a_bundle_of_messages_is_unpacked_and_each_counts(explorer_on_a_person_clock):
    app, scene, clock, source, sender = explorer_on_a_person_clock
    builder = OscBundleBuilder(IMMEDIATELY)
    for address, arg in (("/latentwalk/select", 3), ("/latentwalk/highlight", -1), ("/nowhere", 0)):
        inner = OscMessageBuilder(address)
        inner.add_arg(arg)
        builder.add_content(inner.build())
    run_as_a_person(app, clock, [(0.1, lambda: sender.send(builder.build().dgram, outcomes=3))], rest_until=0.5)
    assert scene.state.selection.index == 3 and scene.state.highlight.classes is None
    assert source.handled == 2 and source.unknown == 1


def test_a_port_in_use_is_one_line_and_nothing_is_left_open():
    taken = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    taken.bind(("127.0.0.1", 0))
    port = taken.getsockname()[1]
    try:
        source = OscSource(port)
        with pytest.raises(EngineError) as failure:
            source.start()
        message_ = str(failure.value)
        assert f"127.0.0.1:{port}" in message_ and "\n" not in message_
        assert source._thread is None
    finally:
        taken.close()


def test_it_listens_on_this_machine_only_unless_told(explorer_on_a_person_clock):
    source = explorer_on_a_person_clock[3]
    assert source.address[0] == "127.0.0.1"


def test_the_kiosk_filters_osc_as_it_filters_keys_and_osc_hands_over_from_the_tour(kiosk, tmp_path):
    app, scene = kiosk(visitors_may=("orbit",))
    source = app.input.add_source(OscSource(0))
    sender = Sender(source)
    try:
        frames(app, 3)
        assert scene.mode == "tour"
        sender.send(message("/latentwalk/presence"))
        frames(app)
        assert scene.mode == "visitor" and scene.handovers == 1  # a sensor said a person is here
        explorer = scene.explorer
        before, selected = goal(scene), explorer.state.selection.index
        sender.send(message("/latentwalk/select", 5), message("/latentwalk/orbit", -20.0, 0.0),
                    message("/latentwalk/screenshot", str(tmp_path / "shot.png")),
                    message("/latentwalk/play", 1))
        frames(app, 3)
        assert explorer.state.selection.index == selected
        # refusals are counted by the command each message made (the kiosk's one policy)
        assert scene.refused.get("Select") == 1 and scene.refused.get("TakeScreenshot") == 1
        assert scene.refused.get("PlayWalk") == 1
        assert turned(before, goal(scene)) == pytest.approx(np.radians(20.0), abs=1e-6)
        assert list(tmp_path.iterdir()) == []  # no file written from the network
    finally:
        sender.close()


def test_a_kiosk_that_allows_screenshots_saves_where_osc_says_and_never_over_a_file(kiosk, tmp_path):
    app, scene = kiosk(visitors_may=("screenshot",))
    source = app.input.add_source(OscSource(0))
    sender = Sender(source)
    existing = tmp_path / "shot.png"
    existing.write_bytes(b"a person's file")
    try:
        frames(app, 2)
        sender.send(message("/latentwalk/screenshot", str(existing)))
        frames(app, 3)
    finally:
        sender.close()
    assert existing.read_bytes() == b"a person's file"
    saved = tmp_path / "shot-2.png"
    assert scene.explorer.screenshots.last_path == saved
    from PIL import Image
    with Image.open(saved) as image:
        assert image.size == app.framebuffer_size and np.asarray(image.convert("RGB")).std() > 1.0
