"""The Output image follows what the person did last (real GL under Xvfb, posted pygame events, the real
`App.run` loop with its idle skip on and time passing on an injected clock): scrubbing or playing the walk
takes it from a selection; a hover takes it and, when it ends, gives it back to what came before; the
caption and the Neighbours panel name what is shown in the same words; after a model switch nothing of
the old model is left in any panel, in the view or in the walk."""
from __future__ import annotations

import numpy as np
import pygame
import pytest
from PIL import Image

from latentwalk.scenes.explorer.core import commands as c
from latentwalk.scenes.explorer.tools.drawing import MARKER_COLOR
from latentwalk.scenes.explorer.panels.path import item_center
from latentwalk.scenes.explorer.walk.walk_tools import walk_caption
from tests.bundles import contrasty_decoder, make_bundle
from tests.explorer_helpers import (decoded, empty_pixel, frames, frames_until, open_explorer, output_pixels, post_button,
                                    post_motion)
from tests.explorer_helpers import key as post_key
from tests.person import follow_as_a_person, until

SIZE = (800, 600)
WAIT_S = 20.0  # the longest a person waits for a picture (fake seconds; the first decode imports torch)


@pytest.fixture(scope="module")
def bundles(tmp_path_factory):
    root = tmp_path_factory.mktemp("intent")
    return {"big": make_bundle(root / "big", count=400, classes=4, encoder=True, decoder=contrasty_decoder(0)),
            "small": make_bundle(root / "small", count=60, classes=3, seed=1, decoder=contrasty_decoder(1))}


def run_as_person(app, script) -> None:
    """Play a generator script as a person (tests/person.py): it acts, waits seconds, or waits (at most
    WAIT_S) `until` what it looks for shows."""
    scene = app.scene

    def describe() -> str:
        return (f"(Output: {scene.output_panel.caption_shown!r}, Neighbours: {scene.neighbours.caption!r}, "
                f"hovered: {scene.state.pointer.hovered})")

    follow_as_a_person(app, script, describe=describe, wait_s=WAIT_S)


def arrange(scene) -> None:
    """Output, Walk and Neighbours pinned where they leave the middle of the view free."""
    walk = scene.walk_tools.walk_panel
    scene.panels[:] = [scene.output_panel, walk, scene.neighbours.panel]
    scene.output_panel.place = (SIZE[0] - 190, 5)
    walk.place = (SIZE[0] - 430, SIZE[1] - 175)
    scene.neighbours.panel.place = (5, 5)


def clear_point(scene, label: int | None = None, avoid=(), margin: int = 30, among=None) -> tuple[int, tuple[int, int]]:
    """The front-most visible point (of class `label`) with no panel within `margin` pixels, and its pixel."""
    projection = scene.camera.project(scene.installed.positions, 1.0, scene.viewport)
    px, (width, height) = projection.pixels, scene.viewport
    ok = projection.visible & (px[:, 0] > margin) & (px[:, 0] < width - margin) \
        & (px[:, 1] > margin) & (px[:, 1] < height - margin)
    for panel in (scene.output_panel, scene.walk_tools.walk_panel, scene.neighbours.panel):
        x, y, w, h = panel.rect
        if panel is scene.neighbours.panel:  # it grows once it lists a point's neighbours
            w, h = max(w, 340), max(h, 320)
        ok &= ~((px[:, 0] > x - margin) & (px[:, 0] < x + w + margin) & (px[:, 1] > y - margin) & (px[:, 1] < y + h + margin))
    if label is not None:
        ok &= scene.bundle.labels == label
    if among is not None:
        ok &= np.isin(np.arange(len(ok)), among)
    for index in avoid:
        ok &= np.hypot(px[:, 0] - px[index, 0], px[:, 1] - px[index, 1]) > 40
    candidates = np.flatnonzero(ok)
    assert len(candidates), "no point clear of the panels"
    index = int(candidates[np.argmin(projection.depth[candidates])])
    return index, (int(px[index, 0]), int(px[index, 1]))


def click_at(pos):
    """Script steps: move there, rest, press, release."""
    post_motion(pos)
    yield 0.3
    press(pos)
    yield 0.1
    release(pos)


def press(pos) -> None:
    post_button(pygame.MOUSEBUTTONDOWN, pos)


def release(pos) -> None:
    post_button(pygame.MOUSEBUTTONUP, pos)


def key(code) -> None:
    for kind in (pygame.KEYDOWN, pygame.KEYUP):
        pygame.event.post(pygame.event.Event(kind, key=code, mod=0, unicode="", scancode=0))


def walk_image(scene) -> np.ndarray:
    """The walk's image where Output's was decoded, as the decoder makes it."""
    return decoded(scene, scene.state.walk.path.curve.at(scene.walk_tools.walk_panel.image_t))


def shows(app, scene, expected, other) -> bool:
    """The Output image on screen is `expected`, and clearly not `other`."""
    pixels = output_pixels(app, scene)
    return np.abs(pixels - expected).mean() < 3 and np.abs(pixels - other).mean() > 15


def caption(scene) -> str:
    return scene.output_panel.caption_shown


def with_a_walk(app, scene, points=(1, 2)) -> None:
    for index in points:
        scene.submit(c.AddControlPoint(index=index))
    assert frames_until(app, lambda: scene.walk_tools.walk_panel.rect[2] > 0 and scene.neighbours.index is not None)
    frames(app, 3)


def test_scrubbing_or_playing_the_walk_takes_the_output_from_a_selection(gl_app, bundles):
    app, scene = open_explorer(gl_app, bundles["big"], SIZE, panels=True, data_dir=None)
    arrange(scene)
    with_a_walk(app, scene)
    walk = scene.walk_tools.walk_panel
    selected, pixel = clear_point(scene, label=3)
    selected_image = decoded(scene, scene.bundle.latents[selected])

    def script():
        yield from click_at(pixel)
        yield until(lambda: caption(scene) == f"#{selected}  class c3  (selected)", "the click's selection")
        yield until(lambda: shows(app, scene, selected_image, walk_image(scene)), "the selected image")
        (x0, y0), (x1, y1) = walk.item_rects["t"]
        slider = (int(x0 + 7 + 0.7 * (x1 - x0 - 14)), int((y0 + y1) / 2))
        post_motion(slider)
        yield 0.2
        press(slider)  # scrub: press on the slider, drag a little, let go
        yield 0.1
        post_motion((slider[0] + 12, slider[1]), buttons=(1, 0, 0))
        yield 0.1
        release((slider[0] + 12, slider[1]))
        yield until(lambda: caption(scene) == walk_caption(scene.state.walk.path.traversal.t), "the walk at the scrubbed t")
        assert scene.state.walk.t == pytest.approx(0.72, abs=0.05) and scene.state.selection.index == selected
        yield until(lambda: shows(app, scene, walk_image(scene), selected_image), "the walk's image")

        yield from click_at(pixel)  # select the same point again: it takes the image back
        yield until(lambda: caption(scene) == f"#{selected}  class c3  (selected)", "the selection again")
        play = item_center(walk.item_rects, "play")
        post_motion(play)
        yield 0.2
        press(play)
        yield 0.1
        release(play)
        yield until(lambda: scene.state.walk.playing and caption(scene).startswith("walk  t = "), "the walk playing")
        yield 0.5
        assert caption(scene).startswith("walk  t = ") and scene.output_images.shown_owner == "walk"
        press(play)  # pause: the image at the position where it stopped
        yield 0.1
        release(play)
        yield until(lambda: not scene.state.walk.playing and caption(scene) == walk_caption(walk.image_t)
                    and walk.image_t == scene.state.walk.t, "the paused walk")
        yield until(lambda: shows(app, scene, walk_image(scene), selected_image), "the paused walk's image")

    run_as_person(app, script())


def test_a_hover_takes_the_output_and_gives_it_back_to_what_came_before(gl_app, bundles):
    app, scene = open_explorer(gl_app, bundles["big"], SIZE, panels=True, data_dir=None)
    arrange(scene)
    with_a_walk(app, scene)
    walk, tools = scene.walk_tools.walk_panel, scene.neighbours
    selected, pixel = clear_point(scene, label=3)
    hovered, elsewhere = clear_point(scene, label=0, avoid=(selected,))
    hovered_image = decoded(scene, scene.bundle.latents[hovered])

    def script():
        yield from click_at(pixel)
        yield until(lambda: caption(scene) == f"#{selected}  class c3  (selected)", "the click's selection")
        assert tools.caption == f"#{selected} (selected)"
        key(pygame.K_SPACE)  # play, the hand resting on the mouse over the selected point
        yield 0.4
        post_motion((pixel[0] + 2, pixel[1] + 1))  # and it twitches: still the walk
        yield 0.3
        key(pygame.K_SPACE)
        yield until(lambda: not scene.state.walk.playing and caption(scene) == walk_caption(walk.image_t)
                    and walk.image_t == scene.state.walk.t, "the paused walk")
        assert scene.state.pointer.hovered is not None  # a point under the resting hand, and still the walk shows
        assert tools.caption == walk_caption(walk.image_t)  # Neighbours follows the same rule
        post_motion(elsewhere)
        yield until(lambda: caption(scene) == f"#{hovered}  class c0  (hovered)", "the hovered point")
        yield until(lambda: shows(app, scene, hovered_image, walk_image(scene)), "the hovered point's image")
        assert tools.caption == f"#{hovered} (hovered)"
        post_motion(empty_pixel(scene))  # the hover ends: back to the walk, not to the older selection
        yield until(lambda: caption(scene) == walk_caption(walk.image_t), "the walk after the hover")
        yield until(lambda: shows(app, scene, walk_image(scene), hovered_image), "the walk's image after the hover")
        assert scene.state.selection.index == selected and tools.caption == walk_caption(walk.image_t)

    run_as_person(app, script())


def test_a_hover_that_ends_over_empty_space_says_the_image_is_the_last_hovered(gl_app, bundles):
    app, scene = open_explorer(gl_app, bundles["big"], SIZE, panels=True, data_dir=None)
    arrange(scene)
    hovered, pixel = clear_point(scene, label=0)
    hovered_image = decoded(scene, scene.bundle.latents[hovered])

    def script():
        yield 0.3
        post_motion(pixel)
        yield until(lambda: caption(scene) == f"#{hovered}  class c0  (hovered)", "the hovered point")
        post_motion(empty_pixel(scene))  # nothing selected, no walk: the image stays, the caption says so
        yield until(lambda: scene.state.pointer.hovered is None, "the hover's end")
        yield 1.0
        assert caption(scene) == f"#{hovered}  class c0  (last hovered)"
        assert scene.neighbours.caption == f"#{hovered} (last hovered)"
        assert shows(app, scene, hovered_image, np.zeros_like(hovered_image))

    run_as_person(app, script())


class DecodeGate:
    """Holds every decode until opened, as a first decode waits on torch's import on a slow machine."""

    def __init__(self, monkeypatch) -> None:
        import threading

        import latentwalk.scenes.explorer.model.decoding as decoding

        self.opened = threading.Event()
        real = decoding.decode_batch
        monkeypatch.setattr(decoding, "decode_batch",
                            lambda decoder, latents: (self.opened.wait(20.0), real(decoder, latents))[1])


def test_after_a_model_switch_nothing_of_the_old_model_is_left(gl_app, bundles, tmp_path, monkeypatch):
    gate = DecodeGate(monkeypatch)
    app, scene = open_explorer(gl_app, bundles["big"], SIZE, panels=True, data_dir=None)
    arrange(scene)
    with_a_walk(app, scene, points=(5, 30))  # both indices exist in the small model too
    tools, strip, drawing = scene.neighbours, scene.walk_tools.walk_panel.filmstrip, scene.drawing
    hovered, pixel = clear_point(scene, among=np.arange(60, 400))
    digit = np.full((28, 28), 250, np.uint8)
    digit[5:23, 12:16] = 10
    Image.fromarray(digit).save(tmp_path / "one.png")
    marker = np.round(np.array(MARKER_COLOR[:3]) * 255)

    def marker_pixels() -> int:
        return int((np.abs(app.capture(include_ui=False).astype(int) - marker).max(axis=-1) <= 3).sum())

    def script():
        pygame.event.post(pygame.event.Event(pygame.DROPFILE, file=str(tmp_path / "one.png"), window=None))
        yield until(lambda: drawing.latent is not None and scene.state.selection.source == "draw", "the drawing's point")
        yield 0.1
        assert marker_pixels() > 20
        post_motion(pixel)
        yield until(lambda: tools.caption == f"#{hovered} (hovered)", "the hovered point's neighbours")
        post_motion(empty_pixel(scene))
        yield 0.2
        go_to = item_center(scene.output_panel.item_rects, "go to")
        post_motion(go_to)
        yield 0.1
        press(go_to)
        yield 0.1
        release(go_to)
        yield 0.1
        for char in "350":
            post_key(pygame.KEYDOWN, ord(char), unicode=char)
            yield 0.05
        post_key(pygame.KEYDOWN, pygame.K_RETURN)
        yield until(lambda: scene.state.selection.index == 350 and caption(scene).startswith("#350  class c2  (selected)")
                    and "decoding" in caption(scene), "the selection, decoding")
        yield until(lambda: tools.caption == "#350 (selected)" and len(tools.indices), "its neighbours")

        post_motion(pixel)  # hovering an old point (its image on its way) while the switch lands
        yield until(lambda: caption(scene) == f"#{hovered}  class c{hovered % 4}  (hovered)  (decoding...)",
                    "the hovered point, decoding")
        pygame.event.post(pygame.event.Event(pygame.DROPFILE, file=str(bundles["small"]), window=None))
        yield until(lambda: scene.bundle.path == bundles["small"], "the small model")
        yield 0.3
        assert no_old_index(caption(scene)) and no_old_index(tools.caption), (caption(scene), tools.caption)
        gate.opened.set()
        yield 1.0
        assert len(scene.bundle.latents) == 60
        assert no_old_index(caption(scene)) and no_old_index(tools.caption), (caption(scene), tools.caption)
        assert scene.state.pointer.hovered is None or scene.state.pointer.hovered < 60
        assert scene.state.selection.index is None and scene.state.selection.latent is None
        assert tools.subject in (None, ("point", scene.state.pointer.hovered)) and all(i < 60 for i in tools.indices)
        assert len(scene.state.walk.path) == 0 and not scene.state.walk.playing and not strip.keys
        assert scene.walk_tools.walk_panel.image.image is None
        assert drawing.latent is None and marker_pixels() == 0
        assert scene.output_panel.go_to_text == "" and scene.last_refusal is None
        post_motion(empty_pixel(scene))
        yield until(lambda: caption(scene) == "hover a point to decode it" and tools.caption == "", "nothing shown")
        index, spot = clear_point(scene)
        post_motion(spot)  # the new model answers as usual
        yield until(lambda: caption(scene) == f"#{index}  class c{index % 3}  (hovered)", "a point of the new model")
        assert tools.caption == f"#{index} (hovered)"

    run_as_person(app, script())


def no_old_index(text: str) -> bool:
    """No "#N" in `text` names a point the 60-point model does not have."""
    import re

    return all(int(n) < 60 for n in re.findall(r"#(\d+)", text))
