"""The picker's CPU prefilter in the real explorer: a turning view re-projects into the same arrays."""
from latentwalk.scenes.explorer.core import commands as c
from tests.bundles import make_bundle
from tests.explorer_helpers import frames, frames_until, front_point, open_explorer, post_motion


def test_picks_while_the_view_turns_reuse_the_work_buffers(gl_app, tmp_path):
    app, scene = open_explorer(gl_app, make_bundle(tmp_path / "tiny", count=300, classes=4), (480, 360))
    picker = scene.picker
    index, pixel = front_point(scene)
    post_motion(pixel)
    frames(app)
    assert scene.state.pointer.hovered == index
    buffers, projected = picker.buffers, picker.projections
    arrays = dict(vars(buffers))
    assert buffers.count == 300

    scene.submit(c.Orbit(0.35, 0.15))
    assert frames_until(app, lambda: not scene.camera.is_moving)
    index, pixel = front_point(scene)
    post_motion(pixel)
    frames(app)
    assert scene.state.pointer.hovered == index  # still exact
    assert picker.projections > projected  # the turned view was projected again ...
    assert picker.buffers is buffers and all(getattr(buffers, name) is array for name, array in arrays.items())


def test_prefilter_passes_every_point_whose_footprint_can_reach_the_square(gl_context):
    """The int16 pixels the prefilter keeps (4 bytes a point) lose nothing: every point whose centre,
    projected in float64, lies within reach of the cursor is a candidate, points behind the camera or
    outside the view are not, and the rounding adds at most a pixel or two of margin."""
    import numpy as np

    from latentwalk.engine.camera import OrbitCamera
    from latentwalk.scenes.explorer.view.picking import CHUNK, Picker
    from latentwalk.scenes.explorer.view.points import PointCloud, PointStyle

    rng = np.random.default_rng(3)
    count = CHUNK + 5_000  # more than one chunk
    positions = rng.normal(0, 1.5, (count, 3)).astype(np.float32)
    cloud = PointCloud(positions, rng.integers(0, 4, count), np.full((4, 3), 0.5, np.float32))
    width, height = 320, 240
    picker = Picker(width, height)
    camera = OrbitCamera()
    camera.orbit(0.7, 0.3)
    camera.snap()
    matrix = camera.projection_matrix(width / height) @ camera.view_matrix()
    style = PointStyle(point_size=3.0)
    clip = np.c_[positions.astype(np.float64), np.ones(count)] @ matrix.astype(np.float64).T
    w = clip[:, 3]
    # in view across the screen (the GPU pass, not the prefilter, clips by depth)
    inside = (w > 0) & np.all(np.abs(clip[:, :2]) <= w[:, None], axis=1)
    safe = np.where(inside, w, 1.0)
    px = (clip[:, 0] / safe + 1) * 0.5 * width
    py = (1 - clip[:, 1] / safe) * 0.5 * height
    try:
        for cursor in [(160, 120), (10, 5), (300, 200), (161, 118)]:
            candidates = set(picker._candidates(cloud, cursor, matrix, style).tolist())
            largest = style.point_size * min(max(style.reference_distance / w[inside].min(), 0.35), 4.0)
            reach = picker.radius + 0.5 * largest + 1.0
            dx, dy = np.abs(px - (cursor[0] + 0.5)), np.abs(py - (cursor[1] + 0.5))
            must = set(np.flatnonzero(inside & (dx <= reach - 1e-3) & (dy <= reach - 1e-3)).tolist())
            may = set(np.flatnonzero(inside & (dx <= reach + 2.5) & (dy <= reach + 2.5)).tolist())
            assert must, cursor  # the cursor is over the cloud: the check is not vacuous
            assert must <= candidates <= may, cursor
        assert picker.buffers.pixel_x.dtype == np.int16 and picker.buffers.pixel_x.nbytes == 2 * count
    finally:
        picker.release()
        cloud.release()
