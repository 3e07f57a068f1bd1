"""Panel "Help" (F1, or the ? button in the top-left corner): every binding in force, read from the App's
one binding table (`Bindings.describe()`), so keys a config rebinds or a gamepad adds show as they are,
plus the mouse's clicks, which the engine handles itself, and, with a pad's panel navigation bound,
how the pad shares itself between the view and the panels, near the top where it is seen. Esc or F1
closes it."""
from __future__ import annotations

from imgui_bundle import imgui

from latentwalk.engine.gamepad import NAVIGATE_PANELS
from latentwalk.scenes.explorer.input.actions import ACTIONS, TOGGLE_HELP
from latentwalk.scenes.explorer.panels import ItemRects, remember_item
from latentwalk.scenes.explorer.panels.layout import HELP_BUTTON, layout_of

MOUSE_ROWS = (
    ("Click", "select the point under the cursor (on empty space: clear the selection)"),
    ("Double-click", "fly to the point"),
    ("Shift+click", "add the point to the path"),
    ("Drop a folder", "open that model"),
)


def pad_rows(described: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The line that says how to take the pad into the panels, if a pad button is bound to it."""
    held = [name.removeprefix("Pad ") for name, action in described if action == NAVIGATE_PANELS]
    if not held:
        return []
    return [("Gamepad", f"drives the view, panels shown or not; hold {held[0]} to move through the panels")]


def describe(action: str) -> str:
    """What an action does, in its declaration's words (scenes/explorer/input/actions.py); an action
    nobody declared (a config may bind any name) shows its own name."""
    name = action.lstrip("+-")
    spec = ACTIONS.get(name)
    words = spec.words if spec is not None else name.replace("_", " ")
    return f"{words} (reversed)" if action.startswith("-") else words


class HelpPanel:
    title = "Help"

    def __init__(self, scene) -> None:
        self.scene = scene
        self.layout = layout_of(scene)
        self.visible = False
        self.rect = (0.0, 0.0, 0.0, 0.0)
        self.item_rects: ItemRects = {}
        self.rows_shown: list[tuple[str, str]] = []  # what the last build listed
        scene.action_handlers.append(self.handle_action)

    def handle_action(self, action) -> bool:
        if action.name == TOGGLE_HELP:
            self.visible = not self.visible
            return True
        if action.name == "cancel" and self.visible:
            self.visible = False
            return True
        return False

    def rows(self) -> list[tuple[str, str]]:
        bindings = self.scene.app.bindings if self.scene.app is not None else None
        described = bindings.describe() if bindings else []
        return list(MOUSE_ROWS) + pad_rows(described) + [(name, describe(action)) for name, action in described]

    def build(self) -> None:
        """The ? button always (panels shown); the Help window while open."""
        flags = (imgui.WindowFlags_.no_title_bar | imgui.WindowFlags_.no_scrollbar
                 | imgui.WindowFlags_.no_focus_on_appearing)
        self.layout.begin(HELP_BUTTON, None, flags)
        if imgui.button("? Help"):
            self.visible = not self.visible
        remember_item(self.item_rects, "help")
        if imgui.is_item_hovered():
            imgui.set_tooltip("Every key, mouse and gamepad binding (F1)")
        imgui.end()
        if not self.visible:
            return
        expanded, self.visible = self.layout.begin(self.title, True)
        if expanded:
            self.rows_shown = self.rows()
            table_flags = imgui.TableFlags_.row_bg | imgui.TableFlags_.borders_inner_v
            if imgui.begin_table("bindings", 2, table_flags):
                for what, does in self.rows_shown:
                    imgui.table_next_row()
                    imgui.table_next_column()
                    imgui.text(what)
                    imgui.table_next_column()
                    imgui.text(does)
                imgui.end_table()
        pos, size = imgui.get_window_pos(), imgui.get_window_size()
        self.rect = (pos.x, pos.y, size.x, size.y)
        imgui.end()
