"""Where the explorer's panels sit: anchored to the window's edges and placed again every frame, so they
follow a resize, and each no taller than leaves room for its neighbours, so none overlaps another.

    +----------+                                   +----------+
    | Classes  |                                   |  Output  |
    | Model    |                                   |  Path    |
    |          |                                   |  Session |
    |     +---------------- Walk -------------------------+   |
    +---------------------------------------------------------+

- Left column, from the top-left corner down: Classes, Model. Right column, from the top-right corner
  down: Output, Path, Session. A panel starts below the one above it (as drawn this frame). When a
  column is short of room, its long list gives way (Classes, Path: FLEXIBLE), down to a few rows, and
  scrolls; the others keep the height their content wants (as of last frame) while there is room.
- Walk: a strip centred on the bottom edge, at most WALK_MAX_WIDTH wide and as tall as its content.
  While it is shown both columns end above it, so nothing overlaps and the cloud's centre stays free.
- Stats (F3): top centre, over the cloud (an overlay one turns on to look at).
- Every panel is auto-sized (ImGui's always_auto_resize), so what imgui.ini remembers of a size does
  not matter, and positions are set every frame, so neither does a remembered position.
- A panel the user drags stays where it was dropped until the window's size changes; then every panel
  goes back to its place.

Panels call `begin_panel` instead of imgui.begin; the layout records each window's rect right after its
begin (`rect(title)`), which the panels below it, the next frame and the tests read. A scene has one
layout, `scene.panel_layout`, made by the first panel that asks for it (`layout_of`); it also asks the
scene to keep drawing while panels settle into place (`redraw_checks`, when the scene has them).
"""
from __future__ import annotations

from dataclasses import dataclass

from imgui_bundle import imgui

MARGIN = 10.0  # from the window's edges
GAP = 6.0  # between panels
WALK_MAX_WIDTH = 760.0
LEFT = ("Classes", "Model")
RIGHT = ("Output", "Path", "Session")
BOTTOM = "Walk"
TOP = "Stats"
FLEXIBLE = ("Classes", "Path")
FLEXIBLE_MIN_PX = 120.0  # what a flexible panel keeps when the others in its column want the rest

Rect = tuple[float, float, float, float]  # x, y, width, height in window pixels


@dataclass
class _Drawn:
    rect: Rect
    frame: int
    wanted: float  # the height its content asks for (its rect's when nothing limits it)


class PanelLayout:
    def __init__(self) -> None:
        self._drawn: dict[str, _Drawn] = {}
        self.moved: set[str] = set()  # dragged by the user: left where dropped until a resize
        self._display: tuple[float, float] | None = None
        self._changed_frame = -1

    # -- what was drawn --------------------------------------------------------------------------
    def rect(self, title: str) -> Rect | None:
        """The window's rect if it was drawn this frame or the last one (else it is not on screen)."""
        drawn = self._drawn.get(title)
        if drawn is None or drawn.frame < imgui.get_frame_count() - 1:
            return None
        return drawn.rect

    def shown_rects(self) -> dict[str, Rect]:
        """Every panel on screen, by title."""
        return {title: rect for title in self._drawn if (rect := self.rect(title)) is not None}

    def settling(self) -> bool:
        """True when a panel's rect changed in the last frame drawn: the ones placed relative to it
        move on the next frame, so an idle window should draw one more."""
        return self._changed_frame >= imgui.get_frame_count()

    # -- placing ---------------------------------------------------------------------------------
    def begin(self, title: str, p_open: bool | None = None, flags: int = 0, *,
              width: float | None = None, min_width: float = 0.0) -> tuple[bool, bool | None]:
        """imgui.begin for a panel of this layout: placed, size-limited, auto-sized, then recorded.
        `width` fixes the width (else the content decides, at least `min_width`)."""
        display = imgui.get_io().display_size
        display = (float(display.x), float(display.y))
        if display != self._display:
            self._display = display
            self.moved.clear()
        placed = None if title in self.moved else self._place(title, display)
        if placed is not None:
            pos, pivot, max_height = placed
            if title == BOTTOM:
                width = min(display[0] - 2 * MARGIN, WALK_MAX_WIDTH)
            low = (width or min_width, 0.0)
            high = (width or imgui.FLT_MAX, max(max_height, imgui.get_frame_height()))
            imgui.set_next_window_pos(imgui.ImVec2(*pos), imgui.Cond_.always, imgui.ImVec2(*pivot))
            imgui.set_next_window_size_constraints(imgui.ImVec2(*low), imgui.ImVec2(*high))
        result = imgui.begin(title, p_open, flags | imgui.WindowFlags_.always_auto_resize)
        self._record(title)
        return result

    def _place(self, title: str, display: tuple[float, float]):
        """(anchor point, pivot, most height) for a panel, or None for a panel the layout does not know."""
        w, h = display
        walk = self.rect(BOTTOM)
        bottom = h - MARGIN if walk is None or title == BOTTOM else walk[1] - GAP
        for column, x, pivot_x in ((LEFT, MARGIN, 0.0), (RIGHT, w - MARGIN, 1.0)):
            if title in column:
                position = column.index(title)
                top = MARGIN
                for above in column[:position]:
                    rect = self.rect(above)
                    if rect is not None:
                        top = rect[1] + rect[3] + GAP
                below = sum(self._reserve(name) + GAP for name in column[position + 1:] if self.rect(name))
                return (x, top), (pivot_x, 0.0), bottom - top - below
        if title == BOTTOM:
            return (w / 2, h - MARGIN), (0.5, 1.0), h - 2 * MARGIN
        if title == TOP:
            return (w / 2, MARGIN), (0.5, 0.0), h - 2 * MARGIN
        return None

    def _reserve(self, title: str) -> float:
        """Room kept for a panel lower in the column."""
        wanted = self._drawn[title].wanted
        return min(wanted, FLEXIBLE_MIN_PX) if title in FLEXIBLE else wanted

    def _record(self, title: str) -> None:
        pos, size = imgui.get_window_pos(), imgui.get_window_size()
        rect = (float(pos.x), float(pos.y), float(size.x), float(size.y))
        frame = imgui.get_frame_count()
        previous = self._drawn.get(title)
        if previous is None or previous.rect != rect:
            self._changed_frame = frame
        window = imgui.internal.get_current_window()
        wanted = rect[3] if window.collapsed else \
            window.title_bar_height + window.content_size_ideal.y + 2 * window.window_padding.y
        self._drawn[title] = _Drawn(rect, frame, float(wanted))
        moving = imgui.get_current_context().moving_window
        if moving is not None and imgui.is_mouse_dragging(imgui.MouseButton_.left):
            if moving.root_window.id_ == window.id_:
                self.moved.add(title)


def layout_of(scene) -> PanelLayout:
    """The scene's PanelLayout, made on first use."""
    layout = getattr(scene, "panel_layout", None)
    if layout is None:
        layout = scene.panel_layout = PanelLayout()
        checks = getattr(scene, "redraw_checks", None)
        if checks is not None:
            checks.append(layout.settling)
    return layout


def begin_panel(panel, p_open: bool | None = None, flags: int = 0, *, width: float | None = None,
                min_width: float = 0.0) -> tuple[bool, bool | None]:
    """imgui.begin for `panel` (its `title`): pinned at `panel.place` when that is set (tests aim at its
    widgets), else placed by `panel.layout` when it has one, else where ImGui puts it."""
    place = getattr(panel, "place", None)
    layout = getattr(panel, "layout", None)
    if place is not None:
        imgui.set_next_window_pos(imgui.ImVec2(*place), imgui.Cond_.always)
        imgui.set_next_window_collapsed(False, imgui.Cond_.always)
    elif layout is not None:
        return layout.begin(panel.title, p_open, flags, width=width, min_width=min_width)
    if width is not None:
        imgui.set_next_window_size_constraints(imgui.ImVec2(width, 0), imgui.ImVec2(width, imgui.FLT_MAX))
    return imgui.begin(panel.title, p_open, flags | imgui.WindowFlags_.always_auto_resize)
