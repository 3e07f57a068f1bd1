"""The walk is drawn over the cached 3-d layer, not in it: playing the walk moves its marker and the
walked part every frame, and the cloud under it must stay whole (a big cloud that counted as moving
would be thinned to adaptive detail's subset for as long as the walk plays). Real App.run with its
idle skip on, on a person's clock; pixels read back."""
from __future__ import annotations

import numpy as np
import pytest

from latentwalk.scenes.explorer.core.commands import AddControlPoint, PlayWalk, SetWalkSpeed, ShowPanels
from latentwalk.scenes.explorer.walk import curve_view as cv
from tests.bundles import make_bundle
from tests.explorer_helpers import frames
from tests.person import PersonClock, run_as_a_person

SIZE = (400, 300)
COUNT, SUBSET = 3_000, 300


@pytest.fixture(scope="module")
def cloud_path(tmp_path_factory):
    return make_bundle(tmp_path_factory.mktemp("walk_overlay") / "cloud", count=COUNT, classes=4)


def cloud_pixels(image: np.ndarray) -> int:
    """Pixels a point covers: not the background, and not the walk's own colours."""
    rgb = image[..., :3].astype(int)
    background = np.all(np.abs(rgb - rgb[0, 0]) <= 2, axis=-1)
    walk = np.zeros_like(background)
    for colour in (cv.CURVE_COLOR, cv.WALKED_COLOR, cv.MARKER_COLOR, cv.POINT_COLOR):
        walk |= np.all(np.abs(rgb - np.round(np.asarray(colour[:3]) * 255)) <= 3, axis=-1)
    return int((~background & ~walk).sum())


def test_playing_the_walk_keeps_the_whole_cloud_on_screen(gl_app, cloud_path):
    from latentwalk.scenes.explorer.scene import ExplorerScene

    scene = ExplorerScene(cloud_path, device="cpu", detail={"fixed": SUBSET, "min_points": 100})
    clock = PersonClock()
    app = clock.app = gl_app(scene, size=SIZE, time_source=clock)
    scene.submit(ShowPanels(False))
    assert scene.layer_cache.detail.builder.wait(30) is not None
    frames(app, 2)  # the draw order reaches the cloud: a moving layer would draw a subset
    assert scene.installed.cloud.ordered
    labels = scene.bundle.labels
    scene.submit(AddControlPoint(index=int(np.flatnonzero(labels == 0)[0])))
    scene.submit(AddControlPoint(index=int(np.flatnonzero(labels == 2)[0])))
    scene.submit(SetWalkSpeed(0.3))
    frames(app, 30)
    at_rest = cloud_pixels(app.capture(include_ui=False))

    seen = []

    def look():
        seen.append((scene.state.walk.t, scene.layer_cache.detail.mode, scene.layer_cache.detail.drawn,
                     cloud_pixels(clock.screen), scene.walk_tools.view.marker_3d.copy()))

    script = [(0.1, lambda: scene.submit(PlayWalk(True)))]
    script += [(0.5 + 0.5 * n, look) for n in range(4)]
    run_as_a_person(app, clock, script, rest_until=2.8)

    assert scene.state.walk.playing
    ts = [t for t, *_ in seen]
    assert all(b > a for a, b in zip(ts, ts[1:]))  # the walk moved between the looks
    assert not np.allclose(seen[0][4], seen[-1][4])  # and so did its marker
    for t, mode, drawn, pixels, _ in seen:
        assert mode == "full" and drawn == COUNT, (t, mode, drawn)
        assert pixels >= 0.95 * at_rest, (t, pixels, at_rest)  # the subset would cover a fraction of it
