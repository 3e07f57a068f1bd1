"""The picker's CPU prefilter: the cloud's pick tree, made once, serves every view and stays exact."""
import numpy as np

from latentwalk.scenes.explorer.core import commands as c
from tests.bundles import make_bundle
from tests.explorer_helpers import frames, frames_until, front_point, open_explorer, post_motion


def test_picks_while_the_view_turns_reuse_the_pick_tree(gl_app, tmp_path):
    app, scene = open_explorer(gl_app, make_bundle(tmp_path / "tiny", count=300, classes=4), (480, 360))
    picker = scene.picker
    index, pixel = front_point(scene)
    post_motion(pixel)
    frames(app)
    assert scene.state.pointer.hovered == index
    tree, made = picker.tree, picker.trees_made
    assert tree is not None and tree.points == 300 and made >= 1

    scene.submit(c.Orbit(0.35, 0.15))
    assert frames_until(app, lambda: not scene.camera.is_moving)
    index, pixel = front_point(scene)
    post_motion(pixel)
    frames(app)
    assert scene.state.pointer.hovered == index  # still exact in the turned view ...
    assert picker.tree is tree and picker.trees_made == made  # ... from the same tree: nothing per view


def _camera(rng, distance: float):
    from latentwalk.engine.camera import OrbitCamera

    camera = OrbitCamera(distance=distance)
    camera.orbit(float(rng.uniform(-np.pi, np.pi)), float(rng.uniform(-1.2, 1.2)))
    camera.snap()
    return camera


def _clouds(rng) -> dict[str, np.ndarray]:
    count = 6_000
    blobs = rng.normal(0, 0.3, (count, 3)) + rng.normal(0, 1.5, (8, 3))[rng.integers(0, 8, count)]
    flat = np.c_[rng.normal(0, 1.2, (count, 2)), np.zeros(count)]  # a 2-d layout: one cell across z
    stacked = np.repeat(rng.normal(0, 1.0, (count // 4, 3)), 4, axis=0)  # points on top of each other
    return {name: positions.astype(np.float32) for name, positions in
            (("blobs", blobs), ("flat", flat), ("stacked", stacked), ("wide", rng.normal(0, 1.5, (count, 3))))}


def test_prefilter_passes_every_point_whose_footprint_can_reach_the_square(gl_context):
    """Every point in view whose centre, projected in float64, lies within its own footprint's reach
    of the cursor (its size at its depth, as points.vert gives it) is a candidate; points behind the
    camera, outside the view or not finite are not, and the margin is at most a few pixels."""
    from latentwalk.scenes.explorer.view.picking import Picker
    from latentwalk.scenes.explorer.view.points import PointCloud, PointStyle

    rng = np.random.default_rng(3)
    width, height = 320, 240
    picker = Picker(width, height)
    style = PointStyle(point_size=3.0, reference_distance=2.5)
    checked = 0
    try:
        for name, positions in _clouds(rng).items():
            positions[rng.integers(0, len(positions), 5)] = np.nan
            cloud = PointCloud(positions, rng.integers(0, 4, len(positions)), np.full((4, 3), 0.5, np.float32))
            try:
                for distance in (0.6, 3.0):  # inside the cloud (points behind the eye) and outside it
                    camera = _camera(rng, distance)
                    matrix = camera.projection_matrix(width / height) @ camera.view_matrix()
                    view = camera.view_matrix().astype(np.float64)
                    finite = np.isfinite(positions).all(axis=1)
                    homogeneous = np.c_[np.nan_to_num(positions.astype(np.float64)), np.ones(len(positions))]
                    clip = homogeneous @ matrix.astype(np.float64).T
                    w = clip[:, 3]
                    inside = finite & (w > 0) & np.all(np.abs(clip[:, :2]) <= np.abs(w)[:, None], axis=1)
                    safe = np.where(inside, w, 1.0)
                    px = (clip[:, 0] / safe + 1) * 0.5 * width
                    py = (1 - clip[:, 1] / safe) * 0.5 * height
                    depth = np.maximum(-(homogeneous @ view[2]), 1e-6)
                    size = np.clip(style.point_size * np.clip(style.reference_distance / depth, 0.35, 4.0), 1.0,
                                   style.max_point_size)
                    reach = picker.radius + 0.5 * size + 1.0
                    for cursor in [tuple(int(v) for v in (px[i], py[i])) for i in rng.choice(np.flatnonzero(inside), 3)]:
                        candidates = set(picker._candidates(cloud, cursor, matrix, view, style).tolist())
                        dx, dy = np.abs(px - (cursor[0] + 0.5)), np.abs(py - (cursor[1] + 0.5))
                        must = set(np.flatnonzero(inside & (dx <= reach - 1e-3) & (dy <= reach - 1e-3)).tolist())
                        may = set(np.flatnonzero(inside & (dx <= reach + 2.5) & (dy <= reach + 2.5)).tolist())
                        assert must, (name, cursor)  # the cursor is over a point: the check is not vacuous
                        assert must <= candidates <= may, (name, distance, cursor)
                        checked += 1
                # the tree let the pick look at a small share of the cloud, not at every point
                assert picker.last_examined < len(positions) // 4, name
            finally:
                cloud.release()
    finally:
        picker.release()
    assert checked == 24


def test_the_small_region_pick_equals_the_full_pick_on_random_clouds_and_views(gl_context):
    """The prefiltered pick (the few candidates drawn into the scissored square) names the same point
    as the id pass over every point, on clouds dense, flat and stacked, from random views."""
    from latentwalk.scenes.explorer.view.picking import Picker
    from latentwalk.scenes.explorer.view.points import PointCloud, PointStyle

    rng = np.random.default_rng(11)
    width, height = 320, 240
    small, full = Picker(width, height), Picker(width, height, prefilter=False)
    style = PointStyle(point_size=5.0, reference_distance=3.0)
    hits = misses = 0
    try:
        for name, positions in _clouds(rng).items():
            cloud = PointCloud(positions, rng.integers(0, 4, len(positions)), np.full((4, 3), 0.5, np.float32))
            try:
                for _ in range(4):
                    camera = _camera(rng, float(rng.uniform(0.8, 6.0)))
                    matrix = camera.projection_matrix(width / height) @ camera.view_matrix()
                    view = camera.view_matrix()
                    for _ in range(6):
                        cursor = (int(rng.integers(0, width)), int(rng.integers(0, height)))
                        expected = full.pick(cloud, cursor, matrix, view, style)
                        assert small.pick(cloud, cursor, matrix, view, style) == expected, (name, cursor)
                        hits, misses = hits + (expected is not None), misses + (expected is None)
            finally:
                cloud.release()
    finally:
        small.release()
        full.release()
    assert hits >= 20 and misses >= 5  # both outcomes were compared


def test_picking_follows_points_moved_in_place(gl_context):
    """A layout's flight moves the points in place (move_to) under a still view: the next pick finds a
    point where it now is, not where it was."""
    from latentwalk.scenes.explorer.view.picking import Picker
    from latentwalk.scenes.explorer.view.points import PointCloud, PointStyle

    rng = np.random.default_rng(5)
    width, height = 320, 240
    positions = rng.normal(0, 1.0, (2_000, 3)).astype(np.float32)
    cloud = PointCloud(positions.copy(), rng.integers(0, 4, len(positions)), np.full((4, 3), 0.5, np.float32))
    picker = Picker(width, height)
    camera = _camera(rng, 4.0)
    matrix = camera.projection_matrix(width / height) @ camera.view_matrix()
    view = camera.view_matrix()
    style = PointStyle(point_size=4.0)
    try:
        eye = camera.state(1.0).eye
        moved = 17
        before = picker.pick(cloud, (width // 2, height // 2), matrix, view, style)
        # point 17 to just in front of the eye, on the line through the window's centre: on top of all
        target = camera.state(1.0).target
        places = positions.copy()
        places[moved] = eye + 0.1 * (target - eye)
        cloud.move_to(places)
        assert before != moved
        assert picker.pick(cloud, (width // 2, height // 2), matrix, view, style) == moved
    finally:
        picker.release()
        cloud.release()
