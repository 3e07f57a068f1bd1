"""Input through real posted pygame events: bindings -> actions, and ImGui taking what it wants."""
import pygame
import pytest
from imgui_bundle import imgui

from latentwalk.engine.input import Action, Bindings, normalize_mods
from latentwalk.engine.scene import Scene
from tests.explorer_helpers import frames, key
from tests.explorer_helpers import post_button as button
from tests.explorer_helpers import post_motion as motion

PANEL_POS, PANEL_SIZE = (10, 10), (160, 110)
OFF_PANEL = (250, 180)


class PanelScene(Scene):
    """A fixed ImGui panel with a button (and optionally a focused text field); records actions."""

    def __init__(self, *, text_field=False):
        self.actions: list[Action] = []
        self.clicks = 0
        self.button_center = None
        self.text_field = text_field
        self.text = ""

    def handle_action(self, action):
        self.actions.append(action)

    def names(self):
        return [a.name for a in self.actions]

    def build_ui(self):
        imgui.set_next_window_pos(PANEL_POS, imgui.Cond_.always)
        imgui.set_next_window_size(PANEL_SIZE, imgui.Cond_.always)
        imgui.begin("Test panel", None, imgui.WindowFlags_.no_move | imgui.WindowFlags_.no_collapse)
        if imgui.button("Press me", (100, 30)):
            self.clicks += 1
        low, high = imgui.get_item_rect_min(), imgui.get_item_rect_max()
        self.button_center = (int((low.x + high.x) / 2), int((low.y + high.y) / 2))
        if self.text_field:
            if not imgui.is_any_item_active():
                imgui.set_keyboard_focus_here()
            _, self.text = imgui.input_text("##text", self.text)
        imgui.end()


@pytest.fixture
def panel_app(gl_app):
    scene = PanelScene()
    app = gl_app(scene, size=(320, 240))
    frames(app, 2)  # the panel exists before the mouse arrives
    scene.actions.clear()
    return app, scene


def test_imgui_button_clicked_by_posted_mouse_events(panel_app):
    app, scene = panel_app
    target = scene.button_center
    motion(target)
    frames(app)
    button(pygame.MOUSEBUTTONDOWN, target)
    frames(app)
    button(pygame.MOUSEBUTTONUP, target)
    frames(app, 2)
    assert scene.clicks == 1
    assert "click" not in scene.names()  # the UI took the click


def test_drag_over_panel_does_not_reach_scene_but_off_panel_does(panel_app):
    app, scene = panel_app
    start = (PANEL_POS[0] + 20, PANEL_POS[1] + 70)
    motion(start)
    frames(app)
    button(pygame.MOUSEBUTTONDOWN, start)
    frames(app)
    motion((start[0] + 40, start[1] + 5), rel=(40, 5), buttons=(1, 0, 0))
    frames(app)
    button(pygame.MOUSEBUTTONUP, (start[0] + 40, start[1] + 5))
    frames(app)
    assert not {"drag_rotate", "click", "pointer_move"} & set(scene.names())

    motion(OFF_PANEL)
    frames(app)
    button(pygame.MOUSEBUTTONDOWN, OFF_PANEL)
    frames(app)
    motion((OFF_PANEL[0] + 30, OFF_PANEL[1] - 10), rel=(30, -10), buttons=(1, 0, 0))
    frames(app)
    button(pygame.MOUSEBUTTONUP, (OFF_PANEL[0] + 30, OFF_PANEL[1] - 10))
    frames(app)
    drags = [a for a in scene.actions if a.name == "drag_rotate"]
    assert len(drags) == 1 and drags[0].delta == (30.0, -10.0) and drags[0].pos == (280, 170)
    assert "click" not in scene.names()  # a drag is not a click


def test_right_drag_pans(panel_app):
    app, scene = panel_app
    motion(OFF_PANEL)
    button(pygame.MOUSEBUTTONDOWN, OFF_PANEL, 3)
    frames(app)
    motion((OFF_PANEL[0] - 10, OFF_PANEL[1]), rel=(-10, 0), buttons=(0, 0, 1))
    button(pygame.MOUSEBUTTONUP, (OFF_PANEL[0] - 10, OFF_PANEL[1]), 3)
    frames(app)
    pans = [a for a in scene.actions if a.name == "drag_pan"]
    assert len(pans) == 1 and pans[0].delta == (-10.0, 0.0) and pans[0].button == 3


def test_pointer_leave_when_ui_takes_the_mouse_or_mouse_leaves_window(panel_app):
    app, scene = panel_app
    motion(OFF_PANEL)
    frames(app)
    assert scene.actions[-1] == Action("pointer_move", pos=OFF_PANEL)
    motion((PANEL_POS[0] + 20, PANEL_POS[1] + 40))
    frames(app, 2)
    assert scene.names().count("pointer_leave") == 1  # once, not every frame over the panel
    motion(OFF_PANEL)
    frames(app)
    pygame.event.post(pygame.event.Event(pygame.WINDOWLEAVE, window=None))
    frames(app)
    assert scene.names()[-1] == "pointer_leave" and scene.names().count("pointer_leave") == 2


def test_click_then_double_click_within_the_interval(panel_app):
    app, scene = panel_app
    for _ in range(2):
        motion(OFF_PANEL)
        button(pygame.MOUSEBUTTONDOWN, OFF_PANEL)
        frames(app)
        button(pygame.MOUSEBUTTONUP, OFF_PANEL)
        frames(app)
        app.time_source.advance(0.1)
    app.time_source.advance(1.0)
    motion(OFF_PANEL)
    button(pygame.MOUSEBUTTONDOWN, OFF_PANEL)
    frames(app)
    button(pygame.MOUSEBUTTONUP, OFF_PANEL)
    frames(app)
    clicks = [a for a in scene.actions if a.name in ("click", "double_click")]
    assert [a.name for a in clicks] == ["click", "click", "double_click", "click"]
    assert clicks[2].pos == OFF_PANEL and clicks[2].button == 1


def test_wheel_zooms_at_the_cursor(panel_app):
    app, scene = panel_app
    motion(OFF_PANEL)
    pygame.event.post(pygame.event.Event(pygame.MOUSEWHEEL, x=0, y=2, flipped=False, precise_x=0.0,
                                         precise_y=2.0, touch=False, which=0))
    frames(app)
    zooms = [a for a in scene.actions if a.name == "zoom"]
    assert len(zooms) == 1 and zooms[0].value == 2.0 and zooms[0].pos == OFF_PANEL


def test_keys_map_to_actions_with_held_state_and_custom_bindings(panel_app):
    app, scene = panel_app
    key(pygame.KEYDOWN, pygame.K_r, unicode="r")
    key(pygame.KEYDOWN, pygame.K_LEFT)
    frames(app)
    assert scene.names()[-2:] == ["reset_view", "orbit_left"]
    assert app.input.is_held("orbit_left")
    key(pygame.KEYUP, pygame.K_LEFT)
    frames(app)
    assert not app.input.is_held("orbit_left")

    app.bindings.bind_key(pygame.K_SPACE, "add_point", mods=pygame.KMOD_CTRL)
    key(pygame.KEYDOWN, pygame.K_SPACE, unicode=" ")  # no Ctrl: unbound
    key(pygame.KEYDOWN, pygame.K_SPACE, mod=pygame.KMOD_LCTRL | pygame.KMOD_NUM)
    frames(app)
    added = [a for a in scene.actions if a.name == "add_point"]
    assert len(added) == 1 and added[0].mods == pygame.KMOD_CTRL and added[0].key == pygame.K_SPACE


def test_keys_typed_into_a_text_field_do_not_reach_the_scene(gl_app):
    scene = PanelScene(text_field=True)
    app = gl_app(scene)
    frames(app, 3)
    assert app.ui.want_capture_keyboard
    scene.actions.clear()
    key(pygame.KEYDOWN, pygame.K_r, unicode="r")
    frames(app)
    key(pygame.KEYUP, pygame.K_r)
    frames(app)
    assert "reset_view" not in scene.names()
    assert scene.text == "r"


def test_binding_table_lookup_rules():
    bindings = Bindings.defaults()
    assert bindings.key_action(pygame.K_HOME) == "reset_view"
    # modifiers fold left/right and ignore lock keys; an unbound modified key falls back to the plain one
    assert bindings.key_action(pygame.K_LEFT, pygame.KMOD_RSHIFT | pygame.KMOD_CAPS) == "orbit_left"
    bindings.bind_key(pygame.K_LEFT, "step_back", mods=pygame.KMOD_SHIFT)
    assert bindings.key_action(pygame.K_LEFT, pygame.KMOD_LSHIFT) == "step_back"
    assert bindings.key_action(pygame.K_LEFT) == "orbit_left"
    bindings.unbind_key(pygame.K_LEFT)
    assert bindings.key_action(pygame.K_LEFT) is None
    assert normalize_mods(pygame.KMOD_LCTRL | pygame.KMOD_RALT | pygame.KMOD_NUM) == pygame.KMOD_CTRL | pygame.KMOD_ALT
    assert bindings.drag_action(1) == "drag_rotate" and bindings.drag_action(3) == "drag_pan"
