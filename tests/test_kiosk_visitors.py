"""Kiosk visitors: what they may do is decided on commands, by the effects every command type declares,
at the one place every driver and panel submits (scene.submit); a visitor typing a path into every
text field they can reach opens, writes and switches nothing, through the real loop. Also: no
developer read-outs, and a caption sized for a room."""
import dataclasses
import shutil
import tempfile
from pathlib import Path

import numpy as np
import pygame
import pytest
from imgui_bundle import imgui

from latentwalk.scenes.explorer.core import commands as c
from tests.explorer_helpers import grab, key, post_button, post_motion
from tests.kiosk_helpers import frames, kiosk, press, run_as_person, tiny_bundle  # noqa: F401

TEXT_WIDGETS = ("input_text", "input_text_with_hint", "input_text_multiline")
FILE_FIELDS = {"##other bundle", "##bundle path", "##file", "##out"}  # Weights, Model, Session, Record
FILE_BUTTONS = ("compare", "load", "save", "start")  # remembered items that open or write, by name


def command_types():
    return [value for value in vars(c).values()
            if isinstance(value, type) and dataclasses.is_dataclass(value) and value.__module__ == c.__name__]


def test_every_command_type_declares_its_effects_and_has_a_handler():
    from latentwalk.scenes.explorer.core import apply  # noqa: F401  (every handler module registers)
    from latentwalk.scenes.explorer.core.handlers import HANDLERS

    types = command_types()
    assert len(types) >= 40
    for kind in types:
        assert "effects" in vars(kind), f"{kind.__name__} declares no effects"
        assert kind.effects and set(kind.effects) <= set(c.EFFECTS), kind.__name__
        assert kind in HANDLERS, kind.__name__
    touching = {kind.__name__ for kind in types if {c.OPENS_FILES, c.WRITES_FILES} & set(kind.effects)}
    assert {"LoadModel", "CompareModels", "SaveSession", "LoadSession", "EncodePicture",
            "StartRecording"} <= touching
    assert c.TakeScreenshot.effects == (c.SCREENSHOT,)  # a fresh picture only; a config must allow it


def test_no_visitor_kind_and_not_the_tour_opens_writes_switches_or_starts_anything():
    from latentwalk.scenes.kiosk import policy

    every = policy.visitor_effects(policy.VISITOR_KINDS)
    for effect in (c.OPENS_FILES, c.WRITES_FILES, c.SWITCHES_MODEL, c.STARTS_PROCESSES):
        assert effect not in every and effect not in policy.TOUR_EFFECTS
    assert every <= set(c.EFFECTS) and policy.TOUR_EFFECTS <= set(c.EFFECTS)
    assert policy.denied(c.LoadModel("mnist"), every) == (c.OPENS_FILES, c.SWITCHES_MODEL)
    assert policy.denied(c.Orbit(0.1, 0.0), policy.visitor_effects(("zoom",))) == (c.ORBIT,)
    from latentwalk.scenes.kiosk.config import DEFAULT_VISITOR_KINDS
    assert c.SCREENSHOT not in policy.visitor_effects(DEFAULT_VISITOR_KINDS)  # screenshots only when named


@pytest.fixture
def text_fields(monkeypatch):
    """Every ImGui text field built, by label -> its centre on screen in the last frame that built it."""
    fields = {}
    for name in TEXT_WIDGETS:
        original = getattr(imgui, name)

        def spy(label, *args, _original=original, **kwargs):
            result = _original(label, *args, **kwargs)
            low, high = imgui.get_item_rect_min(), imgui.get_item_rect_max()
            fields[label] = ((low.x + high.x) / 2, (low.y + high.y) / 2)
            return result

        monkeypatch.setattr(imgui, name, spy)
    return fields


@pytest.fixture
def every_panel(monkeypatch):
    """The explorer's panels as it made them, before the kiosk left any out."""
    from latentwalk.scenes.explorer.scene import ExplorerScene

    made = []
    original = ExplorerScene.start

    def start(self, app):
        original(self, app)
        made[:] = list(self.panels)

    monkeypatch.setattr(ExplorerScene, "start", start)
    return made


@pytest.fixture
def bundle_copy(tiny_bundle):
    """A real bundle at a short path (a visitor types it): opening it would succeed."""
    root = Path(tempfile.mkdtemp(prefix="lw"))
    shutil.copytree(tiny_bundle, root / "b")
    yield root, str(root / "b")
    shutil.rmtree(root, ignore_errors=True)


def click(pos):
    """A person's click, as script steps."""
    post_motion(pos)
    yield 0.1
    post_button(pygame.MOUSEBUTTONDOWN, pos)
    yield 0.08
    post_button(pygame.MOUSEBUTTONUP, pos)
    yield 0.2


def type_into(centre, text):
    """Click the field, select what it holds, type `text` a key at a time, press Enter."""
    yield from click(centre)
    key(pygame.KEYDOWN, pygame.K_LCTRL, mod=pygame.KMOD_LCTRL)
    yield 0.05
    key(pygame.KEYDOWN, pygame.K_a, mod=pygame.KMOD_LCTRL)
    key(pygame.KEYUP, pygame.K_a, mod=pygame.KMOD_LCTRL)
    yield 0.05
    key(pygame.KEYUP, pygame.K_LCTRL)
    yield 0.05
    for char in text:
        code = ord(char) if char.isalnum() else pygame.K_UNKNOWN
        key(pygame.KEYDOWN, code, unicode=char)
        key(pygame.KEYUP, code)
        yield 1 / 30
    key(pygame.KEYDOWN, pygame.K_RETURN)
    key(pygame.KEYUP, pygame.K_RETURN)
    yield 0.3


def visit_every_text_field(scene, panels, fields, text, report):
    """A visitor: Tab for the panels, then each panel in turn (alone, open, where the hand can reach),
    a click in each of its text fields, `text`, Enter; then its open / save / start buttons."""
    press(pygame.K_TAB)
    yield 0.5
    explorer = scene.explorer
    for panel in panels:
        explorer.panels[:] = [panel]
        panel.place = (8.0, 8.0)
        if hasattr(panel, "open"):  # the Record dialog: its button is in the Walk panel
            panel.open()
        fields.clear()
        post_motion((900, 700))
        yield 0.3
        for label, centre in list(fields.items()):
            refused = sum(scene.refused.values())
            yield from type_into(centre, text)
            report["visited"].append(label)
            if sum(scene.refused.values()) > refused:
                report["noticed"].append(scene.seconds < scene.notice_until)
        rects = getattr(panel, "item_rects", {})
        for name in [n for n in rects if n in FILE_BUTTONS or n.startswith("model ")]:
            (x0, y0), (x1, y1) = rects[name]
            yield from click(((x0 + x1) / 2, (y0 + y1) / 2))
            report["clicked"].append(name)


def nothing_opened(scene, before_bundle, root):
    explorer = scene.explorer
    service = explorer.insight.service
    assert explorer.bundle.path == before_bundle and explorer.loader.loading is None
    assert explorer.state.model.error is None and explorer.state.model.version == 1
    assert service.comparing is None and service.weights is None and service.compare_error is None
    assert service._compare_key is None  # no comparison was ever asked of the worker
    assert sorted(p.name for p in root.iterdir()) == ["b"]  # nothing written beside the bundle


def test_a_path_typed_into_every_text_field_a_visitor_reaches_opens_nothing(kiosk, text_fields, bundle_copy):
    root, typed = bundle_copy
    app, scene = kiosk(size=(1280, 720))
    frames(app, 2)
    explorer = scene.explorer
    names = [type(panel).__name__ for panel in explorer.panels]
    assert not {"ModelPanel", "SessionPanel", "RecordDialog", "WeightsPanel"} & set(names)  # for opening files
    before = explorer.bundle.path
    report = {"visited": [], "noticed": [], "clicked": []}
    run_as_person(app, visit_every_text_field(scene, list(explorer.panels), text_fields, typed, report))
    assert {"##coords", "##go to"} <= set(report["visited"])  # the walk reached the fields there are
    assert not FILE_FIELDS & set(report["visited"])
    nothing_opened(scene, before, root)


def test_with_every_panel_reachable_the_policy_still_refuses_every_file(kiosk, text_fields, every_panel,
                                                                        bundle_copy):
    """The panels left out are put back: what keeps files shut is the command policy, not the hiding."""
    root, typed = bundle_copy
    app, scene = kiosk(size=(1280, 720))
    frames(app, 2)
    explorer = scene.explorer
    before = explorer.bundle.path
    panels = list(every_panel)
    assert {"ModelPanel", "SessionPanel", "RecordDialog", "WeightsPanel"} <= {type(p).__name__ for p in panels}
    report = {"visited": [], "noticed": [], "clicked": []}
    walk = list(explorer.state.walk.path.points)
    run_as_person(app, visit_every_text_field(scene, panels, text_fields, typed, report))
    assert FILE_FIELDS <= set(report["visited"]) and {"compare", "save", "load", "start"} <= set(report["clicked"])
    nothing_opened(scene, before, root)
    model_panel = next(panel for panel in panels if type(panel).__name__ == "ModelPanel")
    walk_tools = explorer.walk_tools
    assert (explorer.insight.weights_panel.other_text, model_panel.path_text, walk_tools.session_panel.file,
            walk_tools.record_dialog.out) == (typed,) * 4  # the typing reached every file field
    assert explorer.walk_tools.record_dialog.job is None and list(explorer.state.walk.path.points) == walk
    for refused in ("CompareModels", "LoadModel", "LoadSession", "SaveSession", "StartRecording"):
        assert scene.refused.get(refused, 0) >= 1, (refused, scene.refused)
    assert report["noticed"] and all(report["noticed"])  # each refusal put the notice up
    assert explorer.last_refusal.startswith("not at this installation: ")


def hint_coloured(pixels: np.ndarray) -> int:
    """Pixels of the detail hint's pale yellow (detail_hint.HINT_COLOR), text antialiasing allowed."""
    r, g, b = (pixels[..., i].astype(int) for i in range(3))
    return int(np.sum((r > 110) & (g > 110) & (abs(r - g) < 30) & (b < 0.8 * np.minimum(r, g))))


def test_the_gallery_screen_shows_no_developer_read_outs(kiosk):
    app, scene = kiosk(size=(640, 360), detail={"fixed": 40, "min_points": 10})
    explorer = scene.explorer
    assert explorer.layer_cache.detail.builder.wait(30) is not None
    frames(app, 40)  # the tour turns the view: the cloud is thinned, which the explorer would say
    assert explorer.layer_cache.detail.mode == "moving"
    height = app.framebuffer_size[1]
    strip = slice(height - 30, height)  # the detail hint's line, under the large image
    assert hint_coloured(grab(app)[strip, :400]) == 0
    explorer.developer_readouts = True  # the same frame with them: the check above can see the hint
    assert hint_coloured(grab(app)[strip, :400]) > 20
    explorer.developer_readouts = False

    press(pygame.K_x)  # a visitor: the walk still owns the image, no panels
    frames(app, 30)
    assert scene.mode == "visitor" and not explorer.state.ui.panels_visible
    assert explorer.output_images.caption.startswith("walk")  # the explorer's own read-out, t and all
    assert scene.caption.startswith("looks like: c") and scene._caption_drawn == scene.caption


def caption_rows(frame: np.ndarray, left: int, right: int, bottom: int) -> int:
    """How many rows of light text stand in one run just above row `bottom`, between `left` and `right`."""
    ink = (frame[:bottom, left:right].min(axis=2) > 170).any(axis=1)
    row = bottom - 1
    while row >= 0 and not ink[row]:
        row -= 1
    top = row
    while top >= 0 and ink[top]:
        top -= 1
    return row - top


@pytest.mark.parametrize("visitor", [False, True])
def test_the_class_caption_is_at_least_48_px_tall_at_1920x1080(kiosk, visitor):
    from latentwalk.scenes.kiosk import overlay

    app, scene = kiosk(size=(1920, 1080))
    frames(app, 2)
    if visitor:
        press(pygame.K_x)
    for _ in range(400):
        frames(app)
        if overlay.decoded_texture(scene.explorer) is not None and scene.caption:
            break
    frames(app, 20)
    assert scene.caption.startswith("looks like: ") and scene.mode == ("visitor" if visitor else "tour")
    frame = grab(app)
    side = int(overlay.IMAGE_FRACTION * 1080)
    rows = caption_rows(frame, 16, 16 + side, 1080 - 36)  # the image's window ends 36 px above the bottom
    assert 48 <= rows < side / 2
