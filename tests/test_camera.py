"""OrbitCamera: pure numpy, no display. Screen positions are checked through project()."""

import math

import numpy as np
import pytest

from latentwalk.engine.camera import OrbitCamera, gl_matrix, quat_angle, quat_from_axis_angle

VIEWPORT = (800, 600)
CENTRE = (400.0, 300.0)


def settle(camera: OrbitCamera, dt: float = 1 / 120, max_steps: int = 2000) -> int:
    for step in range(max_steps):
        camera.update(dt)
        if not camera.is_moving:
            return step
    raise AssertionError("camera never came to rest")


def screen(camera: OrbitCamera, point) -> np.ndarray:
    return camera.project(np.asarray([point]), 1.0, VIEWPORT).pixels[0]


def test_target_projects_to_viewport_centre_even_after_moves():
    camera = OrbitCamera(target=(1.0, -2.0, 0.5), distance=4.0)
    camera.orbit(0.7, -0.3)
    settle(camera)
    proj = camera.project(np.array([camera.current.target]), 1.0, VIEWPORT)
    np.testing.assert_allclose(proj.pixels[0], CENTRE, atol=1e-6)
    assert proj.visible[0]
    assert 0.0 < proj.depth[0] < 1.0


def test_project_matches_gl_conventions():
    camera = OrbitCamera(distance=5.0)  # eye on +Z looking down -Z, +Y up
    pixels = camera.project(np.array([[1.0, 0, 0], [0, 1.0, 0], [0, 0, 10.0]]), 1.0, VIEWPORT)
    assert pixels.pixels[0, 0] > CENTRE[0]  # world +X is to the right
    assert pixels.pixels[1, 1] < CENTRE[1]  # world +Y is up, i.e. smaller window y
    assert not pixels.visible[2]  # behind the eye


def test_ray_through_projected_pixel_hits_the_point():
    camera = OrbitCamera(distance=6.0)
    camera.orbit(0.4, 0.2)
    settle(camera)
    point = np.array([0.3, -0.2, 0.7])
    px = screen(camera, point)
    origin, direction = camera.ray(px, VIEWPORT)
    to_point = point - origin
    np.testing.assert_allclose(direction, to_point / np.linalg.norm(to_point), atol=1e-9)


def test_rotate_drag_right_across_centre_turns_scene_about_view_up():
    camera = OrbitCamera(distance=5.0)
    front = np.array([0.0, 0.0, 1.0])  # between target and eye
    before = screen(camera, front)
    # x from -0.2 to +0.2 arcball radii: both on the sphere, 2*asin(0.2) apart
    radius = 0.5 * min(VIEWPORT)
    camera.rotate_drag((CENTRE[0] - 0.2 * radius, CENTRE[1]), (CENTRE[0] + 0.2 * radius, CENTRE[1]), VIEWPORT)
    settle(camera)
    q = camera.current.orientation
    assert quat_angle(q, np.array([1.0, 0, 0, 0])) == pytest.approx(2 * math.asin(0.2), abs=1e-9)
    axis = q[1:] / np.linalg.norm(q[1:])
    np.testing.assert_allclose(np.abs(axis), [0, 1, 0], atol=1e-9)
    after = screen(camera, front)
    assert after[0] > before[0] + 10  # the near side of the scene followed the cursor right
    assert after[1] == pytest.approx(before[1], abs=1e-6)
    assert camera.current.eye[0] < 0  # so the eye went round to the left


def test_rotate_drag_down_tilts_near_side_down():
    camera = OrbitCamera(distance=5.0)
    front = np.array([0.0, 0.0, 1.0])
    before = screen(camera, front)
    camera.rotate_drag((CENTRE[0], CENTRE[1] - 40), (CENTRE[0], CENTRE[1] + 40), VIEWPORT)
    settle(camera)
    after = screen(camera, front)
    assert after[1] > before[1] + 10
    assert after[0] == pytest.approx(before[0], abs=1e-6)


@pytest.mark.parametrize("a, b", [((100, 120), (530, 410)), ((10, 300), (790, 20))])  # inside and outside the ball
def test_arcball_there_and_back_restores_orientation(a, b):
    camera = OrbitCamera(orientation=quat_from_axis_angle((1, 2, 3), 0.8))
    start = camera.goal.orientation
    camera.rotate_drag(a, b, VIEWPORT)
    assert quat_angle(camera.goal.orientation, start) > 0.1
    camera.rotate_drag(b, a, VIEWPORT)
    assert quat_angle(camera.goal.orientation, start) < 1e-9


def test_orbit_signs():
    camera = OrbitCamera(distance=5.0)
    camera.orbit(0.3, 0.0)
    settle(camera)
    assert camera.current.eye[0] > 0  # +yaw moves the eye right
    camera.orbit(0.0, 0.3)
    settle(camera)
    assert camera.current.eye[1] > 0  # +pitch moves it up
    assert np.linalg.norm(camera.current.eye) == pytest.approx(5.0)


@pytest.mark.parametrize("steps", [3, -2])
def test_zoom_keeps_point_under_cursor_fixed(steps):
    camera = OrbitCamera(distance=5.0)
    camera.orbit(0.5, 0.25)
    settle(camera)
    cursor = (610.5, 140.5)
    origin, direction = camera.ray(cursor, VIEWPORT)
    # a point on the cursor ray at the target's depth
    forward = -camera.current.rotation[:, 2]
    point = origin + direction * (camera.current.distance / float(direction @ forward))
    np.testing.assert_allclose(screen(camera, point), cursor, atol=1e-6)
    distance_before = camera.current.distance
    camera.zoom(steps, cursor, VIEWPORT)
    camera.update(1 / 120)  # mid-animation the point stays put too
    np.testing.assert_allclose(screen(camera, point), cursor, atol=1e-6)
    settle(camera)
    np.testing.assert_allclose(screen(camera, point), cursor, atol=1e-6)
    assert camera.current.distance == pytest.approx(distance_before * camera.zoom_step ** (-steps))


def test_zoom_about_picked_anchor_off_target_depth():
    camera = OrbitCamera(distance=5.0)
    anchor = np.array([0.8, 0.4, 1.5])
    cursor = screen(camera, anchor)
    camera.zoom(4, cursor, VIEWPORT, anchor=anchor)
    settle(camera)
    np.testing.assert_allclose(screen(camera, anchor), cursor, atol=1e-6)
    assert camera.current.distance < 5.0


def test_pan_keeps_point_at_target_depth_under_cursor():
    camera = OrbitCamera(distance=4.0)
    camera.orbit(-0.6, 0.4)
    settle(camera)
    start = (250.5, 400.5)
    origin, direction = camera.ray(start, VIEWPORT)
    forward = -camera.current.rotation[:, 2]
    point = origin + direction * (camera.current.distance / float(direction @ forward))
    delta = (120.0, -75.0)
    camera.pan_drag(delta, VIEWPORT)
    settle(camera)
    np.testing.assert_allclose(screen(camera, point), (start[0] + delta[0], start[1] + delta[1]), atol=1e-6)


@pytest.mark.parametrize("seconds", [0.25, 1.0])
def test_damping_is_frame_rate_independent(seconds):
    def stepped(hz: int) -> OrbitCamera:
        camera = OrbitCamera(distance=5.0)
        camera.orbit(1.2, -0.4)
        camera.zoom(3, (500, 200), VIEWPORT)
        camera.pan_drag((40, 10), VIEWPORT)
        for _ in range(round(hz * seconds)):
            camera.update(1 / hz)
        return camera

    a, b = stepped(60), stepped(120)
    if seconds < 0.5:  # mid-flight, far from the goal, where a rate-dependent damping would show
        assert a.is_moving and b.is_moving
        assert quat_angle(a.current.orientation, a.goal.orientation) > 0.01
    np.testing.assert_allclose(a.current.target, b.current.target, atol=1e-9)
    assert a.current.distance == pytest.approx(b.current.distance, rel=1e-9)
    assert quat_angle(a.current.orientation, b.current.orientation) < 1e-9


def test_damping_converges_to_rest():
    camera = OrbitCamera(distance=5.0)
    camera.orbit(2.0, 1.0)
    camera.zoom(-4, (0, 0), VIEWPORT)
    steps = settle(camera)
    assert 60 < steps < 600  # neither instant nor endless at 120 Hz
    assert camera.current.same_as(camera.goal) and not camera.is_moving
    camera.update(1 / 120)
    assert not camera.is_moving


def test_interpolation_endpoints_are_previous_and_current():
    camera = OrbitCamera(distance=5.0)
    camera.orbit(0.8, 0.3)
    camera.zoom(2, (100, 100), VIEWPORT)
    for _ in range(3):
        camera.update(1 / 120)
    aspect = VIEWPORT[0] / VIEWPORT[1]
    np.testing.assert_array_equal(camera.view_matrix(0.0), camera.previous.view_matrix().astype(np.float32))
    np.testing.assert_array_equal(camera.view_matrix(1.0), camera.current.view_matrix().astype(np.float32))
    assert not np.allclose(camera.view_matrix(0.0), camera.view_matrix(1.0))
    middle = camera.view_projection(0.5, aspect)
    assert middle.dtype == np.float32 and middle.shape == (4, 4)
    assert not np.allclose(middle, camera.view_projection(0.0, aspect))
    assert not np.allclose(middle, camera.view_projection(1.0, aspect))


def test_gl_matrix_is_column_major():
    camera = OrbitCamera(target=(1, 2, 3))
    m = camera.view_matrix()
    flat = gl_matrix(m).ravel()
    assert flat.dtype == np.float32
    np.testing.assert_array_equal(flat[12:15], m[:3, 3])  # translation is the last column


def test_focus_animates_onto_point():
    camera = OrbitCamera(distance=5.0)
    camera.focus((1.0, 2.0, -1.0))
    camera.update(1 / 120)
    assert camera.is_moving
    assert not np.allclose(camera.current.target, (1.0, 2.0, -1.0))
    settle(camera)
    np.testing.assert_allclose(screen(camera, (1.0, 2.0, -1.0)), CENTRE, atol=1e-6)


def test_frame_points_fits_cloud_and_reset_restores_it():
    rng = np.random.default_rng(0)
    points = rng.normal(size=(500, 3)) * (3.0, 1.0, 0.5) + (10.0, -4.0, 2.0)
    camera = OrbitCamera()
    camera.frame_points(points.min(axis=0), points.max(axis=0), aspect=VIEWPORT[0] / VIEWPORT[1])
    assert camera.project(points, 1.0, VIEWPORT).visible.all()
    home = camera.current
    camera.orbit(1.0, 0.5)
    camera.zoom(5, (700, 50), VIEWPORT)
    camera.pan_drag((30, 30), VIEWPORT)
    settle(camera)
    assert not camera.current.same_as(home)
    camera.reset()
    settle(camera)
    assert camera.current.same_as(home)
    camera.zoom(-3, (10, 10), VIEWPORT)
    camera.reset(animate=False)
    assert camera.current.same_as(home) and not camera.is_moving
