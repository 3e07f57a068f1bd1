"""The explorer's frame in phases (real GL under Xvfb): commands change the state and the pixels; render
is pure (the same state drawn twice: no request, no state change, the same pixels); the deterministic
mode shows each frame the decoded image of its own state, and says so in one line when it cannot."""
from __future__ import annotations

import numpy as np
import pytest

from latentwalk.scenes.errors import SceneError
from latentwalk.scenes.explorer.core import commands as c
from tests.bundles import make_bundle
from tests.explorer_helpers import empty_pixel, frames, front_point, open_explorer, post_motion

SIZE = (320, 240)


@pytest.fixture(scope="module")
def bundle_path(tmp_path_factory):
    return make_bundle(tmp_path_factory.mktemp("frame") / "tiny", count=200, classes=4)


@pytest.fixture
def explorer(gl_app, bundle_path):
    return open_explorer(gl_app, bundle_path, SIZE, warm_frames=3)


def decoded(scene, latents) -> np.ndarray:
    from latentwalk.vae.decode import decode_latents

    return decode_latents(scene.bundle.load_decoder("cpu"), np.asarray(latents, np.float32).reshape(1, -1))[0]


def settle(app, scene, limit=300):
    """Step until three frames in a row are skipped as idle (nothing moving, decoding or arriving)."""
    quiet = 0
    for _ in range(limit):
        quiet = 0 if app.step_frame(1 / 60, skip_if_idle=True) else quiet + 1
        if quiet == 3:
            return
        scene.decoder.wait(1.0)
    raise AssertionError("the explorer never came to rest")


def test_commands_change_state_versions_and_pixels(explorer):
    app, scene = explorer
    settle(app, scene)
    before, versions = app.capture(include_ui=False), scene.state.versions()
    scene.submit(c.SetPointStyle(point_size=12.0))
    scene.submit(c.SetPointStyle(point_size=12.0))  # the same value again changes nothing more
    frames(app)
    assert scene.state.style.version == versions[4] + 1 and scene.state.style.point_size == 12.0
    bigger = app.capture(include_ui=False)
    lit = lambda image: (image != image[0, 0]).any(axis=2).sum()  # noqa: E731
    assert lit(bigger) > 1.5 * lit(before)
    scene.submit(c.Highlight((0,)))
    frames(app)
    dimmed = app.capture(include_ui=False)
    assert scene.state.highlight.classes == (0,) and (dimmed != bigger).any(axis=2).sum() > 50
    scene.submit(c.Orbit(0.7, 0.0))
    versions = scene.state.versions()
    settle(app, scene)
    assert scene.state.view.version > versions[0]
    assert (app.capture(include_ui=False) != dimmed).any(axis=2).sum() > 50


@pytest.mark.parametrize("with_walk_and_hover", [False, True])
def test_render_is_pure_the_same_state_twice_gives_no_request_no_change_the_same_pixels(explorer, with_walk_and_hover):
    app, scene = explorer
    if with_walk_and_hover:
        for command in (c.AddControlPoint(index=1), c.AddControlPoint(index=2), c.SetWalkT(0.4), c.Select(5)):
            scene.submit(command)
        index, pixel = front_point(scene)
        post_motion(pixel)
    else:
        post_motion(empty_pixel(scene))
    settle(app, scene)
    state, requests = scene.state.versions(), scene.decoder.worker.stats.requests
    walk_requests = scene.walk_tools.walk_panel.filmstrip._next
    first = app.capture(include_ui=False)
    second = app.capture(include_ui=False)
    assert np.array_equal(first, second)
    assert scene.state.versions() == state and scene.decoder.worker.stats.requests == requests
    assert scene.walk_tools.walk_panel.filmstrip._next == walk_requests and not scene._queue
    if with_walk_and_hover:
        assert scene.state.pointer.hovered == index and scene.output_images.shown_owner == "hover"


def test_deterministic_frames_show_the_image_of_their_own_state(explorer):
    app, scene = explorer
    scene.deterministic = True
    scene.submit(c.AddControlPoint(index=3))
    scene.submit(c.AddControlPoint(index=150))
    for t in (0.0, 0.35, 0.8, 1.0):
        scene.submit(c.SetWalkT(t))
        app.step_frame(1 / 60)  # no waiting between frames: the frame itself waits
        assert scene.output_images.shown_owner == "walk" and scene.output_images.caption == f"walk  t = {t:.3f}"
        np.testing.assert_allclose(scene.output_images.decoded_slot.image, decoded(scene, scene.state.walk.path.curve.at(t)), atol=1e-5)
    scene.submit(c.Select(17, source="tour"))
    app.step_frame(1 / 60)
    assert scene.output_images.shown_owner == "selection" and "(tour)" in scene.output_images.caption
    np.testing.assert_allclose(scene.output_images.decoded_slot.image, decoded(scene, scene.bundle.latents[17]), atol=1e-5)


def test_deterministic_mode_fails_in_one_line_when_a_decode_does_not_arrive(explorer, monkeypatch):
    import time

    from latentwalk.scenes.explorer.model import decoding

    app, scene = explorer
    scene.deterministic, scene.deterministic_timeout = True, 0.3
    monkeypatch.setattr(decoding, "decode_batch", lambda decoder, latents: time.sleep(2.0) or latents)
    scene.submit(c.Select(42))
    with pytest.raises(SceneError) as error:
        app.step_frame(1 / 60)
    message = str(error.value)
    assert "deterministic frame" in message and "selection's image" in message and "0.3 s" in message
    assert "\n" not in message


class ThreeStepTour:
    """ARCHITECTURE.md's worked example of a new driver, as written there."""

    def __init__(self, scene, points=(12, 145, 67), every=2.0):
        self.scene, self.points, self.every, self.clock, self.next = scene, points, every, 0.0, 0
        scene.updaters.append(self.update)

    def update(self, dt):
        self.clock += dt
        if self.next < len(self.points) and self.clock >= self.next * self.every:
            self.scene.submit(c.Select(self.points[self.next], source="tour", fly=True))
            self.next += 1


def test_a_scripted_tour_of_three_commands_drives_selection_camera_and_output(explorer):
    app, scene = explorer
    post_motion(empty_pixel(scene))
    ThreeStepTour(scene)
    seen = []
    for _ in range(3):
        frames(app, 60)  # a second after each step on the fake clock: its flight (0.6 s) is over
        scene.decoder.wait(2.0)
        frames(app)
        index = scene.state.selection.index
        seen.append(index)
        np.testing.assert_allclose(scene.camera.current.target, scene.installed.positions[index], atol=1e-6)
        assert scene.output_images.shown_owner == "selection" and scene.output_images.caption.startswith(f"#{index} ")
        assert scene.output_images.caption.endswith("(tour)")
        frames(app, 59)
    assert seen == [12, 145, 67]
    index, pixel = front_point(scene)
    post_motion(pixel)  # a visitor's hover owns the Output over the tour's selection
    frames(app)
    scene.decoder.wait(2.0)
    frames(app, 2)
    assert scene.output_images.shown_owner == "hover" and scene.output_images.caption.startswith(f"#{index} ")
