"""CurveView under Xvfb: a known curve rendered with a fixed camera, pixels read back and checked."""
import numpy as np
import pytest
from OpenGL import GL as gl

from latentwalk.engine.camera import OrbitCamera
from latentwalk.engine.gl import Framebuffer
from latentwalk.engine.scene import Scene
from latentwalk.scenes.explorer.walk import curve_view as cv
from latentwalk.scenes.explorer.walk.path import WalkPath

SIZE = (200, 160)
BACKGROUND = (0.0, 0.0, 0.0, 1.0)


def rgb(color):
    return np.round(np.asarray(color[:3]) * 255)


def mask_of(image, color, tolerance=3):
    return np.all(np.abs(image[..., :3].astype(int) - rgb(color)) <= tolerance, axis=-1)


@pytest.fixture
def target(gl_context):
    fbo = Framebuffer(*SIZE)
    view = cv.CurveView(width_px=6.0)
    yield fbo, view
    view.release()
    fbo.release()
    gl.glBindFramebuffer(gl.GL_FRAMEBUFFER, 0)


def draw(fbo, view, camera):
    fbo.bind()
    fbo.clear(color=BACKGROUND)
    view.render(camera.view_projection(1.0, SIZE[0] / SIZE[1]), SIZE)
    return fbo.read()[::-1]  # top-down, like window pixels


def camera_looking_down_z(distance=4.0):
    return OrbitCamera(target=(0.0, 0.0, 0.0), distance=distance)


def straight_line(view, start, end, count=9):
    t = np.linspace(0.0, 1.0, count)
    points = np.outer(1 - t, start) + np.outer(t, end)
    view.set_geometry(points, t, np.zeros((0, 3)))


def distance_to_polyline(pixels, polyline_px):
    """Distance from each pixel centre (x, y) to a polyline in pixels."""
    best = np.full(len(pixels), np.inf)
    for a, b in zip(polyline_px[:-1], polyline_px[1:]):
        ab = b - a
        s = np.clip(((pixels - a) @ ab) / max(ab @ ab, 1e-12), 0.0, 1.0)
        best = np.minimum(best, np.linalg.norm(pixels - (a + s[:, None] * ab), axis=1))
    return best


def test_a_straight_line_has_the_asked_width_and_nothing_else_is_drawn(target):
    fbo, view = target
    camera = camera_looking_down_z()
    straight_line(view, (-1.0, 0.2, 0.0), (1.0, 0.2, 0.0))
    image = draw(fbo, view, camera)
    line = mask_of(image, cv.CURVE_COLOR)
    ends = camera.project(np.array([[-1.0, 0.2, 0.0], [1.0, 0.2, 0.0]]), 1.0, SIZE).pixels
    column = int(ends.mean(axis=0)[0])
    thickness = int(line[:, column].sum())
    assert abs(thickness - 6) <= 1
    rows = np.flatnonzero(line[:, column])
    assert abs(rows.mean() + 0.5 - ends[0, 1]) <= 1.0  # centred on the projected line
    # everything drawn lies within half a width (plus a pixel of rasterisation) of the projected segment
    ys, xs = np.nonzero(np.any(image[..., :3] > 0, axis=-1))
    far = distance_to_polyline(np.c_[xs + 0.5, ys + 0.5], ends) > 3.0 + 1.0
    assert not far.any() and line[ys, xs].all()
    # and the segment is covered from end to end, round caps included
    assert line[int(ends[0, 1]), int(ends[0, 0]):int(ends[1, 0])].all()


def test_width_is_in_pixels_whatever_the_distance(target):
    fbo, view = target
    straight_line(view, (-1.0, 0.0, 0.0), (1.0, 0.0, 0.0))
    view.width_px = 10.0
    for distance in (3.0, 12.0):
        line = mask_of(draw(fbo, view, camera_looking_down_z(distance)), cv.CURVE_COLOR)
        assert abs(int(line[:, SIZE[0] // 2].sum()) - 10) <= 1


def test_the_drawn_curve_passes_through_every_control_point(target):
    """The original tool's bug: its drawn curve missed the chosen points. Catmull-Rom through 3-d latents."""
    fbo, view = target
    latents = np.array([[-1.2, -0.6, 0.0], [-0.4, 0.7, 0.3], [0.3, -0.5, -0.2], [1.1, 0.6, 0.1]])
    path = WalkPath(latents)
    for index in range(len(latents)):
        path.add_index(index)
    camera = OrbitCamera(target=(0.0, 0.0, 0.0), distance=4.0, orientation=(0.97, 0.15, 0.2, 0.0))
    view.sync(path, lambda z: z)
    view.show_points = view.show_marker = False
    image = draw(fbo, view, camera)
    line = mask_of(image, cv.WALKED_COLOR) | mask_of(image, cv.CURVE_COLOR)
    pixels = camera.project(latents, 1.0, SIZE).pixels
    for x, y in pixels.astype(int):
        assert line[y - 1:y + 2, x - 1:x + 2].all(), (x, y)
    # and it is the smooth curve, not the polyline through the same points
    path.kind = "linear"
    view.sync(path, lambda z: z)
    image = draw(fbo, view, camera)
    polyline = mask_of(image, cv.WALKED_COLOR) | mask_of(image, cv.CURVE_COLOR)
    assert (line & ~polyline).sum() > 100


def test_pca_like_projection_of_a_wide_latent_space(target):
    fbo, view = target
    rng = np.random.default_rng(3)
    basis = np.linalg.qr(rng.normal(size=(6, 3)))[0]  # orthonormal columns, as PCA gives
    latents = rng.normal(size=(5, 6))
    path = WalkPath(latents, kind="slerp")
    for index in (0, 2, 4):
        path.add_index(index)
    project = lambda z: (z - latents.mean(axis=0)) @ basis  # noqa: E731
    view.sync(path, project)
    view.show_points = view.show_marker = False
    drawn = project(latents[[0, 2, 4]])
    camera = OrbitCamera(target=drawn.mean(axis=0), distance=4.0 * float(np.ptp(drawn, axis=0).max()))
    image = draw(fbo, view, camera)
    line = mask_of(image, cv.WALKED_COLOR) | mask_of(image, cv.CURVE_COLOR)
    for x, y in camera.project(drawn, 1.0, SIZE).pixels.astype(int):
        assert line[y - 1:y + 2, x - 1:x + 2].all()


def test_walked_part_marker_and_control_points_are_distinct(target):
    fbo, view = target
    latents = np.array([[-1.0, 0.0, 0.0], [1.0, 0.0, 0.0]])
    path = WalkPath(latents, kind="linear")
    path.add_index(0)
    path.add_index(1)
    path.traversal.seek(0.5)
    view.sync(path, lambda z: z)
    camera = camera_looking_down_z()
    image = draw(fbo, view, camera)
    (x0, y), (x1, _), (xm, _) = camera.project(np.array([[-1.0, 0, 0], [1.0, 0, 0], [0.0, 0, 0]]), 1.0, SIZE).pixels
    y, xm = int(y), int(xm)
    walked, ahead = mask_of(image, cv.WALKED_COLOR), mask_of(image, cv.CURVE_COLOR)
    quarter = int((x1 - x0) / 4)
    assert walked[y, xm - quarter] and ahead[y, xm + quarter]
    assert not walked[:, xm + quarter:].any() and not ahead[:, :xm - quarter].any()
    # control points: discs of their own colour; the position: a ring whose centre shows what lies beneath
    assert mask_of(image, cv.POINT_COLOR)[y, int(x0)] and mask_of(image, cv.POINT_COLOR)[y, int(x1)]
    ring = mask_of(image, cv.MARKER_COLOR)
    assert ring[y, xm + 9] and ring[y, xm - 9] and ring[y - 9, xm] and not ring[y, xm]
    np.testing.assert_allclose(view.label_pixels, camera.project(latents, 1.0, SIZE).pixels, atol=1e-6)
    # playback moves the marker: a later position, a later ring
    path.traversal.seek(0.75)
    view.sync(path, lambda z: z)
    ring = mask_of(draw(fbo, view, camera), cv.MARKER_COLOR)
    assert not ring[y, xm + 9] and ring[y, xm + quarter + 9]


def test_hidden_parts_of_the_curve_show_faint_and_control_points_in_full(target):
    fbo, view = target
    straight_line(view, (-1.0, 0.0, 0.0), (1.0, 0.0, 0.0))
    view.control_points_3d = np.array([[0.5, 0.5, 0.0]])  # off the line, to see both
    camera = camera_looking_down_z()
    fbo.bind()
    fbo.clear(color=BACKGROUND, depth=0.05)  # as if something in front covered everything
    view.render(camera.view_projection(1.0, SIZE[0] / SIZE[1]), SIZE)
    image = fbo.read()[::-1]
    assert not mask_of(image, cv.CURVE_COLOR).any()  # nothing at full strength: it is behind
    faint_color = cv.HIDDEN_OPACITY * np.asarray(cv.CURVE_COLOR[:3]) + (1 - cv.HIDDEN_OPACITY) * np.asarray(BACKGROUND[:3])
    faint = mask_of(image, faint_color, tolerance=2)
    ends = camera.project(np.array([[-1.0, 0.0, 0.0], [1.0, 0.0, 0.0]]), 1.0, SIZE).pixels
    row = int(ends[0, 1])
    # faint along the whole line, and blended once per pixel: overlapping segment caps (nine segments
    # here) do not add up to a stronger colour anywhere
    assert faint[row, int(ends[0, 0]) + 4:int(ends[1, 0]) - 4].all()
    drawn = np.any(image[..., :3] > 0, axis=-1) & ~mask_of(image, cv.POINT_COLOR) & ~mask_of(image, (0, 0, 0))
    assert (drawn & ~faint).sum() <= 0.02 * drawn.sum()  # (the point disc's rim pixels aside)
    assert mask_of(image, cv.POINT_COLOR).sum() > 50


def test_where_the_curve_is_in_front_it_is_drawn_at_full_strength(target):
    fbo, view = target
    straight_line(view, (-1.0, 0.0, 0.0), (1.0, 0.0, 0.0))
    camera = camera_looking_down_z()
    fbo.bind()
    fbo.clear(color=BACKGROUND, depth=1.0)
    view.render(camera.view_projection(1.0, SIZE[0] / SIZE[1]), SIZE)
    image = fbo.read()[::-1]
    ends = camera.project(np.array([[-1.0, 0.0, 0.0], [1.0, 0.0, 0.0]]), 1.0, SIZE).pixels
    assert mask_of(image, cv.CURVE_COLOR)[int(ends[0, 1]), int(ends[0, 0]):int(ends[1, 0])].all()


def fixed_size(text):
    return 8.0 * len(text), 14.0


def test_labels_of_points_on_top_of_one_another_are_merged_and_none_covers_another():
    pixels = np.array([[100.0, 100.0], [180.0, 60.0], [100.5, 99.0], [112.0, 100.0], [np.nan, np.nan]])
    labels = cv.place_labels(pixels, fixed_size, radius=7.0)
    assert [text for text, *_ in labels] == ["1,3", "2", "4"]  # 5 is off screen
    text, x, y, w, h = labels[0]
    assert (x, y) == (100.0 + 9.0, 100.0 - 9.0 - 14.0) and (w, h) == (24.0, 14.0)  # up and right of it
    for a, b in ((0, 2), (0, 1), (1, 2)):
        _, ax, ay, aw, ah = labels[a]
        _, bx, by, bw, bh = labels[b]
        assert ax + aw <= bx or bx + bw <= ax or ay + ah <= by or by + bh <= ay
    assert labels[2][2] > 100.0  # label 4 (a point 12 px right) went below, as up-right was taken


def test_empty_path_draws_nothing_and_a_segment_behind_the_eye_is_not_mirrored(target):
    fbo, view = target
    path = WalkPath(np.zeros((3, 3)))
    view.sync(path, lambda z: z)
    assert not draw(fbo, view, camera_looking_down_z())[..., :3].any()
    # from the eye at z=4 straight back past it: only the part in front may show, in the lower half
    straight_line(view, (0.0, -0.5, 0.0), (0.0, -0.5, 8.0), count=2)
    line = mask_of(draw(fbo, view, camera_looking_down_z()), cv.CURVE_COLOR)
    assert line[SIZE[1] // 2 + 5:].any() and not line[:SIZE[1] // 2].any()


class LabelScene(Scene):
    def __init__(self):
        self.view = None
        self.camera = camera_looking_down_z()

    def start(self, app):
        self.view = cv.CurveView()
        self.view.control_points_3d = np.array([[-0.5, 0.0, 0.0], [0.5, 0.0, 0.0]])
        self.size = app.framebuffer_size

    def render(self, alpha):
        self.view.render(self.camera.view_projection(1.0, self.size[0] / self.size[1]), self.size)

    def build_ui(self):
        self.view.draw_labels()

    def close(self):
        self.view.release()


def test_control_points_are_numbered_beside_them(gl_app):
    scene = LabelScene()
    app = gl_app(scene, size=(320, 240))
    app.step_frame(1 / 60)
    labelled = app.capture(include_ui=True)
    scene.view.show_labels = False
    app.step_frame(1 / 60)
    plain = app.capture(include_ui=True)
    # bright, not pure white: the TTF font is anti-aliased, its thin strokes rarely reach 255
    white = np.all(labelled > 150, axis=-1) & ~np.all(plain > 150, axis=-1)
    boxes = np.zeros_like(white)
    for x, y in scene.view.label_pixels.astype(int):  # text up and right of each point
        assert white[y - 24:y, x:x + 20].sum() > 5
        boxes[y - 24:y, x:x + 20] = True
    assert not (white & ~boxes).any()  # and nowhere else
