"""Every place of the view decodes, through the shown layout's inverse map (the projection's
`to_latent`): Alt+click in empty space shows the place's image in Output (captioned as a decoded place)
and Alt+Shift+click adds it to the path; the gamepad's cursor decodes through the layout shown, a
UMAP-kind layout's network included; the Path panel adds a typed x y z, and refuses bad input in one
line. Real GL under Xvfb, posted pygame events, SDL's virtual pad, the real `App.run` loop with its idle
skip on where a picture comes over time."""
from __future__ import annotations

import numpy as np
import pygame
import pytest

from latentwalk.scenes.explorer.core import commands as c
from latentwalk.scenes.kiosk import policy
from latentwalk.vae import layout_maps
from latentwalk.vae.bundle import load_bundle
from latentwalk.vae.layouts import load_layout, store_layout
from tests.bundles import contrasty_decoder, make_bundle
from tests.explorer_helpers import (click_item, decoded, empty_pixel, frames, output_pixels, post_button, post_motion,
                                    type_text)
from tests.explorer_helpers import key as post_key
from tests.person import PersonClock, follow_as_a_person, until
from tests.virtual_pad import VirtualPad

SIZE = (640, 480)
DIM = 8
WARPED = "warped"  # a stored layout of UMAP's kind: its maps are small networks


@pytest.fixture(scope="module")
def bundle_path(tmp_path_factory):
    """A d = 8 bundle whose decoder's images differ from place to place, with a UMAP-kind layout."""
    path = make_bundle(tmp_path_factory.mktemp("places") / "d8", count=200, classes=4, dim=DIM,
                       decoder=contrasty_decoder(2, DIM))
    bundle = load_bundle(path)
    rng = np.random.default_rng(5)
    maps = {}
    for name, shape in layout_maps.map_shapes("umap", DIM).items():
        maps[name] = rng.normal(0.0, 0.4, shape).astype(np.float32)
        if name.endswith("_scale"):
            maps[name] = np.abs(maps[name]) + 0.5
    mean, axes, _ = layout_maps.principal_axes(bundle.latents)
    linear = (bundle.latents - mean) @ axes.T
    positions = (linear + 0.6 * np.sin(2.0 * linear[:, ::-1])).astype(np.float32)  # bent: no linear map
    store_layout(bundle, WARPED, positions, maps, {"method": "umap", "params": {}, "quality": {}})
    return path


def open_scene(gl_app, bundle_path, clock=None):
    from latentwalk.scenes.explorer.scene import ExplorerScene

    scene = ExplorerScene(bundle_path, device="cpu")
    extra = {} if clock is None else {"time_source": clock}
    app = gl_app(scene, size=SIZE, **extra)
    if clock is not None:
        clock.app = app
    return app, scene


def pca_inverse(latents, place) -> np.ndarray:
    """The PCA view's exact inverse, from its definition: the training mean plus the place along the
    three main axes (the other components stay at the mean)."""
    mean, axes, _ = layout_maps.principal_axes(latents)
    return mean.astype(np.float64) + np.asarray(place, np.float64) @ axes.astype(np.float64)


def place_under(scene, pixel) -> np.ndarray:
    """Where the pointer's ray meets the plane through the camera's target facing the camera."""
    state = scene.camera.state(1.0)
    origin, direction = scene.camera.ray(pixel, scene.viewport)
    facing = (state.target - state.eye) / np.linalg.norm(state.target - state.eye)
    along = np.dot(state.target - origin, facing) / np.dot(direction, facing)
    return origin + along * direction


def empty_pixel_clear_of(scene, panel, avoid=None) -> tuple[int, int]:
    """A pixel far from every point and from `panel` (and from `avoid`)."""
    x, y, w, h = panel.rect
    px = scene.camera.project(scene.installed.positions, 1.0, scene.viewport).pixels
    for row in range(40, SIZE[1] - 40, 9):
        for column in range(40, SIZE[0] - 40, 9):
            if x - 20 < column < x + w + 20 and y - 20 < row < y + h + 20:
                continue
            if avoid is not None and np.hypot(column - avoid[0], row - avoid[1]) < 60:
                continue
            if np.min(np.hypot(px[:, 0] - column, px[:, 1] - row)) > 30:
                return column, row
    return empty_pixel(scene)


def alt_click(pixel, mods):
    """Script steps: move there, rest, press and release the left button with `mods` held."""
    post_motion(pixel)
    yield 0.3
    pygame.key.set_mods(mods)
    post_button(pygame.MOUSEBUTTONDOWN, pixel)
    yield 0.1
    post_button(pygame.MOUSEBUTTONUP, pixel)
    yield 0.1
    pygame.key.set_mods(0)


def test_alt_click_in_empty_space_decodes_the_place_and_alt_shift_click_adds_it(gl_app, bundle_path):
    app, scene = open_scene(gl_app, bundle_path)
    scene.panels[:] = [scene.output_panel]
    scene.output_panel.place = (SIZE[0] - 190, 5)
    scene.submit(c.ShowPanels(True))
    frames(app, 3)
    pixel = empty_pixel_clear_of(scene, scene.output_panel)
    place = place_under(scene, pixel)
    expected = pca_inverse(scene.bundle.latents, place)
    image = decoded(scene, expected)
    second = empty_pixel_clear_of(scene, scene.output_panel, avoid=pixel)
    second_expected = pca_inverse(scene.bundle.latents, place_under(scene, second))

    def script():
        yield from alt_click(pixel, pygame.KMOD_ALT)
        yield until(lambda: scene.state.selection.source == "place", "the place selected")
        yield until(lambda: np.abs(output_pixels(app, scene) - image).mean() < 3, "the place's image in Output")
        yield from alt_click(second, pygame.KMOD_ALT | pygame.KMOD_SHIFT)
        yield until(lambda: len(scene.state.walk.path) == 1, "the place added to the path")

    clock = follow_as_a_person(app, script())
    assert scene.state.pointer.hovered is None  # empty space: no point under the pointer
    np.testing.assert_allclose(scene.state.selection.latent, expected, atol=1e-5)  # exact for PCA
    assert scene.output_panel.caption_shown.startswith("decoded place, not a data point: ")
    assert np.abs(output_pixels(app, scene) - image).mean() < 3
    assert np.abs(image - decoded(scene, scene.bundle.latents[0])).mean() > 10  # a picture of its own
    point = scene.state.walk.path.points[0]
    assert point.index is None
    np.testing.assert_allclose(point.coords, second_expected, atol=1e-5)
    np.testing.assert_allclose(scene.state.selection.latent, expected, atol=1e-5)  # adding kept the selection
    assert clock.now > 0.8 and app.idle_frames > 0  # time passed, and the loop rested while it did


def test_the_pads_cursor_decodes_through_the_layout_shown(gl_app, bundle_path):
    from latentwalk.scenes.kiosk.pad_driver import PadDriver

    clock = PersonClock()
    app, scene = open_scene(gl_app, bundle_path, clock)
    driver = PadDriver.attach(scene, app)
    pad = VirtualPad().attach()
    layout = load_layout(scene.bundle, WARPED)
    base = scene.installed.projection
    try:
        scene.submit(c.SwitchLayout(WARPED))
        clock.leave(1.5)  # the pad arrives, the points fly to the layout
        clock.run()
        assert scene.layouts.current == WARPED and not scene.layouts.flying
        clock.then(0.4, lambda: pad.axis("rightx", 1.0)).then(0.25, lambda: pad.axis("rightx", 0.0))
        clock.leave(0.3)
        clock.run()
        assert scene.state.selection.source == "gamepad" and driver.cursor is not None
        latent = np.asarray(scene.state.selection.latent)
        np.testing.assert_allclose(latent, layout.to_latent(driver.cursor[None])[0], atol=1e-4)
        # not the linear PCA inverse: the layout's own network decodes the cursor
        assert np.linalg.norm(latent - base.to_latent(driver.cursor[None])[0]) > 0.1
        image = decoded(scene, latent)

        def script():
            yield until(lambda: np.abs(output_pixels(app, scene) - image).mean() < 3, "the cursor's image in Output")

        follow_as_a_person(app, script())
    finally:
        pad.detach()
        driver.close()
        pygame.event.clear()


def type_place(app, panel, text) -> None:
    click_item(app, panel, "place")
    type_text(app, text)
    click_item(app, panel, "add_place")


def test_a_typed_place_adds_the_latent_it_decodes_to_and_bad_input_is_one_line(gl_app, bundle_path):
    app, scene = open_scene(gl_app, bundle_path)
    panel = scene.walk_tools.path_panel
    scene.panels[:] = [panel]
    panel.place = (5, 5)
    scene.submit(c.ShowPanels(True))
    frames(app, 3)
    type_place(app, panel, "1 2")
    assert panel.message == "typed place: got 2 numbers, the view (x y z) has 3"
    assert len(scene.state.walk.path) == 0 and panel.place_text == "1 2"
    panel.place_text = ""
    type_place(app, panel, "1 x 3")
    assert panel.message == "typed place: 'x' (number 2) is not a number" and len(scene.state.walk.path) == 0
    panel.place_text = ""
    type_place(app, panel, "0.5 -0.25 1")
    frames(app, 2)
    assert panel.message is None and panel.place_text == ""
    np.testing.assert_allclose(scene.state.walk.path.points[0].coords,
                               pca_inverse(scene.bundle.latents, (0.5, -0.25, 1.0)), atol=1e-5)
    # in a UMAP-kind layout the same place decodes through the layout's network; Enter adds it too
    scene.submit(c.SwitchLayout(WARPED))
    frames(app, 2)
    click_item(app, panel, "place")
    type_text(app, "0.5 -0.25 1")
    post_key(pygame.KEYDOWN, pygame.K_RETURN)
    frames(app, 2)
    post_key(pygame.KEYUP, pygame.K_RETURN)
    frames(app, 2)
    assert len(scene.state.walk.path) == 2
    layout = load_layout(scene.bundle, WARPED)
    np.testing.assert_allclose(scene.state.walk.path.points[1].coords,
                               layout.to_latent(np.array([[0.5, -0.25, 1.0]], np.float32))[0], atol=1e-5)


def test_visitors_who_may_select_may_decode_a_place_and_those_who_may_edit_the_path_may_add_it():
    select, path = policy.visitor_effects(("select",)), policy.visitor_effects(("path",))
    assert policy.allows("select_place", select) and not policy.allows("select_place", path)
    assert policy.allows("add_place", path) and not policy.allows("add_place", select)
    assert {"select_place", "add_place"} <= set(policy.bindable_actions())


def test_a_generators_stored_layout_decodes_each_points_place_to_its_own_latent():
    from latentwalk.scenes.explorer.model.projection import LayoutProjection

    rng = np.random.default_rng(7)
    latents = rng.normal(size=(300, DIM)).astype(np.float32)
    positions = np.c_[np.sin(latents[:, :2] @ rng.normal(size=(2, 2))), latents[:, 2] ** 2].astype(np.float32)
    projection = LayoutProjection(latents, positions)
    np.testing.assert_allclose(projection.to_latent(positions), latents, atol=1e-2)  # float32 distances
    between = (positions[0] + positions[1]) / 2  # a place between two points decodes between their latents
    middle = projection.to_latent(between[None])[0]
    assert np.linalg.norm(middle - (latents[0] + latents[1]) / 2) < np.linalg.norm(latents[0] - latents[1])
    assert projection.to_latent(positions[:4]).shape == (4, DIM)
