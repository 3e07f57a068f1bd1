"""Panel "Path": the control points as a list (reorder, delete, clear, jump the camera), the curve's kind
and closure, adding the hovered point or a typed latent coordinate.

The panel talks to the scene through what it is given, nothing else: the `WalkPath`, a function that
says which data-set point is hovered, a function that moves the camera to a latent vector, and one
that describes a data-set point (its class). Adding the hovered point also works from the 3-d view:
`handle_action` takes the "add_hovered_point" key (C or Insert, see `bind_keys`) and Shift+click.
"""
from __future__ import annotations

from typing import Callable

import numpy as np
import pygame
from imgui_bundle import imgui

from latentwalk.engine.input import CLICK, Action, Bindings
from latentwalk.errors import SceneError
from latentwalk.explorer.panels import ItemRects, error_line, item_center, remember_item, window_rect  # noqa: F401
from latentwalk.explorer.curve import KINDS
from latentwalk.explorer.panels.layout import begin_panel
from latentwalk.explorer.path import WalkPath, parse_coordinates

ADD_HOVERED = "add_hovered_point"
ADD_KEYS = (pygame.K_c, pygame.K_INSERT)
MAX_SHOWN_COORDS = 4
SMALL_DISPLAY_PX = 600
WIDTH_PX = 320.0

def bind_keys(bindings: Bindings) -> None:
    for key in ADD_KEYS:
        bindings.bind_key(key, ADD_HOVERED)


class PathPanel:
    title = "Path"

    def __init__(self, path: WalkPath, *, hovered_index: Callable[[], int | None],
                 jump_to: Callable[[np.ndarray], None], describe: Callable[[int], str] | None = None) -> None:
        self.path = path
        self.hovered_index = hovered_index
        self.jump_to = jump_to
        self.describe = describe or (lambda index: f"#{index}")
        self.coords_text = ""
        self.message: str | None = None  # the last refusal, shown in red until the next success
        self.visible = True
        self.item_rects: ItemRects = {}
        self.rect = (0.0, 0.0, 0.0, 0.0)
        self.place: tuple[float, float] | None = None  # pins the window (tests aim at its widgets)
        self.layout = None  # a PanelLayout places it, when the scene has one

    # -- actions from the 3-d view ---------------------------------------------------------------
    def handle_action(self, action: Action) -> bool:
        """Add the hovered point on its key or on Shift+click; True when the action was used."""
        shift_click = action.name == CLICK and action.button == 1 and action.mods & pygame.KMOD_SHIFT
        if action.name == ADD_HOVERED or shift_click:
            self.add_hovered()
            return True
        return False

    def add_hovered(self) -> bool:
        index = self.hovered_index()
        if index is None:
            self.message = "no point under the cursor to add"
            return False
        return self._attempt(lambda: self.path.add_index(int(index)))

    def add_typed(self) -> bool:
        def add():
            self.path.add_coords(parse_coordinates(self.coords_text, self.path.dim))
            self.coords_text = ""
        return self._attempt(add)

    def _attempt(self, edit: Callable[[], object]) -> bool:
        try:
            edit()
        except SceneError as exc:
            self.message = str(exc)
            return False
        self.message = None
        return True

    def label(self, position: int) -> str:
        point = self.path.points[position]
        if point.index is not None:
            return f"{position + 1}. {self.describe(point.index)}"
        shown = ", ".join(f"{c:.3g}" for c in point.coords[:MAX_SHOWN_COORDS])
        more = ", ..." if len(point.coords) > MAX_SHOWN_COORDS else ""
        return f"{position + 1}. ({shown}{more})"

    # -- the panel -------------------------------------------------------------------------------
    def build(self) -> None:
        if not self.visible:
            return
        if self.place is None and imgui.get_io().display_size.y < SMALL_DISPLAY_PX:
            imgui.set_next_window_collapsed(True, imgui.Cond_.first_use_ever)  # keep a small window's cloud in view
        expanded, self.visible = begin_panel(self, self.visible, width=WIDTH_PX)
        self.rect = window_rect()
        if expanded:
            self._settings()
            imgui.separator()
            self._adders()
            imgui.separator()
            self._list()
            if self.message:
                error_line(self.message)
        imgui.end()

    def _settings(self) -> None:
        imgui.set_next_item_width(120)
        changed, kind = imgui.combo("curve", KINDS.index(self.path.kind), list(KINDS))
        remember_item(self.item_rects, "kind")
        if changed:
            self.path.kind = KINDS[kind]
        imgui.same_line()
        changed, closed = imgui.checkbox("closed", self.path.closed)
        remember_item(self.item_rects, "closed")
        if changed:
            self.path.closed = closed

    def _adders(self) -> None:
        hovered = self.hovered_index()
        imgui.begin_disabled(hovered is None)
        if imgui.button("Add hovered (C, Shift+click)"):
            self.add_hovered()
        imgui.end_disabled()
        remember_item(self.item_rects, "add_hovered")
        imgui.set_next_item_width(-60)
        entered, self.coords_text = imgui.input_text(
            "##coords", self.coords_text, imgui.InputTextFlags_.enter_returns_true)
        remember_item(self.item_rects, "coords")
        if imgui.is_item_hovered():
            imgui.set_tooltip(f"{self.path.dim} numbers, separated by commas or spaces")
        imgui.same_line()
        if imgui.button("Add") or entered:
            self.add_typed()
        remember_item(self.item_rects, "add_typed")

    def _list(self) -> None:
        count = len(self.path)
        imgui.text(f"{count} control point{'s' if count != 1 else ''}")
        imgui.same_line()
        imgui.begin_disabled(count == 0)
        if imgui.small_button("Clear"):
            self.path.clear()
        remember_item(self.item_rects, "clear")
        imgui.end_disabled()
        for position in range(count):
            if position >= len(self.path):  # an edit earlier in this loop shortened the list
                break
            imgui.push_id(position)
            self._row(position)
            imgui.pop_id()

    def _row(self, position: int) -> None:
        last = len(self.path) - 1
        for name, enabled, edit in (("^", position > 0, lambda: self.path.move_up(position)),
                                    ("v", position < last, lambda: self.path.move_down(position)),
                                    ("x", True, lambda: self.path.remove(position))):
            imgui.begin_disabled(not enabled)
            if imgui.small_button(name):
                edit()
            imgui.end_disabled()
            remember_item(self.item_rects, f"{name}{position}")
            imgui.same_line()
        if position >= len(self.path):  # just deleted (the last row): nothing left to show on this row
            imgui.new_line()
            return
        if imgui.small_button("go"):
            self.jump_to(self.path.latent_of(self.path.points[position]))
        remember_item(self.item_rects, f"go{position}")
        if imgui.is_item_hovered():
            imgui.set_tooltip("centre the camera on this point")
        imgui.same_line()
        imgui.text(self.label(position))
