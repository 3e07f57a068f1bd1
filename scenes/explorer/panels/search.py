"""Panel "Search" (Ctrl+F): a field that finds points by class name, index or any per-point column of
the bundle (plain text, or a regular expression with the .* toggle; in plain text `hue<0.2` compares a
numeric column), in every column or the one chosen. It shows how many points match, how many of each
class, and the first matches; a click on one selects it and flies there, Enter flies to the first.
The matches are highlighted (HighlightPoints, labelled with the search) and the other points dimmed;
an empty search, or one that finds nothing, takes its highlight away. The matching is
scenes/explorer/tools/search.py."""
from __future__ import annotations

from imgui_bundle import imgui

from latentwalk.scenes.explorer.core.commands import FlyTo, HighlightPoints, Select, ShowPanels
from latentwalk.scenes.explorer.input.actions import FOCUS_SEARCH
from latentwalk.scenes.explorer.panels import ItemRects, error_line, note_line, remember_item, window_rect
from latentwalk.scenes.explorer.panels.layout import begin_panel, layout_of
from latentwalk.scenes.explorer.tools.search import EVERY_COLUMN, INDEX, SearchResult, bundle_columns, search

LISTED = 8  # matches listed by name; the count says how many more
CLASSES_LISTED = 6  # classes named with their counts; the rest are summed
LABEL_START = "search "
STEP_KEY = "search"  # a search typed letter by letter is one undo step


def highlight_label(result: SearchResult) -> str:
    """What the highlight is, for the legend (which adds how many points it holds)."""
    return f'{LABEL_START}"{result.query}"'


class SearchPanel:
    title = "Search"
    submits = (FlyTo, Select, HighlightPoints)  # what it is for: a kiosk leaves it out where these are refused

    def __init__(self, scene) -> None:
        self.scene = scene
        self.layout = layout_of(scene)
        self.rect = (0.0, 0.0, 0.0, 0.0)
        self.item_rects: ItemRects = {}
        self.query = ""
        self.regex = False
        self.within: str | None = EVERY_COLUMN
        self.result = SearchResult()
        self.focus_wanted = False
        self._columns = None
        self._searched = None  # (bundle, (query, regex, within)) of self.result
        scene.action_handlers.append(self.handle_action)

    def handle_action(self, action) -> bool:
        if action.name != FOCUS_SEARCH:
            return False
        self.focus_wanted = True
        if not self.scene.state.ui.panels_visible:
            self.scene.submit(ShowPanels(True))
        self.layout.open(self.title)
        if self.scene.app is not None:
            self.scene.app.frames.request(2)  # the field takes the focus on the next build
        return True

    @property
    def columns(self):
        bundle = self.scene.bundle
        if self._columns is None or self._columns[0] is not bundle:
            self._columns = (bundle, bundle_columns(bundle))
        return self._columns[1]

    def update_result(self) -> SearchResult:
        """The search again when its query, options or the model changed since the last."""
        bundle = self.scene.bundle
        if self.within not in [EVERY_COLUMN, INDEX] + [column.name for column in self.columns]:
            self.within = EVERY_COLUMN  # a column of the model before
        key = (self.query, self.regex, self.within)
        if self._searched is None or self._searched[0] is not bundle or self._searched[1] != key:
            self.result = search(self.columns, len(self.scene.bundle.labels), self.query, regex=self.regex,
                                 within=self.within, listed=LISTED)
            self._searched = (bundle, key)
            self._highlight(self.result)
        return self.result

    def _highlight(self, result: SearchResult) -> None:
        """The matches shown and the rest dimmed; no matches: the search's own highlight taken away
        (a highlight something else set, a colour's range, is left alone)."""
        if result.count:
            self.scene.submit(HighlightPoints(result.matches, label=highlight_label(result), step_key=STEP_KEY))
            return
        current = self.scene.state.highlight.points
        if current is not None and current.label.startswith(LABEL_START):
            self.scene.submit(HighlightPoints(None, step_key=STEP_KEY))

    def fly_to_first(self) -> None:
        if self.result.count:
            self.scene.submit(FlyTo(index=int(self.result.matches[0])))

    def build(self) -> None:
        expanded = begin_panel(self)[0]
        self.rect = window_rect()
        if expanded:
            self._body()
        imgui.end()

    def _body(self) -> None:
        self.item_rects.clear()  # only what this frame drew: the list changes as the search does
        if self.focus_wanted:
            imgui.set_keyboard_focus_here()
            self.focus_wanted = False
        imgui.set_next_item_width(imgui.get_font_size() * 13)
        entered, self.query = imgui.input_text_with_hint(
            "##query", "class, index or column", self.query, imgui.InputTextFlags_.enter_returns_true)
        remember_item(self.item_rects, "query")
        if imgui.is_item_hovered():
            imgui.set_tooltip("Enter flies to the first match; in plain text, name<0.2 compares a number column")
        imgui.same_line()
        _, self.regex = imgui.checkbox(".*", self.regex)
        remember_item(self.item_rects, "regex")
        if imgui.is_item_hovered():
            imgui.set_tooltip("a regular expression (ignoring case)")
        self._within_combo()
        result = self.update_result()
        if entered:
            self.fly_to_first()
        if result.error:
            error_line(result.error)
            return
        if not self.query.strip():
            return
        self._counts(result)
        for point in result.matches[:LISTED].tolist():
            column, value = result.why[point]
            name = self.scene.bundle.class_names[int(self.scene.bundle.labels[point])]
            shown = f"#{point}  {name}" + ("" if column in ("class", INDEX) else f"  {column} {value}")
            if imgui.selectable(f"{shown}##match{point}", False)[0]:
                self.scene.submit(Select(point, source="keyboard", fly=True))
            remember_item(self.item_rects, f"match{point}")

    def _within_combo(self) -> None:
        options = [EVERY_COLUMN] + [column.name for column in self.columns] + [INDEX]
        imgui.set_next_item_width(imgui.get_font_size() * 13)
        if imgui.begin_combo("in", self.within or "every column"):
            for option in options:
                if imgui.selectable(option or "every column", option == self.within)[0]:
                    self.within = option
            imgui.end_combo()
        remember_item(self.item_rects, "within")

    def _counts(self, result: SearchResult) -> None:
        if not result.count:
            note_line("no point matches")
            return
        imgui.text(f"{result.count:,} point{'s' if result.count != 1 else ''}")
        names = self.scene.bundle.class_names
        parts = [f"{names[label]} {count:,}" for label, count in result.per_class[:CLASSES_LISTED]]
        rest = sum(count for _, count in result.per_class[CLASSES_LISTED:])
        if rest:
            parts.append(f"{len(result.per_class) - CLASSES_LISTED} more classes {rest:,}")
        note_line(", ".join(parts))
        if result.count > LISTED:
            imgui.text_disabled(f"the first {LISTED}:")
