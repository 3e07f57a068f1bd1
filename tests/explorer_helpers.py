"""Shared by the GL tests: posted pygame events, clicks on panel widgets, frame stepping, and where the
explorer's points fall on screen. Tiny bundles come from tests/bundles.py."""
from __future__ import annotations

import time

import numpy as np
import pygame

from latentwalk.scenes.explorer.core.commands import ShowPanels
from latentwalk.scenes.explorer.panels.path import item_center

FRAME = 1 / 60
WALK_SIZE = (640, 480)  # the explorer window of the walk tests, with its panels pinned inside it


def post_motion(pos, rel=(0, 0), buttons=(0, 0, 0)) -> None:
    pygame.event.post(pygame.event.Event(pygame.MOUSEMOTION, pos=tuple(int(v) for v in pos), rel=rel,
                                         buttons=buttons, touch=False))


def post_button(kind, pos, button=1) -> None:
    pygame.event.post(pygame.event.Event(kind, pos=tuple(int(v) for v in pos), button=button, touch=False))


def key(kind, code, mod=0, unicode="") -> None:
    pygame.event.post(pygame.event.Event(kind, key=code, mod=mod, unicode=unicode, scancode=0))


def frames(app, count: int = 1, dt: float = FRAME) -> None:
    for _ in range(count):
        app.step_frame(dt)


def grab(app) -> np.ndarray:
    """The next frame as presented (read in a frame listener, before the swap), top-down RGB."""
    shot = []
    app.frame_listeners.append(lambda a: shot.append(a.read_frame().copy()))
    try:
        frames(app)
    finally:
        app.frame_listeners.pop()
    return shot[0]


def click(app, pos, mods=0) -> None:
    """Move there, press and release the left button, with `mods` held; a frame after each event."""
    post_motion(pos)
    frames(app)
    pygame.key.set_mods(mods)
    try:
        post_button(pygame.MOUSEBUTTONDOWN, pos)
        frames(app)
        post_button(pygame.MOUSEBUTTONUP, pos)
        frames(app, 2)
    finally:
        pygame.key.set_mods(0)


def click_item(app, panel, name) -> None:
    click(app, item_center(panel.item_rects, name))


def type_text(app, text) -> None:
    for char in text:
        key(pygame.KEYDOWN, ord(char) if char.isalnum() else pygame.K_UNKNOWN, unicode=char)
        frames(app)


def show_only_walk_panels(scene, walk) -> None:
    """The explorer with just the walk's panels, pinned where clicks in a WALK_SIZE window reach them."""
    scene.panels[:] = [walk.path_panel, walk.walk_panel, walk.session_panel, walk]
    walk.path_panel.place = (5, 5)
    walk.walk_panel.place = (WALK_SIZE[0] - 430, 5)
    walk.session_panel.place = (WALK_SIZE[0] - 370, WALK_SIZE[1] - 120)
    scene.submit(ShowPanels(True))


def frames_until(app, condition, max_frames: int = 400) -> bool:
    """Step frames (giving the worker thread time between them) until `condition()`; bounded."""
    for _ in range(max_frames):
        app.step_frame(FRAME)
        if condition():
            return True
        time.sleep(0.003)
    return False


def front_point(scene, margin: int = 24) -> tuple[int, tuple[int, int]]:
    """The visible point nearest the eye, well inside the window, and its pixel: nothing can cover it."""
    projection = scene.camera.project(scene.installed.positions, 1.0, scene.viewport)
    width, height = scene.viewport
    px = projection.pixels
    inside = projection.visible & (px[:, 0] > margin) & (px[:, 0] < width - margin) \
        & (px[:, 1] > margin) & (px[:, 1] < height - margin)
    candidates = np.flatnonzero(inside)
    index = int(candidates[np.argmin(projection.depth[candidates])])
    return index, (int(px[index, 0]), int(px[index, 1]))


def isolated_point(scene, clearance: float = 16.0, margin: int = 24) -> tuple[int, tuple[int, int]]:
    """A visible point with no other point's centre within `clearance` pixels, and its pixel."""
    return lonely_points(scene, 1, clearance, margin)[0]


def lonely_points(scene, count: int, clearance: float = 16.0, margin: int = 24) -> list[tuple[int, tuple[int, int]]]:
    """Up to `count` visible points (at least one) with no other point's centre within `clearance`
    pixels, and their pixels."""
    projection = scene.camera.project(scene.installed.positions, 1.0, scene.viewport)
    px, (width, height) = projection.pixels, scene.viewport
    found = []
    for index in np.flatnonzero(projection.visible):
        x, y = px[index]
        if not (margin < x < width - margin and margin < y < height - margin):
            continue
        distances = np.hypot(px[:, 0] - x, px[:, 1] - y)
        distances[index] = np.inf
        if distances.min() > clearance:
            found.append((int(index), (int(x), int(y))))
            if len(found) == count:
                break
    if not found:
        raise AssertionError("no isolated point")
    return found


def empty_pixel(scene, distance: float = 30.0) -> tuple[int, int]:
    """A pixel at least `distance` from every projected point."""
    px = scene.camera.project(scene.installed.positions, 1.0, scene.viewport).pixels
    width, height = scene.viewport
    for y in range(5, height - 5, 7):
        for x in range(5, width - 5, 7):
            if np.min(np.hypot(px[:, 0] - x, px[:, 1] - y)) > distance:
                return x, y
    raise AssertionError("no empty pixel")


def open_explorer(gl_app, model, size, *, panels: bool = False, warm_frames: int = 2, **scene_kwargs):
    """An ExplorerScene on `model` (CPU decoder) in the shared test window, a few frames in.
    `panels=False` hides the panels, which would cover the points a test aims at."""
    from latentwalk.scenes.explorer.scene import ExplorerScene

    scene = ExplorerScene(model, device="cpu", **scene_kwargs)
    app = gl_app(scene, size=size)
    scene.submit(ShowPanels(panels))
    frames(app, warm_frames)
    return app, scene


def sample_picture(screen: np.ndarray, origin, scale: float, shape) -> np.ndarray:
    """One screen pixel from the middle of each picture pixel of a picture of `shape` (height, width)
    drawn at `origin` (x, y) with `scale` screen pixels a picture pixel: (H, W, 3) ints."""
    height, width = shape[:2]
    rows = (origin[1] + (np.arange(height) + 0.5) * scale).astype(int)
    columns = (origin[0] + (np.arange(width) + 0.5) * scale).astype(int)
    return screen[np.ix_(rows, columns)].astype(int)


def decoded(scene, latent) -> np.ndarray:
    """The image the model's decoder makes of `latent`, as the Output panel draws it (RGB ints)."""
    from latentwalk.scenes.explorer.model.decoding import image_to_rgb_u8
    from latentwalk.vae.decode import decode_latents

    image = decode_latents(scene.bundle.load_decoder("cpu"), np.asarray(latent, np.float32).reshape(1, -1))[0]
    return image_to_rgb_u8(image).astype(int)


def output_pixels(app, scene) -> np.ndarray:
    """The Output panel's decoded image as the last drawn frame shows it, one sample per image pixel."""
    (x0, y0), (x1, _) = scene.output_panel.item_rects["decoded"]
    height, width = scene.bundle.image_shape
    scale = (x1 - x0) / width
    return sample_picture(app.capture(include_ui=True), (x0, y0), scale, (height, width))


def type_brush_colour(app, panel, rgb: tuple[int, int, int]) -> None:
    """Type R, G and B (0-255) into the Draw panel's brush colour fields: a double click on each field,
    the value, Return."""
    from imgui_bundle import imgui

    from latentwalk.scenes.explorer.panels.draw import COLOUR_EDIT_EMS

    (x0, y0), _ = panel.item_rects["colour"]
    style = imgui.get_style()
    inner, square = style.item_inner_spacing.x, imgui.get_frame_height()
    field = ((COLOUR_EDIT_EMS * imgui.get_font_size() - square - inner) - 2 * inner) / 3
    for channel, value in enumerate(rgb):
        at = (x0 + channel * (field + inner) + field / 2, y0 + square / 2)
        click(app, at)
        click(app, at)  # a double click types a value
        type_text(app, str(value))
        key(pygame.KEYDOWN, pygame.K_RETURN)
        key(pygame.KEYUP, pygame.K_RETURN)
        frames(app, 2)
