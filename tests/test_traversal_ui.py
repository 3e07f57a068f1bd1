"""The Walk panel by posted events: slider (with and without a curve), play/pause, playback timing under a
fake clock, the image at the position, the filmstrip decoded in chunks through the worker."""
import numpy as np
import pytest

from latentwalk.engine.clock import ManualTimeSource
from latentwalk.scenes.explorer.panels.path import item_center
from latentwalk.scenes.explorer.panels.traversal import FILMSTRIP_CHANNEL, FILMSTRIP_IN_FLIGHT, WALK_CHANNEL, TraversalPanel
from tests.explorer_helpers import click, click_item, frames
from tests.walk_scene import WalkScene

@pytest.fixture
def walk_app(gl_app):
    scene = WalkScene(lambda s: [TraversalPanel(s.state.walk.path, s.decoder, s.submit)])
    clock = ManualTimeSource()
    app = gl_app(scene, size=(480, 360), time_source=clock)
    frames(app, 2)
    return app, scene, scene.panels[0]


def settle(app, scene, count=2):
    """Let the worker finish what was asked, then deliver it in a frame (as the render loop would)."""
    for _ in range(20):
        scene.decoder.worker.wait_idle(5.0)
        frames(app, count)
        if not scene.decoder.worker.pending_count:
            return


def slider_point(panel, fraction):
    (x0, y0), (x1, y1) = panel.item_rects["t"]
    grab = 10  # ImGui's minimum grab size; the value maps onto the track inside half a grab of each end
    return int(x0 + 2 + grab / 2 + fraction * (x1 - x0 - 4 - grab)), int((y0 + y1) / 2)


def test_slider_works_before_any_curve_exists(walk_app):
    app, scene, panel = walk_app
    assert scene.state.walk.path.curve is None
    click(app, slider_point(panel, 0.75))
    assert scene.state.walk.path.traversal.t == pytest.approx(0.75, abs=0.02)
    click_item(app, panel, "play")
    frames(app, 30)  # playing with nothing to walk: t stays, nothing throws
    assert scene.state.walk.path.traversal.playing and scene.state.walk.path.traversal.t == pytest.approx(0.75, abs=0.02)


def test_slider_moves_the_position_and_changes_the_image(walk_app):
    app, scene, panel = walk_app
    for index in (0, 1):  # x goes 0 -> 1 along the walk, so the image brightens with t
        scene.state.walk.path.add_index(index)
    scene.state.walk.path.kind = "linear"
    settle(app, scene)
    assert panel.image.image is not None and panel.image.image[0, 0] == pytest.approx(0.5)
    click(app, slider_point(panel, 0.8))
    settle(app, scene)
    t = scene.state.walk.path.traversal.t
    assert t == pytest.approx(0.8, abs=0.02)
    assert panel.image.image[0, 0] == pytest.approx(1 / (1 + np.exp(-t)), abs=1e-6)
    shown = panel.image.texture.read()
    assert shown[0, 0, 0] == round(255 / (1 + np.exp(-t)))  # and that is what the preview texture holds
    walk_requests = [key for channel, key in scene.decoder.requests if channel == WALK_CHANNEL]
    assert len(walk_requests) == len(set(walk_requests))  # asked once per position, not once per frame


def test_playback_speed_follows_the_fake_clock_not_the_frame_rate(walk_app):
    app, scene, panel = walk_app
    scene.state.walk.path.add_index(0)
    scene.state.walk.path.add_index(1)
    walk = scene.state.walk.path.traversal
    walk.speed, walk.mode = 0.25, "once"
    click_item(app, panel, "play")
    assert walk.playing
    start = walk.t
    frames(app, 60, dt=1 / 60)  # one second at 60 fps
    assert walk.t - start == pytest.approx(0.25, abs=1e-9)
    frames(app, 20, dt=1 / 20)  # one more second at 20 fps
    assert walk.t - start == pytest.approx(0.5, abs=1e-9)
    click_item(app, panel, "play")  # now "Pause"
    t = walk.t
    frames(app, 10)
    assert not walk.playing and walk.t == t


def test_filmstrip_fills_in_chunks_marks_the_current_frame_and_jumps_on_click(walk_app):
    app, scene, panel = walk_app
    for index in (0, 1, 2):
        scene.state.walk.path.add_index(index)
    scene.state.walk.path.steps = 40
    frames(app)
    film = [key for channel, key in scene.decoder.requests if channel == FILMSTRIP_CHANNEL]
    assert 0 < len(film) <= FILMSTRIP_IN_FLIGHT  # one chunk, not forty requests at once
    settle(app, scene, count=3)
    strip = panel.filmstrip
    assert strip.complete and len(strip.keys) == 40
    # every cell of the atlas holds its own step's image
    atlas = strip.atlas.read()
    for step, z in enumerate(scene.state.walk.path.step_latents()):
        (u0, v0), _ = strip.uv(step)
        x, y = round(u0 * strip.atlas.width), round(v0 * strip.atlas.height)
        assert atlas[y, x, 0] == round(255 / (1 + np.exp(-np.float32(z[0]))))
    # a click on a frame jumps there
    frames(app)
    target = 3
    click(app, item_center(panel.item_rects, f"frame{target}"))
    assert scene.state.walk.path.traversal.step_index == target
    assert scene.state.walk.path.traversal.t == pytest.approx(target / 39)
    # the current frame is outlined in the marker's colour
    frames(app)
    image = app.capture()
    (x0, y0), (x1, y1) = panel.item_rects[f"frame{target}"]
    edge = image[int(y0) + 1, int(x0) + 5:int(x1) - 5]
    assert np.all(np.abs(edge.astype(int) - [255, 140, 26]) <= 3)


def test_editing_the_path_restarts_the_filmstrip(walk_app):
    app, scene, panel = walk_app
    scene.state.walk.path.add_index(0)
    scene.state.walk.path.add_index(2)
    scene.state.walk.path.steps = 8
    settle(app, scene)
    assert panel.filmstrip.complete
    old_keys = list(panel.filmstrip.keys)
    scene.state.walk.path.add_index(3)
    frames(app)
    assert panel.filmstrip.keys != old_keys and not panel.filmstrip.ready.all()
    settle(app, scene)
    assert panel.filmstrip.complete


def test_steps_field_changes_the_number_of_frames(walk_app):
    app, scene, panel = walk_app
    scene.state.walk.path.add_index(0)
    scene.state.walk.path.add_index(1)
    frames(app)
    (x0, y0), (x1, y1) = panel.item_rects["steps"]
    # input_int has "-" and "+" buttons at its right end; + is the last
    click(app, (int(x1) - 8, int((y0 + y1) / 2)))
    assert scene.state.walk.path.steps == 101
