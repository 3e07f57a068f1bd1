"""Hover to image through the real `App.run` loop on a person's clock: the frame that hovers a point
shows that point's decoded image in the Output panel (pixels read back from each presented frame),
when the decoder is fast enough, and the scene counts that as 1 frame."""
from __future__ import annotations

import numpy as np

from latentwalk.scenes.explorer.core import commands as c
from tests.bundles import make_bundle
from tests.explorer_helpers import frames, frames_until, post_motion, sample_picture
from tests.person import PersonClock

SIZE = (480, 360)


def test_the_frame_that_hovers_a_point_shows_its_image(gl_app, tmp_path):
    from latentwalk.scenes.explorer.scene import ExplorerScene

    scene = ExplorerScene(make_bundle(tmp_path / "cloud", count=150, classes=4), device="cpu")
    clock = PersonClock()
    app = clock.app = gl_app(scene, size=SIZE, time_source=clock)
    scene.submit(c.ShowPanels(True))
    scene.panels[:] = [scene.output_panel]
    scene.output_panel.place = (5, 5)
    # the order of the work is under test, not this shared machine's load: the decoder may take its time
    scene.hover_catch_up_s = 2.0
    scene.submit(c.Select(index=0, source="keyboard"))  # torch loaded, the decoder timed once
    assert frames_until(app, lambda: scene.output_images.caption.startswith("#0 "))
    frames(app, 2)

    (panel_x0, _), (panel_x1, panel_y1) = scene.output_panel.item_rects["decoded"]
    projection = scene.camera.project(scene.installed.positions, 1.0, scene.viewport)
    pixels = projection.pixels
    free = projection.visible & (pixels[:, 0] > panel_x1 + 30) & (pixels[:, 0] < SIZE[0] - 20) \
        & (pixels[:, 1] > 20) & (pixels[:, 1] < SIZE[1] - 20)
    targets = []
    for index in np.flatnonzero(free):  # points with no other point near: the pick is plain
        distances = np.hypot(*(pixels - pixels[index]).T)
        distances[index] = np.inf
        if distances.min() > 10 and len(targets) < 4:
            targets.append((int(index), tuple(int(v) for v in pixels[index])))
    assert len(targets) == 4

    presented = []  # (frame, hovered, caption, latency, the Output picture on screen)
    flip = app.window.flip

    def present():
        screen = app.read_frame().astype(int)
        (x0, y0), (x1, _) = scene.output_panel.item_rects["decoded"]
        presented.append((app.frame_index, scene.state.pointer.hovered, scene.output_images.caption,
                          scene.output_images.hover_latency_frames,
                          sample_picture(screen, (x0, y0), (x1 - x0) / 28, (28, 28))[..., 0]))
        flip()

    clock.script([(0.3 * (n + 1), lambda pos=pos: post_motion(pos, rel=(1, 0))) for n, (_, pos) in enumerate(targets)],
                 rest_until=1.6)
    app.window.flip = present
    try:
        app.run(idle=True)
    finally:
        app.window.flip = flip

    for index, _ in targets:
        first = next(frame for frame in presented if frame[1] == index)  # the frame that hovered it
        _, _, caption, latency, picture = first
        assert caption.startswith(f"#{index} "), (index, caption)
        assert latency == 1
        expected = scene.decoder.worker.cached(("point", index))
        assert expected is not None
        expected = np.clip(np.rint(np.asarray(expected).reshape(28, 28) * 255.0), 0, 255).astype(int)
        assert np.abs(picture - expected).max() <= 2, index
    assert panel_x0 < panel_x1 and panel_y1 > 0
