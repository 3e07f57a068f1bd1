"""Curve maths: interpolation through the points, continuity, arc-length spacing, degenerate input."""
import numpy as np
import pytest

from latentwalk.scenes.errors import SceneError
from latentwalk.scenes.explorer.walk.curve import KINDS, Curve

ZIGZAG = np.array([[0.0, 0.0], [1.0, 2.0], [3.0, 2.5], [4.0, 0.0], [6.0, 1.0]])


def random_points(seed: int, k: int, d: int) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=(k, d))


def arc_between_samples(curve: Curve, n: int) -> np.ndarray:
    """Arc length between consecutive rows of sample(n), measured on a much finer sampling."""
    fine_per_row = 64
    fine = curve.at(np.linspace(0.0, 1.0, (n - 1) * fine_per_row + 1))
    steps = np.linalg.norm(np.diff(fine, axis=0), axis=1)
    return steps.reshape(n - 1, fine_per_row).sum(axis=1)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("closed", [False, True])
@pytest.mark.parametrize("seed,k,d", [(0, 5, 2), (1, 7, 3), (2, 6, 16), (3, 4, 1)])
def test_every_control_point_is_hit_at_its_parameter(kind, closed, seed, k, d):
    points = random_points(seed, k, d)
    curve = Curve(points, kind=kind, closed=closed)
    params = curve.control_point_params()
    assert params.shape == (k,)
    assert params[0] == 0.0
    assert np.all(np.diff(params) > 0)
    assert params[-1] < 1.0 if closed else params[-1] == pytest.approx(1.0)
    np.testing.assert_allclose(curve.at(params), points, atol=1e-6)


@pytest.mark.parametrize("kind", KINDS)
def test_sample_ends_are_exact_control_points(kind):
    points = random_points(4, 5, 8)
    rows = Curve(points, kind=kind).sample(50)
    assert rows.shape == (50, 8)
    np.testing.assert_array_equal(rows[0], points[0])
    np.testing.assert_array_equal(rows[-1], points[-1])
    looped = Curve(points, kind=kind, closed=True).sample(50)
    np.testing.assert_array_equal(looped[0], points[0])
    np.testing.assert_array_equal(looped[-1], points[0])


def turn_at(curve: Curve, t: float, h: float) -> tuple[float, float]:
    """Angle between the chords just before and just after t, and the ratio of their lengths."""
    wrap = (lambda x: x % 1.0) if curve.closed else (lambda x: x)
    before = curve.at(t) - curve.at(wrap(t - h))
    after = curve.at(wrap(t + h)) - curve.at(t)
    cos = before @ after / (np.linalg.norm(before) * np.linalg.norm(after))
    return float(np.arccos(np.clip(cos, -1.0, 1.0))), float(np.linalg.norm(after) / np.linalg.norm(before))


@pytest.mark.parametrize("points,closed", [(ZIGZAG, False), (random_points(5, 6, 3), False),
                                           (random_points(6, 5, 16), True)])
def test_catmull_rom_is_c1_at_the_joints(points, closed):
    curve = Curve(points, kind="catmull-rom", closed=closed, samples_per_segment=2048)
    params = curve.control_point_params()
    for t in params if closed else params[1:-1]:
        # A smooth curve turns by (curvature x chord) between two chords, so the turn vanishes as
        # the chords shrink; a corner keeps its angle however short they get.
        coarse, _ = turn_at(curve, t, 1e-3)
        fine, ratio = turn_at(curve, t, 1e-4)
        assert fine < 0.2 * coarse + 1e-6, f"corner at t={t}: {coarse} -> {fine}"
        # Arc-length parametrised: equal parameter steps are equal distances on both sides.
        assert ratio == pytest.approx(1.0, abs=0.01)


def test_linear_curve_has_a_corner_so_the_c1_check_can_fail():
    curve = Curve(ZIGZAG, kind="linear")
    t = curve.control_point_params()[1]
    coarse, _ = turn_at(curve, t, 1e-3)
    fine, _ = turn_at(curve, t, 1e-4)
    assert fine > 0.5 and fine == pytest.approx(coarse)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("points", [ZIGZAG, random_points(7, 8, 3), random_points(8, 5, 16)])
def test_samples_are_equally_spaced_along_the_curve_within_one_percent(kind, points):
    curve = Curve(points, kind=kind)
    arcs = arc_between_samples(curve, 100)
    assert arcs.max() / arcs.min() < 1.01
    assert arcs.sum() == pytest.approx(curve.length, rel=1e-3)


def test_consecutive_chords_are_uniform_on_a_gentle_curve():
    angles = np.linspace(0, np.pi, 6)
    points = np.stack([np.cos(angles), np.sin(angles)], axis=1) * 3.0
    rows = Curve(points).sample(200)
    chords = np.linalg.norm(np.diff(rows, axis=0), axis=1)
    assert chords.max() / chords.min() < 1.01


def test_catmull_rom_through_points_on_a_circle_stays_near_the_circle():
    angles = np.linspace(0, 2 * np.pi, 12, endpoint=False)
    points = np.stack([np.cos(angles), np.sin(angles)], axis=1)
    rows = Curve(points, closed=True).sample(500)
    radius = np.linalg.norm(rows, axis=1)
    assert np.all(np.abs(radius - 1.0) < 0.01)
    assert Curve(points, closed=True).length == pytest.approx(2 * np.pi, rel=0.01)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("closed", [False, True])
def test_duplicate_points_give_no_nan_and_share_a_parameter(kind, closed):
    points = np.array([[0.0, 0.0], [0.0, 0.0], [1.0, 1.0], [1.0, 1.0], [1.0, 1.0], [2.0, 0.0],
                       [0.0, 0.0]])
    curve = Curve(points, kind=kind, closed=closed)
    rows = curve.sample(64)
    assert np.all(np.isfinite(rows))
    params = curve.control_point_params()
    assert params[0] == params[1] and params[2] == params[3] == params[4]
    if closed:  # the trailing copy of the first point is the start of the loop
        assert params[6] == 0.0
    np.testing.assert_allclose(curve.at(params), points, atol=1e-6)


@pytest.mark.parametrize("kind", KINDS)
def test_one_point_is_a_constant_curve(kind):
    point = np.array([[0.5, -2.0, 3.0]])
    curve = Curve(point, kind=kind, closed=kind == "slerp")
    assert curve.length == 0.0
    np.testing.assert_array_equal(curve.sample(7), np.repeat(point, 7, axis=0))
    np.testing.assert_array_equal(curve.at(0.3), point[0])
    np.testing.assert_array_equal(curve.control_point_params(), [0.0])
    same_twice = Curve(np.repeat(point, 3, axis=0), kind=kind)
    np.testing.assert_array_equal(same_twice.sample(4), np.repeat(point, 4, axis=0))


@pytest.mark.parametrize("kind", KINDS)
def test_collinear_points_stay_on_their_line(kind):
    direction = np.array([1.0, 2.0, -1.0]) / np.sqrt(6)
    offsets = np.array([0.0, 0.3, 1.7, 2.0, 5.0])
    # Slerp bends any line that misses the origin; on a ray from the origin it is a straight line.
    start = 0.5 * direction if kind == "slerp" else np.array([1.0, 1.0, 1.0])
    points = start + offsets[:, None] * direction
    curve = Curve(points, kind=kind)
    rows = curve.sample(101)
    along = (rows - start) @ direction
    off_line = rows - start - along[:, None] * direction
    assert np.abs(off_line).max() < 1e-9
    assert curve.length == pytest.approx(5.0, rel=1e-4)
    np.testing.assert_allclose(along, np.linspace(0, 5, 101), atol=5e-3)


@pytest.mark.parametrize("kind", KINDS)
def test_two_points_make_a_straight_line(kind):
    a, b = np.array([1.0, 1.0, 0.0, 2.0]), np.array([-1.0, 3.0, 1.0, 0.0])
    rows = Curve(np.stack([a, b]), kind=kind if kind != "slerp" else "linear").sample(11)
    np.testing.assert_allclose(rows, a + np.linspace(0, 1, 11)[:, None] * (b - a), atol=1e-6)


def test_slerp_interpolates_norms_and_stays_in_the_plane_of_its_points():
    a = np.array([2.0, 0.0, 0.0])
    b = np.array([0.0, 4.0, 0.0])
    curve = Curve(np.stack([a, b]), kind="slerp", samples_per_segment=4096)
    s = np.linspace(0.0, 1.0, 21)
    u_rows = curve._points_at_u(s)  # by segment parameter, where the norm is linear
    np.testing.assert_allclose(np.linalg.norm(u_rows, axis=1), 2.0 + 2.0 * s, atol=1e-12)
    angles = np.arctan2(u_rows[:, 1], u_rows[:, 0])
    np.testing.assert_allclose(angles, s * np.pi / 2, atol=1e-12)
    rows = curve.sample(50)
    assert np.abs(rows[:, 2]).max() == 0.0
    norms = np.linalg.norm(rows, axis=1)
    assert np.all(np.diff(norms) > 0) and norms.min() >= 2.0 - 1e-9 and norms.max() <= 4.0 + 1e-9


def test_slerp_falls_back_to_linear_for_opposite_parallel_and_zero_vectors():
    opposite = Curve([[1.0, 0.0], [-1.0, 0.0]], kind="slerp").sample(5)
    np.testing.assert_allclose(opposite[:, 0], [1.0, 0.5, 0.0, -0.5, -1.0], atol=1e-9)
    parallel = Curve([[1.0, 1.0], [3.0, 3.0]], kind="slerp").sample(3)
    np.testing.assert_allclose(parallel, [[1, 1], [2, 2], [3, 3]], atol=1e-9)
    from_origin = Curve([[0.0, 0.0], [0.0, 2.0]], kind="slerp").sample(3)
    np.testing.assert_allclose(from_origin, [[0, 0], [0, 1], [0, 2]], atol=1e-9)


def test_polyline_contains_every_control_point_in_order():
    curve = Curve(ZIGZAG)
    line = curve.polyline(40)
    assert len(line) >= 40
    for point in ZIGZAG:
        assert np.linalg.norm(line - point, axis=1).min() < 1e-6
    hits = [int(np.argmin(np.linalg.norm(line - p, axis=1))) for p in ZIGZAG]
    assert hits == sorted(hits)


def test_high_dimensional_curve():
    points = random_points(9, 10, 16)
    curve = Curve(points, closed=True)
    rows = curve.sample(300)
    assert rows.shape == (300, 16) and np.all(np.isfinite(rows))
    arcs = arc_between_samples(curve, 300)
    assert arcs.max() / arcs.min() < 1.01


@pytest.mark.parametrize("points,message", [
    (np.zeros((0, 3)), "at least one control point"),
    (np.zeros(3), "(K, d)"),
    (np.array([[0.0, np.nan]]), "control point 0 is not finite"),
    (np.array([[0.0, 1.0], [np.inf, 0.0]]), "control point 1 is not finite"),
])
def test_bad_points_are_refused_with_a_clear_message(points, message):
    with pytest.raises(SceneError, match=message.replace("(", r"\(").replace(")", r"\)")):
        Curve(points)


def test_unknown_kind_and_bad_sample_count_are_refused():
    with pytest.raises(SceneError, match="unknown curve kind 'bezier'"):
        Curve(ZIGZAG, kind="bezier")
    with pytest.raises(SceneError, match="at 0 points"):
        Curve(ZIGZAG).sample(0)


def test_parameter_outside_the_unit_interval_is_clamped():
    curve = Curve(ZIGZAG)
    np.testing.assert_array_equal(curve.at(-0.5), ZIGZAG[0])
    np.testing.assert_allclose(curve.at(1.5), ZIGZAG[-1], atol=1e-12)


def test_spacing_is_uniform_on_random_curves_with_wild_scales():
    """Measured against a 16x finer arc-length table of the same curve, so corners and turn-backs
    (1-d) do not blur the measurement."""
    for seed in range(12):
        rng = np.random.default_rng(seed)
        k, d = int(rng.integers(2, 12)), int(rng.integers(1, 20))
        points = rng.normal(size=(k, d)) * np.exp(2.0 * rng.normal(size=(k, 1)))
        for kind in KINDS:
            closed = bool(seed % 2)
            curve = Curve(points, kind=kind, closed=closed)
            reference = Curve(points, kind=kind, closed=closed, samples_per_segment=16 * 256)
            u = curve._u_of_fraction(np.linspace(0.0, 1.0, 101))
            arcs = np.diff(np.interp(u, reference._u_grid, reference._cumulative))
            assert arcs.max() / arcs.min() < 1.01, (seed, kind)
