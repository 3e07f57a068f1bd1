"""The picker's CPU prefilter in the real explorer: a turning view re-projects into the same arrays."""
from tests.bundles import make_bundle
from tests.explorer_helpers import open_explorer, frames, front_point, post_motion


def test_picks_while_the_view_turns_reuse_the_work_buffers(gl_app, tmp_path):
    app, scene = open_explorer(gl_app, make_bundle(tmp_path / "tiny", count=300, classes=4), (480, 360))
    picker = scene.picker
    index, pixel = front_point(scene)
    post_motion(pixel)
    frames(app)
    assert scene.hovered_index == index
    buffers, projected = picker.buffers, picker.projections
    arrays = dict(vars(buffers))
    assert buffers.count == 300

    scene.camera.orbit(0.35, 0.15)
    scene.camera.snap()
    index, pixel = front_point(scene)
    post_motion(pixel)
    frames(app)
    assert scene.hovered_index == index  # still exact
    assert picker.projections > projected  # the turned view was projected again ...
    assert picker.buffers is buffers and all(getattr(buffers, name) is array for name, array in arrays.items())
