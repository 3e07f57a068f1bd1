"""Where the explorer's panels sit: anchored to the window's edges and placed again every frame, so they
follow a resize, and each no taller than leaves room for its neighbours, so none overlaps another.

    +----------+                                   +----------+
    | ? Help   |                                   |  Output  |
    | Classes  |                                   |  Path    |
    | Search   |                                   |  Session |
    | Model    |                                   |          |
    | Neighbrs |     +--------- Walk ---------+    |          |
    +---------------------------------------------------------+

- Left column, from the top-left corner down: the Help button, Classes, Search, Model, Neighbours, then any
  panel the layout does not name (in the order they first appear). Right column, from the top-right
  corner down: Output, Path, Session. A panel starts below the one above it (as drawn this frame).
- When a column is short of room, its long list gives way first (Classes, Path: FLEXIBLE), down to a
  few rows, and scrolls; if the column still overflows, the lowest open panel but the one the user
  opened last is collapsed to its title bar (an accordion; a column is in order of importance, and its
  first panel, Classes or Output, is never collapsed by it), so every panel keeps at least its title on
  screen, whatever the window size. `first_collapsed` remembers how each panel first appeared.
- Walk: a strip on the bottom edge, as tall as its content. Where the gap between the columns is wide
  enough (WALK_MIN_WIDTH) it is centred in that gap and the columns reach the bottom; otherwise it is
  centred on the window (at most WALK_MAX_WIDTH wide) and both columns end above it.
- Stats (F3): top centre, over the cloud; Help (F1 or the ? button): centred, over everything.
  Overlay lines (the detail hint) go in `free_strip`, the bottom of the gap between the columns.
- A click on a collapsed panel's title opens it (ImGui alone opens one only from its arrow or on a
  double click).
- Every panel is auto-sized (ImGui's always_auto_resize), and a collapsed one, whose title bar keeps
  its last width, is no wider than half the window, so what imgui.ini remembers of a size does not
  matter, and positions are set every frame, so neither does a remembered position.
- A panel the user drags stays where it was dropped until the window's size changes (then every panel
  goes back to its place), but never partly outside the window: a drop past an edge is pulled back in.

Panels call `begin_panel` instead of imgui.begin; the layout records each window's rect right after its
begin (`rect(title)`), which the panels below it, the next frame and the tests read. A scene has one
layout, `scene.panel_layout`, which panels reach through `layout_of`; it asks the App
for frames while panels settle into place (a rect moved, a collapse due, a new window size to judge).
"""
from __future__ import annotations

from dataclasses import dataclass

from imgui_bundle import imgui

MARGIN = 10.0  # from the window's edges
GAP = 6.0  # between panels
WALK_MAX_WIDTH = 760.0
WALK_MIN_WIDTH = 480.0  # narrower than this between the columns, and the walk spans the window
HELP_BUTTON = "##help-button"
LEFT = (HELP_BUTTON, "Classes", "Search", "Model", "Neighbours")
RIGHT = ("Output", "Path", "Session")
BOTTOM = "Walk"
TOP = "Stats"
CENTRE = "Help"
FLEXIBLE = ("Classes", "Path")
SETTLE_FRAMES = 2  # after a resize, frames before the accordion judges (panels still have old sizes)
# A window less tall than this starts with the panels that are not its reason to be folded, so the
# cloud and the Classes legend stay in view; each opens with a click on its name (Search with Ctrl+F).
SMALL_DISPLAY_PX = 600
FOLDED_WHEN_SMALL = ("Path", "Search", "Neighbours")
FLEXIBLE_MIN_PX = 120.0  # what a flexible panel keeps when the others in its column want the rest

Rect = tuple[float, float, float, float]  # x, y, width, height in window pixels


@dataclass
class _Drawn:
    rect: Rect
    frame: int
    wanted: float  # the height its content asks for (its rect's when nothing limits it)
    collapsed: bool = False
    opened: int = 0  # the frame it was last expanded (0: open since it first appeared)


class PanelLayout:
    def __init__(self) -> None:
        self._drawn: dict[str, _Drawn] = {}
        self.moved: set[str] = set()  # dragged by the user: left where dropped until a resize
        self.others: list[str] = []  # panels the layout does not name, in the left column
        self.first_collapsed: dict[str, bool] = {}  # as each panel was first drawn (tests restore it)
        self._collapse: set[str] = set()  # to be collapsed at their next begin (the accordion)
        self._expand: set[str] = set()  # collapsed panels whose title was clicked: opened at their next begin
        self._room: dict[str, tuple[float, int]] = {}  # the most height each panel was given, and when
        self._asked: dict[str, float] = {}  # heights panels whose content scrolls would like (ask_height)
        self._display: tuple[float, float] | None = None
        self._display_frame = 0  # when the window last changed size
        self._changed_frame = -1
        self.frames = None  # the App's FrameRequests, when the scene runs in one

    # -- what was drawn --------------------------------------------------------------------------
    def rect(self, title: str) -> Rect | None:
        """The window's rect if it was drawn this frame or the last one (else it is not on screen)."""
        drawn = self._drawn.get(title)
        if drawn is None or drawn.frame < imgui.get_frame_count() - 1:
            return None
        return drawn.rect

    def shown_rects(self) -> dict[str, Rect]:
        """Every panel on screen, by title (the Help button included)."""
        return {title: rect for title in self._drawn if (rect := self.rect(title)) is not None}

    def settling(self) -> bool:
        """True when a panel's rect changed in the last frame drawn: the ones placed relative to it
        move on the next frame, so an idle window should draw one more."""
        return self._changed_frame >= imgui.get_frame_count() or bool(self._collapse) or bool(self._expand)

    def room(self, title: str) -> float | None:
        """The most height the layout gives `title` (None: it does not place it). A panel whose content
        can scroll sizes its scrolling part to this, so opening it does not push its column over."""
        room = self._room.get(title)
        if room is None or title in self.moved or room[1] != imgui.get_frame_count():
            return None  # not placed by the layout this frame (dragged, or pinned by a test)
        return room[0]

    def open(self, title: str) -> None:
        """Expand `title` at its next begin, as a click on its collapsed title bar does (a key that
        goes to a panel's widget opens the panel first)."""
        self._expand.add(title)
        self._ask(2)

    def ask_height(self, title: str, height: float) -> None:
        """A panel whose content scrolls (and so sizes itself to `room`) says how tall it would like to
        be this frame; the column makes room for that as for any panel's content."""
        self._asked[title] = float(height)

    def free_strip(self) -> tuple[float, float, float]:
        """(left, bottom, width) of the view's bottom edge that no column covers: between the columns
        drawn, above the walk strip where it lies under that gap. An overlay line sits here."""
        display = self._display or (0.0, 0.0)
        left, right = self._gap_edges(display)
        left, right = left + GAP, right - GAP
        bottom = display[1] - MARGIN
        walk = self.rect(BOTTOM)
        if walk is not None and walk[0] < right and walk[0] + walk[2] > left:
            bottom = walk[1] - GAP
        return left, bottom, max(0.0, right - left)

    def _ask(self, frames: int) -> None:
        if self.frames is not None:
            self.frames.request(frames)

    # -- placing ---------------------------------------------------------------------------------
    def begin(self, title: str, p_open: bool | None = None, flags: int = 0, *,
              width: float | None = None, min_width: float = 0.0) -> tuple[bool, bool | None]:
        """imgui.begin for a panel of this layout: placed, size-limited, auto-sized, then recorded.
        `width` fixes the width (else the content decides, at least `min_width`)."""
        display = imgui.get_io().display_size
        display = (float(display.x), float(display.y))
        if display != self._display:
            self._display = display
            self._display_frame = imgui.get_frame_count()
            self.moved.clear()
            self._ask(SETTLE_FRAMES + 1)  # the accordion judges once the old sizes are gone
        if title not in LEFT + RIGHT + (BOTTOM, TOP, CENTRE) and title not in self.others:
            self.others.append(title)
        if title in FOLDED_WHEN_SMALL and display[1] < SMALL_DISPLAY_PX:
            imgui.set_next_window_collapsed(True, imgui.Cond_.first_use_ever)
        if title in self._collapse:
            self._collapse.discard(title)
            imgui.set_next_window_collapsed(True, imgui.Cond_.always)
        elif title in self._expand:
            imgui.set_next_window_collapsed(False, imgui.Cond_.always)
        self._expand.discard(title)
        if title in self.moved:
            self._keep_inside(title, display)
            placed = None
        else:
            placed = self._place(title, display)
        if placed is not None:
            pos, pivot, max_height = placed
            drawn = self._drawn.get(title)
            if title == HELP_BUTTON and drawn is not None:  # one button: squeezed, it would be cut in half
                max_height = max(max_height, drawn.wanted)
            if title in FLEXIBLE and drawn is not None:  # a long list keeps a few rows; the accordion makes room
                max_height = max(max_height, min(FLEXIBLE_MIN_PX, drawn.wanted))
            self._room[title] = (max_height, imgui.get_frame_count())
            if title == BOTTOM:
                width = self._walk_width(display)
            most_wide = imgui.FLT_MAX
            drawn = self._drawn.get(title)
            if title not in (BOTTOM, TOP, CENTRE) and drawn is not None and drawn.collapsed:
                most_wide = (display[0] - 2 * MARGIN - GAP) / 2  # a title bar never across the other column
            low = (min(width or min_width, most_wide), 0.0)
            high = (min(width or imgui.FLT_MAX, most_wide), max(max_height, imgui.get_frame_height()))
            imgui.set_next_window_pos(imgui.ImVec2(*pos), imgui.Cond_.always, imgui.ImVec2(*pivot))
            imgui.set_next_window_size_constraints(imgui.ImVec2(*low), imgui.ImVec2(*high))
        result = imgui.begin(title, p_open, flags | imgui.WindowFlags_.always_auto_resize)
        if title_bar_clicked_while_collapsed():
            self._expand.add(title)
        self._record(title)
        return result

    def _columns(self) -> tuple[tuple[tuple[str, ...], float, float], ...]:
        w = self._display[0]
        return (LEFT + tuple(self.others), MARGIN, 0.0), (RIGHT, w - MARGIN, 1.0)

    def _walk_width(self, display: tuple[float, float]) -> float:
        """Between the columns when it fits there, else across the window."""
        gap = self._gap_between_columns(display)
        if gap >= WALK_MIN_WIDTH:
            return min(gap, WALK_MAX_WIDTH)
        return min(display[0] - 2 * MARGIN, WALK_MAX_WIDTH)

    def _gap_between_columns(self, display: tuple[float, float]) -> float:
        left, right = self._gap_edges(display)
        return right - left - 2 * GAP

    def _gap_edges(self, display: tuple[float, float]) -> tuple[float, float]:
        left = max((r[0] + r[2] for t in LEFT + tuple(self.others) if (r := self.rect(t))), default=MARGIN)
        right = min((r[0] for t in RIGHT if (r := self.rect(t))), default=display[0] - MARGIN)
        return left, right

    def _column_bottom(self, display: tuple[float, float], column, title: str) -> float:
        """A column ends above the walk only where the walk lies under it."""
        h = display[1]
        walk = self.rect(BOTTOM)
        if walk is None or title == BOTTOM:
            return h - MARGIN
        xs = [r[0] for t in column if (r := self.rect(t))] + [r[0] + r[2] for t in column if (r := self.rect(t))]
        if xs and (max(xs) <= walk[0] or min(xs) >= walk[0] + walk[2]):
            return h - MARGIN
        return walk[1] - GAP

    def _place(self, title: str, display: tuple[float, float]):
        """(anchor point, pivot, most height) for a panel, or None for one the layout leaves alone."""
        w, h = display
        for column, x, pivot_x in self._columns():
            if title in column:
                bottom = self._column_bottom(display, column, title)
                position = column.index(title)
                top = MARGIN
                for above in column[:position]:
                    rect = self.rect(above)
                    if rect is not None:
                        top = rect[1] + rect[3] + GAP
                below = sum(self._reserve(name) + GAP for name in column[position + 1:] if self.rect(name))
                self._accordion(column, bottom - MARGIN)
                return (x, top), (pivot_x, 0.0), bottom - top - below
        if title == BOTTOM:  # centred in the gap between the columns when it fits there
            x = sum(self._gap_edges(display)) / 2 if self._gap_between_columns(display) >= WALK_MIN_WIDTH else w / 2
            return (x, h - MARGIN), (0.5, 1.0), h - 2 * MARGIN
        if title == TOP:
            return (w / 2, MARGIN), (0.5, 0.0), h - 2 * MARGIN
        if title == CENTRE:
            return (w / 2, h / 2), (0.5, 0.5), h - 2 * MARGIN
        return None

    def _reserve(self, title: str) -> float:
        """Room kept for a panel lower in the column."""
        drawn = self._drawn[title]
        return min(drawn.wanted, FLEXIBLE_MIN_PX) if title in FLEXIBLE and not drawn.collapsed else drawn.wanted

    def _accordion(self, column, room: float) -> None:
        """Collapse a panel while the column's panels cannot fit even squeezed (module docstring)."""
        if any(t in self._collapse for t in column):  # see them collapsed, then judge again
            return
        if imgui.get_frame_count() - self._display_frame < SETTLE_FRAMES:  # sizes of the old window linger
            return
        shown = [t for t in column if self.rect(t) is not None and t not in self.moved]
        needed = sum(self._reserve(t) for t in shown) + GAP * max(0, len(shown) - 1)
        first = next(t for t in column if t != HELP_BUTTON)  # Classes, Output: the column's reason to be
        expanded = [t for t in shown if not self._drawn[t].collapsed and t not in (HELP_BUTTON, first)]
        if needed > room + 0.5 and expanded:
            newest = max(expanded, key=lambda t: self._drawn[t].opened)
            keep = newest if self._drawn[newest].opened else None  # the one the user opened last stays
            title_bar = imgui.get_frame_height()
            for title in sorted((t for t in expanded if t != keep), key=column.index, reverse=True):
                self._collapse.add(title)  # the lowest first, as many as it takes
                self._ask(2)  # collapsed at its next begin, judged again the frame after
                needed -= self._reserve(title) - title_bar
                if needed <= room + 0.5:
                    break

    def _keep_inside(self, title: str, display: tuple[float, float]) -> None:
        """A dragged panel partly outside the window comes back in (unless the user holds it)."""
        drawn = self._drawn.get(title)
        if drawn is None or imgui.is_mouse_down(imgui.MouseButton_.left):
            return
        x, y, w, h = drawn.rect
        inside_x = min(max(x, 0.0), max(0.0, display[0] - w))
        inside_y = min(max(y, 0.0), max(0.0, display[1] - h))
        if (inside_x, inside_y) != (x, y):
            imgui.set_next_window_pos(imgui.ImVec2(inside_x, inside_y), imgui.Cond_.always)

    def _record(self, title: str) -> None:
        pos, size = imgui.get_window_pos(), imgui.get_window_size()
        rect = (float(pos.x), float(pos.y), float(size.x), float(size.y))
        frame = imgui.get_frame_count()
        previous = self._drawn.get(title)
        if previous is None or previous.rect != rect:
            self._changed_frame = frame
            self._ask(1)  # the panels placed after it follow next frame
        window = imgui.internal.get_current_window()
        collapsed = bool(window.collapsed)
        wanted = rect[3] if collapsed else \
            max(window.title_bar_height + window.content_size_ideal.y + 2 * window.window_padding.y,
                self._asked.pop(title, 0.0))
        opened = previous.opened if previous is not None else 0
        if previous is not None and previous.collapsed and not collapsed:
            opened = frame  # the user (or a test) just opened it: the newest in the accordion
        self._drawn[title] = _Drawn(rect, frame, float(wanted), collapsed, opened)
        self.first_collapsed.setdefault(title, collapsed)
        moving = imgui.get_current_context().moving_window
        if moving is not None and imgui.is_mouse_dragging(imgui.MouseButton_.left):
            if moving.root_window.id_ == window.id_:
                self.moved.add(title)


def rects_overlap(a: Rect, b: Rect) -> bool:
    return a[0] < b[0] + b[2] and b[0] < a[0] + a[2] and a[1] < b[1] + b[3] and b[1] < a[1] + a[3]


def title_bar_clicked_while_collapsed() -> bool:
    """Right after imgui.begin: the current window is collapsed and a click (press and release, not a
    drag) just ended on its title bar. ImGui itself opens a window only from its small arrow or on a
    double click, which a person clicking the panel's name does not find."""
    window = imgui.internal.get_current_window()
    if not window.collapsed or window.want_collapse_toggle:  # the arrow or a double click toggles it already
        return False
    io = imgui.get_io()
    if not imgui.is_mouse_released(imgui.MouseButton_.left) or not imgui.is_window_hovered():
        return False
    low, size = imgui.get_window_pos(), imgui.get_window_size()  # collapsed: the title bar alone
    inside = low.x <= io.mouse_pos.x < low.x + size.x and low.y <= io.mouse_pos.y < low.y + size.y
    return inside and io.mouse_drag_max_distance_sqr[0] <= io.mouse_drag_threshold ** 2


def layout_of(scene) -> PanelLayout:
    """The scene's PanelLayout, told where to ask for frames once the scene has an App."""
    layout = scene.panel_layout
    if layout.frames is None and scene.app is not None:
        layout.frames = scene.app.frames
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
