"""Panel "Path": the control points as a list (reorder, delete, clear, fly the camera there), the curve's
kind and closure, adding the hovered (or selected) point, a typed latent coordinate, or a typed place
x y z of the view (decoded through the layout's inverse map, as the gamepad's cursor and Alt+click are).

The panel reads the `WalkPath` and emits commands (scenes/explorer/core/commands.py) through `submit`;
`hovered_index` says which data-set point is hovered, `describe` names one (its class), `refusal`
gives the last refused command and its reason. The keys that add a point (C, Insert, Shift+click)
are the explorer's (actions.py).
"""
from __future__ import annotations

from typing import Callable

from imgui_bundle import imgui

from latentwalk.scenes.errors import SceneError
from latentwalk.scenes.explorer.core import commands as c
from latentwalk.scenes.explorer.panels import ItemRects, error_line, item_center, remember_item, window_rect  # noqa: F401
from latentwalk.scenes.explorer.walk.curve import KINDS
from latentwalk.scenes.explorer.panels.layout import begin_panel
from latentwalk.scenes.explorer.walk.path import WalkPath, parse_coordinates

MAX_SHOWN_COORDS = 4
WIDTH_PX = 320.0
Refusal = Callable[[], "tuple[object, str | None]"]


class PathPanel:
    title = "Path"

    def __init__(self, path: WalkPath, submit: Callable[[object], None], *, hovered_index: Callable[[], int | None],
                 describe: Callable[[int], str] | None = None, refusal: Refusal = lambda: (None, None)) -> None:
        self.path = path
        self.submit = submit
        self.hovered_index = hovered_index
        self.describe = describe or (lambda index: f"#{index}")
        self.refusal = refusal
        self.coords_text = ""
        self.place_text = ""
        self.typing_error: str | None = None  # typed coordinates that do not parse
        self.visible = True
        self.item_rects: ItemRects = {}
        self.rect = (0.0, 0.0, 0.0, 0.0)
        self.place: tuple[float, float] | None = None  # pins the window (tests aim at its widgets)
        self.layout = None  # a PanelLayout places it, when the scene has one

    @property
    def message(self) -> str | None:
        """What to show in red: a typing error, else why the last path edit was refused."""
        if self.typing_error:
            return self.typing_error
        command, reason = self.refusal()
        return reason if isinstance(command, c.UNDOABLE) else None

    def add_typed(self) -> None:
        coords = self._parsed(self.coords_text, self.path.dim)
        if coords is not None:
            self.coords_text = ""
            self.submit(c.AddControlPoint(latent=coords))

    def add_place(self) -> None:
        place = self._parsed(self.place_text, 3, "typed place", "the view (x y z)")
        if place is not None:
            self.place_text = ""
            self.submit(c.AddControlPoint(place=place))

    def _parsed(self, text: str, dim: int, *words: str) -> tuple[float, ...] | None:
        """The typed numbers, or None with `typing_error` saying why not."""
        try:
            values = parse_coordinates(text, dim, *words)
        except SceneError as exc:
            self.typing_error = str(exc)
            return None
        self.typing_error = None
        return values

    def label(self, position: int, point=None) -> str:
        point = self.path.points[position] if point is None else point
        if point.index is not None:
            return f"{position + 1}. {self.describe(point.index)}"
        shown = ", ".join(f"{c:.3g}" for c in point.coords[:MAX_SHOWN_COORDS])
        more = ", ..." if len(point.coords) > MAX_SHOWN_COORDS else ""
        return f"{position + 1}. ({shown}{more})"

    # -- the panel -------------------------------------------------------------------------------
    def build(self) -> None:
        if not self.visible:
            return
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
            self.submit(c.SetInterpolation(KINDS[kind]))
        imgui.same_line()
        changed, closed = imgui.checkbox("closed", self.path.closed)
        remember_item(self.item_rects, "closed")
        if changed:
            self.submit(c.SetClosed(closed))

    def _adders(self) -> None:
        hovered = self.hovered_index()
        imgui.begin_disabled(hovered is None)
        if imgui.button("Add hovered (C, Shift+click)"):
            self.submit(c.AddControlPoint(index=hovered))
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
        if self.path.dim <= 3:  # the latent is drawn where it is: the typed latent is the place
            return
        imgui.set_next_item_width(-110)
        entered, self.place_text = imgui.input_text_with_hint(
            "##place", "x y z in the view", self.place_text, imgui.InputTextFlags_.enter_returns_true)
        remember_item(self.item_rects, "place")
        if imgui.is_item_hovered():
            imgui.set_tooltip("a place of the view, 3 numbers: the latent it decodes to is added\n"
                              "(Alt+Shift+click in empty space adds the place under the pointer)")
        imgui.same_line()
        if imgui.button("Add place") or entered:
            self.add_place()
        remember_item(self.item_rects, "add_place")

    def _list(self) -> None:
        count = len(self.path)
        imgui.text(f"{count} control point{'s' if count != 1 else ''}")
        imgui.same_line()
        imgui.begin_disabled(count == 0)
        if imgui.small_button("Clear"):
            self.submit(c.ClearPath())
        remember_item(self.item_rects, "clear")
        imgui.end_disabled()
        # compact rows, but with a little padding so no glyph is clipped (a small button has none)
        imgui.push_style_var(imgui.StyleVar_.frame_padding, imgui.ImVec2(imgui.get_style().frame_padding.x, 2))
        # only the rows in view are built (a walk can hold thousands of points), from one copy of the list
        points = self.path.points
        clipper = imgui.ListClipper()
        clipper.begin(count)
        while clipper.step():
            for position in range(clipper.display_start, clipper.display_end):
                imgui.push_id(position)
                self._row(position, points[position], count - 1)
                imgui.pop_id()
        clipper.end()
        imgui.pop_style_var()

    def _row(self, position: int, point, last: int) -> None:
        """Arrows, remove and fly-to buttons, each with a tooltip; `^i`, `vi`, `xi`, `goi` in item_rects."""
        for name, enabled, command, tip in (
                ("^", position > 0, c.MoveControlPoint(position, -1), "move earlier in the walk"),
                ("v", position < last, c.MoveControlPoint(position, +1), "move later in the walk"),
                ("x", True, c.RemoveControlPoint(position), "remove from the path (Ctrl+Z undoes)")):
            imgui.begin_disabled(not enabled)
            if name == "x":
                clicked = imgui.button("\u00d7##remove", imgui.ImVec2(imgui.get_frame_height(), 0))
            else:
                clicked = imgui.arrow_button(f"##{name}", imgui.Dir.up if name == "^" else imgui.Dir.down)
            if clicked:
                self.submit(command)
            imgui.end_disabled()
            remember_item(self.item_rects, f"{name}{position}")
            _tooltip(tip)
            imgui.same_line(0, 2)
        if imgui.button("Fly to"):
            self.submit(c.FlyTo(index=point.index) if point.index is not None else c.FlyTo(latent=point.coords))
        remember_item(self.item_rects, f"go{position}")
        _tooltip("fly the camera to this point")
        imgui.same_line()
        imgui.text(self.label(position, point))


def _tooltip(text: str) -> None:
    if imgui.is_item_hovered(imgui.HoveredFlags_.allow_when_disabled):
        imgui.set_tooltip(text)
