"""Pictures made of cells (a weight, an activation: one value each), for the Weights and Activations
panels: drawn at a whole number of screen pixels per cell, never fewer than MIN_CELL_PX so every value
can be seen, with the rows and columns labelled along the edges, a colour legend that says what the
colours stand for, and a read-out of the cell under the pointer. The pictures scroll (both ways) inside
a view as tall as the layout leaves the panel, so opening one does not push its column off screen."""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from imgui_bundle import imgui

MIN_CELL_PX = 6  # the smallest a value is drawn: smaller, a 3x3 kernel is a speck
MAX_CELL_PX = 24
VIEW_WIDTH_EM = 28.0  # the scrolling view, in font sizes: 420 px at UI scale 1, so the columns fit at 1280x720
MIN_VIEW_HEIGHT_PX = 120.0
LABEL_COLOR = imgui.ImVec4(0.75, 0.77, 0.82, 1.0)


def view_width() -> float:
    return VIEW_WIDTH_EM * imgui.get_font_size()


def picture_width_px(widest_row_label: str) -> float:
    """What a picture may take of the view's width: less its padding, scrollbar and row labels."""
    style = imgui.get_style()
    return (view_width() - 2 * style.window_padding.x - style.scrollbar_size
            - imgui.calc_text_size(widest_row_label).x - 0.5 * imgui.get_font_size())


def view_height(layout, title: str, content_height: float) -> float:
    """The scrolling view's height: its content's (`content_height`, as last drawn) where the layout
    leaves room for it below the cursor, else that room (else 60 % of the window, for a panel placed by
    hand). Asks the layout for the whole content's height, so the column makes room as it can."""
    display_height = imgui.get_io().display_size.y
    style = imgui.get_style()
    wanted = content_height + 2 * style.window_padding.y + style.scrollbar_size
    room = layout.room(title) if layout is not None else None
    if room is None:
        return max(MIN_VIEW_HEIGHT_PX, min(wanted, 0.6 * display_height))
    used = imgui.get_cursor_pos().y + style.window_padding.y + style.item_spacing.y
    layout.ask_height(title, used + wanted)
    return max(MIN_VIEW_HEIGHT_PX, min(wanted, room - used))


def content_height() -> float:
    """Inside a scrolling child, after its content: how tall the content is."""
    return imgui.get_cursor_pos().y


def cell_size_slider(value: int) -> int:
    imgui.push_item_width(imgui.get_font_size() * 7)
    _, value = imgui.slider_int("cell px", value, MIN_CELL_PX, MAX_CELL_PX)
    imgui.pop_item_width()
    if imgui.is_item_hovered():
        imgui.set_tooltip("How many screen pixels one value takes (scroll the view to see more)")
    return max(MIN_CELL_PX, min(MAX_CELL_PX, int(value)))


def legend_bar(colors: Sequence[tuple[int, int, int]], low: str, high: str, middle: str = "",
               width_em: float = 10.0) -> None:
    """One line: `low`, a colour bar `width_em` font sizes long through `colors` (evenly spaced stops) with
    `middle` written on its centre, `high`. What the range means is the caller's next line."""
    imgui.text(low)
    imgui.same_line()
    draw = imgui.get_window_draw_list()
    start = imgui.get_cursor_screen_pos()
    width, height = width_em * imgui.get_font_size(), imgui.get_text_line_height()
    step = width / (len(colors) - 1)
    for i in range(len(colors) - 1):
        left, right = (imgui.color_convert_float4_to_u32(imgui.ImVec4(*(c / 255 for c in colors[j]), 1.0))
                       for j in (i, i + 1))
        draw.add_rect_filled_multi_color(imgui.ImVec2(start.x + i * step, start.y),
                                         imgui.ImVec2(start.x + (i + 1) * step, start.y + height),
                                         left, right, right, left)
    if middle:
        size = imgui.calc_text_size(middle)
        draw.add_text(imgui.ImVec2(start.x + (width - size.x) / 2, start.y), 0xFF000000, middle)
    imgui.dummy(imgui.ImVec2(width, height))
    imgui.same_line()
    imgui.text(high)


def wrapped_note(text: str) -> None:
    """A note wrapped to the picture view's width (note_line wraps narrower)."""
    imgui.push_text_wrap_pos(imgui.get_cursor_pos().x + min(view_width(), imgui.get_content_region_avail().x))
    imgui.text_colored(LABEL_COLOR, text)
    imgui.pop_text_wrap_pos()


@dataclass(frozen=True)
class Axis:
    """Labels along one edge: label k sits at cell `origin + k * unit + unit_cells / 2`."""
    labels: Sequence[str]
    unit: int  # cells from one label's place to the next (a tile and its gap, or one cell)
    origin: int = 1  # cells before the first (the grid's outer gap)
    span: int = 1  # cells the labelled thing covers (a tile's width, or one cell)


@dataclass(frozen=True)
class DrawnPicture:
    x: float  # the picture's top-left on screen
    y: float
    cell: int  # screen pixels per cell
    rows: int  # cells
    columns: int

    def cell_at(self, x: float, y: float) -> tuple[int, int] | None:
        row, column = math.floor((y - self.y) / self.cell), math.floor((x - self.x) / self.cell)
        return (row, column) if 0 <= row < self.rows and 0 <= column < self.columns else None


def picture_with_axes(texture_id: int, shape: tuple[int, ...], cell: int, rows: Axis, columns: Axis) -> DrawnPicture:
    """The picture at `cell` px a cell, column labels above it and row labels left of it, each axis
    thinned to every n-th label where they would touch."""
    height, width = shape[:2]
    font = imgui.get_font_size()
    left = max((imgui.calc_text_size(label).x for label in rows.labels), default=0.0) + 0.5 * font
    start = imgui.get_cursor_screen_pos()
    origin = imgui.ImVec2(start.x + left, start.y + font + 2)
    draw = imgui.get_window_draw_list()
    color = imgui.color_convert_float4_to_u32(LABEL_COLOR)
    widest = max((imgui.calc_text_size(label).x for label in columns.labels), default=0.0)
    every = max(1, math.ceil((widest + 0.4 * font) / (columns.unit * cell)))
    for k in range(0, len(columns.labels), every):
        centre = origin.x + (columns.origin + k * columns.unit + columns.span / 2) * cell
        label = columns.labels[k]
        draw.add_text(imgui.ImVec2(centre - imgui.calc_text_size(label).x / 2, start.y), color, label)
    every = max(1, math.ceil(font / (rows.unit * cell)))
    for k in range(0, len(rows.labels), every):
        centre = origin.y + (rows.origin + k * rows.unit + rows.span / 2) * cell
        label = rows.labels[k]
        draw.add_text(imgui.ImVec2(origin.x - 0.25 * font - imgui.calc_text_size(label).x, centre - font / 2),
                      color, label)
    imgui.set_cursor_screen_pos(origin)
    imgui.image(imgui.ImTextureRef(texture_id), imgui.ImVec2(width * cell, height * cell))
    return DrawnPicture(origin.x, origin.y, cell, height, width)


def hovered_cell(picture: DrawnPicture) -> tuple[int, int] | None:
    """The cell under the pointer, while the picture just drawn is hovered."""
    if not imgui.is_item_hovered():
        return None
    mouse = imgui.get_io().mouse_pos
    return picture.cell_at(mouse.x, mouse.y)
