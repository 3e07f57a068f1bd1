"""Panel "Walk": steps, the position slider, play / pause / mode / speed, the image at the position, and the
filmstrip of every step.

Decoding goes through the scene's decoder service (scenes/explorer/model/decoding.py), duck-typed: anything
with `request_latent(latent, channel, latest_only=...) -> key` and `subscribe(channel, listener)`,
whose listeners receive results with `key`, `value` (an image) and `error`.
- The image at the position goes on the latest-only WALK_CHANNEL: while playing, only the newest matters.
- The filmstrip goes on FILMSTRIP_CHANNEL, which keeps every request. It is asked for in chunks of at
  most FILMSTRIP_IN_FLIGHT outstanding images, so a filmstrip never queues a hundred images ahead of
  the hover image, and a path edited mid-way leaves at most one chunk of stale work behind.
- Thumbnails live in one atlas texture (a grid of cells), so the strip is one texture however long.
Playback itself is not here: the scene calls `WalkPath.update(dt)` in its fixed step. Every change the
widgets ask for is a command given to `submit` (scenes/explorer/core/commands.py).
"""
from __future__ import annotations

import math
from typing import Callable, Hashable

import numpy as np
from imgui_bundle import imgui

from latentwalk.engine.gl import Texture2D
from latentwalk.scenes.explorer.core.commands import PlayWalk, SetWalkMode, SetWalkSpeed, SetWalkSteps, SetWalkT
from latentwalk.scenes.explorer.model.decoding import ImageSlot, texture_pixels, upload_image
from latentwalk.scenes.explorer.panels import error_line, remember_item, window_rect
from latentwalk.scenes.explorer.panels.layout import begin_panel
from latentwalk.scenes.explorer.walk.path import WalkPath
from latentwalk.scenes.explorer.walk.traversal import MAX_SPEED, MAX_STEPS, MIN_STEPS, MODES

WALK_CHANNEL = "walk"
FILMSTRIP_CHANNEL = "filmstrip"
FILMSTRIP_IN_FLIGHT = 16
ATLAS_COLUMNS = 16
THUMB_PX = 40.0
CURRENT_FRAME_COLOR = (1.0, 0.55, 0.10, 1.0)
WIDTH_PX = 420.0  # pinned or on its own; the explorer's layout makes it a strip along the bottom


class Filmstrip:
    """Which steps are decoded, requested or missing, and their pixels in an atlas texture."""

    def __init__(self, decoder, *, in_flight: int = FILMSTRIP_IN_FLIGHT) -> None:
        self.decoder = decoder
        self.in_flight = in_flight
        self.keys: list[Hashable] = []
        self.ready = np.zeros(0, bool)
        self.error: str | None = None
        self.atlas: Texture2D | None = None
        self.cell: tuple[int, int] | None = None  # (height, width) of one image
        self._steps_of_key: dict[Hashable, list[int]] = {}
        self._latents = np.zeros((0, 0), np.float32)
        self._next = 0  # the next step to request
        self._outstanding: set[Hashable] = set()
        self._synced: int | None = None
        decoder.subscribe(FILMSTRIP_CHANNEL, self.receive)

    def sync(self, path: WalkPath) -> None:
        """A changed path starts the strip afresh; then request up to the in-flight limit."""
        if self._synced != path.version:
            self._synced = path.version
            latents = path.step_latents()
            self._latents = np.zeros((0, path.dim), np.float32) if latents is None else latents.astype(np.float32)
            self.keys = [("z", np.ascontiguousarray(z).tobytes()) for z in self._latents]
            self._steps_of_key = {}
            for step, key in enumerate(self.keys):
                self._steps_of_key.setdefault(key, []).append(step)
            self.ready = np.zeros(len(self.keys), bool)
            self._next = 0
            self._outstanding.clear()  # stale answers still arrive, and find no step to fill
            self.error = None
        while self._next < len(self.keys) and len(self._outstanding) < self.in_flight:
            key = self.decoder.request_latent(self._latents[self._next], FILMSTRIP_CHANNEL)
            if not self.ready[self._steps_of_key[key]].all():
                self._outstanding.add(key)
            self._next += 1

    def synced_with(self, path: WalkPath) -> bool:
        return self._synced == path.version

    @property
    def requests_left(self) -> bool:
        """Steps not asked for yet (sync asks for the next chunk as the previous one comes back)."""
        return self._next < len(self.keys)

    def receive(self, result) -> None:
        self._outstanding.discard(result.key)
        steps = self._steps_of_key.get(result.key)
        if steps is None:
            return
        if result.error is not None:
            self.error = result.error
            return
        pixels = texture_pixels(result.value)
        for step in steps:
            self._put(step, pixels)
            self.ready[step] = True

    @property
    def complete(self) -> bool:
        return bool(len(self.ready)) and bool(self.ready.all())

    def _put(self, step: int, pixels: np.ndarray) -> None:
        height, width = pixels.shape[:2]
        rows = math.ceil(max(1, len(self.keys)) / ATLAS_COLUMNS)
        size = (ATLAS_COLUMNS * width, rows * height)
        # Only a new path (new steps, another model) changes the size, and then nothing is ready yet.
        row, column = divmod(step, ATLAS_COLUMNS)
        self.atlas = upload_image(self.atlas, pixels, at=(column * width, row * height), size=size)
        self.cell = (height, width)

    def uv(self, step: int) -> tuple[tuple[float, float], tuple[float, float]]:
        """Texture coordinates (uv0, uv1) of one step's cell."""
        height, width = self.cell
        row, column = divmod(step, ATLAS_COLUMNS)
        w, h = self.atlas.width, self.atlas.height
        return (column * width / w, row * height / h), ((column + 1) * width / w, (row + 1) * height / h)

    def release(self) -> None:
        if self.atlas is not None:
            self.atlas.release()
            self.atlas = None


class TraversalPanel:
    title = "Walk"

    def __init__(self, path: WalkPath, decoder, submit: Callable[[object], None], *,
                 on_image: Callable[[ImageSlot], None] | None = None) -> None:
        self.path = path
        self.decoder = decoder
        self.submit = submit
        self.filmstrip = Filmstrip(decoder)
        self.image = ImageSlot()  # the decoded image at the position
        self.image_t: float | None = None  # the position that image was decoded at
        self.on_image = on_image  # e.g. the Output panel showing it; called when a new image arrives
        self.visible = True
        self.show_preview = True
        self.hide_when_empty = False  # the explorer keeps its view clear until there is a walk
        self.message: str | None = None
        self.item_rects = {}
        self.rect = (0.0, 0.0, 0.0, 0.0)
        self.place: tuple[float, float] | None = None  # pins the window (tests aim at its widgets)
        self.layout = None  # a PanelLayout places it, when the scene has one
        self.on_record: Callable[[], None] | None = None  # the Record button's action, shown when set
        self._wanted: Hashable | None = None
        self._wanted_t: float | None = None
        self._answered: Hashable | None = None  # the last request answered (image or error)
        self._scrolled_to: int | None = None
        decoder.subscribe(WALK_CHANNEL, self._receive_image)

    # -- once a frame, in the prepare phase ------------------------------------------------------
    def sync(self) -> None:
        """Ask for the image at the position when it changed, and for the next filmstrip chunk."""
        latent = self.path.current_latent()
        if latent is None:
            self._wanted = None
            self.image.clear()
            self.image_t = None
        else:
            key = ("z", np.ascontiguousarray(latent, dtype=np.float32).reshape(-1).tobytes())
            if key != self._wanted:
                self._wanted = self.decoder.request_latent(latent, WALK_CHANNEL, latest_only=True)
                self._wanted_t = self.path.traversal.t
        self.filmstrip.sync(self.path)

    @property
    def pending(self) -> bool:
        """The image at the position is asked for and has not come back yet."""
        return self._wanted is not None and self._answered != self._wanted

    def _receive_image(self, result) -> None:
        if result.key != self._wanted:
            return
        self._answered = result.key
        if result.error is not None:
            self.message = f"decoding failed: {result.error}"
            return
        self.message = None
        self.image.show(result.value)
        self.image_t = self._wanted_t
        if self.on_image is not None:
            self.on_image(self.image)

    # -- the panel -------------------------------------------------------------------------------
    def build(self) -> None:
        if not self.visible or (self.hide_when_empty and self.path.curve is None):
            return
        expanded, self.visible = begin_panel(self, self.visible, width=WIDTH_PX)
        self.rect = window_rect()
        if expanded:
            self._controls()
            self._strip()
            if self.show_preview and self.image.texture_id is not None:
                imgui.image(imgui.ImTextureRef(self.image.texture_id), imgui.ImVec2(84, 84))
                remember_item(self.item_rects, "preview")
            error = self.message or self.filmstrip.error
            if error:
                error_line(error)
        imgui.end()

    def _controls(self) -> None:
        """A row of play, mode, speed and steps; then the position and step in words, and its slider."""
        traversal, strip = self.path.traversal, self.filmstrip
        if imgui.button("Pause" if traversal.playing else "Play", imgui.ImVec2(60, 0)):
            self.submit(PlayWalk(None))
        remember_item(self.item_rects, "play")
        imgui.same_line()
        imgui.set_next_item_width(90)
        changed, mode = imgui.combo("##mode", MODES.index(traversal.mode), list(MODES))
        remember_item(self.item_rects, "mode")
        if changed:
            self.submit(SetWalkMode(MODES[mode]))
        imgui.same_line()
        imgui.set_next_item_width(100)
        # a drag field, not a slider: a slider's handle sits on its own value text
        changed, speed = imgui.drag_float("##speed", traversal.speed, 0.005, 0.0, MAX_SPEED, "speed %.2f /s")
        remember_item(self.item_rects, "speed")
        if imgui.is_item_hovered():
            imgui.set_tooltip("walk speed, in walks per second: drag, or double-click to type")
        if changed:
            self.submit(SetWalkSpeed(min(MAX_SPEED, max(0.0, speed))))
        imgui.same_line()
        imgui.align_text_to_frame_padding()
        imgui.text("steps")
        remember_item(self.item_rects, "steps_label")
        imgui.same_line()
        imgui.set_next_item_width(80)
        changed, steps = imgui.input_int("##steps", self.path.steps)
        remember_item(self.item_rects, "steps")
        if imgui.is_item_hovered():
            imgui.set_tooltip("number of steps (filmstrip frames)")
        if changed:
            self.submit(SetWalkSteps(min(MAX_STEPS, max(MIN_STEPS, steps))))
        # The position exists with or without a curve (Traversal keeps t valid), so this never throws.
        # Its value is written beside the slider, where the slider's handle cannot cover it.
        value = f"t = {traversal.t:.3f}"
        if self.path.curve is not None:
            value += f"   step {traversal.step_index + 1} / {self.path.steps}"
            if not strip.complete:
                value += f"   decoding {int(strip.ready.sum())} / {len(strip.ready)}"
        imgui.text(value)
        remember_item(self.item_rects, "t_value")
        if self.on_record is not None:
            imgui.same_line()
            if imgui.small_button("Record..."):
                self.on_record()
            remember_item(self.item_rects, "record")
        imgui.set_next_item_width(-1)
        changed, t = imgui.slider_float("##t", traversal.t, 0.0, 1.0, "")
        remember_item(self.item_rects, "t")
        if changed:
            self.submit(SetWalkT(t))

    def _strip(self) -> None:
        strip = self.filmstrip
        if self.path.curve is None:
            imgui.text_disabled("Add control points to walk between them.")
            return
        current = self.path.traversal.step_index
        height = THUMB_PX + imgui.get_style().scrollbar_size + 2 * imgui.get_style().window_padding.y
        imgui.begin_child("filmstrip", imgui.ImVec2(0, height), imgui.ChildFlags_.borders,
                          imgui.WindowFlags_.horizontal_scrollbar)
        draw_list = imgui.get_window_draw_list()
        size = imgui.ImVec2(THUMB_PX, THUMB_PX)
        for step in range(len(strip.keys)):
            if step:
                imgui.same_line(0, 2)
            if strip.ready[step] and strip.atlas is not None:
                uv0, uv1 = strip.uv(step)
                imgui.image(imgui.ImTextureRef(strip.atlas.id), size, imgui.ImVec2(*uv0), imgui.ImVec2(*uv1))
            else:
                imgui.dummy(size)
            remember_item(self.item_rects, f"frame{step}")
            if imgui.is_item_clicked():
                self.submit(SetWalkT(self.path.traversal.step_t(step)))
            if step == current:
                low, high = imgui.get_item_rect_min(), imgui.get_item_rect_max()
                draw_list.add_rect(low, high, imgui.get_color_u32(imgui.ImVec4(*CURRENT_FRAME_COLOR)), 0.0, 3.0)
                if self._scrolled_to != current:  # follow playback, but let a person scroll freely
                    imgui.set_scroll_here_x(0.5)
                    self._scrolled_to = current
        imgui.end_child()

    def release(self) -> None:
        self.filmstrip.release()
        self.image.release()
