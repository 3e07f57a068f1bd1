"""Every action declared once (scenes/explorer/input/actions.py, engine/actions.py): what is bound, what
Help says, what a kiosk config may name and what the pad binds all come from the declarations, so they
cannot disagree. The declared `toggle_axes` (A) is pressed for real and changes the pixels."""
from __future__ import annotations

import numpy as np
import pygame
import pytest

from latentwalk.engine.actions import ActionSpec, declare, default_inputs
from latentwalk.engine.input import KEYBOARD_GLOBAL_ACTIONS
from latentwalk.scenes.explorer.core import commands as c
from latentwalk.scenes.explorer.input.actions import ACTIONS
from latentwalk.scenes.kiosk import policy
from latentwalk.scenes.kiosk.config import KioskConfigError, parse_config
from latentwalk.scenes.kiosk.overlay import CONTROL_LINES
from latentwalk.scenes.kiosk.pad_driver import PAD_DEFAULTS
from latentwalk.scenes.kiosk.scene import KIOSK_ACTIONS
from tests.bundles import make_bundle
from tests.explorer_helpers import frames, key, open_explorer
from tests.kiosk_helpers import kiosk, tiny_bundle  # noqa: F401

EVERY_VISITOR_EFFECT = policy.visitor_effects(policy.VISITOR_KINDS)


@pytest.fixture(scope="module")
def bundle_path(tmp_path_factory):
    return make_bundle(tmp_path_factory.mktemp("actions") / "four", count=120, classes=4)


def bound_actions(bindings) -> dict[str, str]:
    """{input name: action name} in force, an axis's "-" taken off."""
    return {name: action.lstrip("-") for name, action in bindings.to_dict().items()}


def test_every_declaration_has_words_and_is_bound_by_default_or_says_how_it_comes():
    for name, spec in {**ACTIONS, **KIOSK_ACTIONS}.items():
        assert spec.name == name
        assert spec.words.strip(), f"{name}: no words for Help"
        assert bool(spec.defaults) != bool(spec.unbound), f"{name}: give default inputs or say why there are none"


def test_the_explorer_with_a_pad_binds_every_declared_default_and_nothing_undeclared(gl_app, bundle_path):
    from latentwalk.scenes.kiosk.pad_driver import PadDriver

    app, scene = open_explorer(gl_app, bundle_path, (320, 240))
    driver = PadDriver.attach(scene, app)
    try:
        bound = bound_actions(app.bindings)
        assert set(bound.values()) - set(ACTIONS) == set()
        for input_name, action in default_inputs(ACTIONS.values()).items():
            assert app.bindings.to_dict().get(input_name) == action, input_name
    finally:
        driver.close()


def test_a_kiosk_binds_only_declared_actions(kiosk):
    app, scene = kiosk()
    frames(app, 2)
    assert set(bound_actions(app.bindings).values()) - {*ACTIONS, *KIOSK_ACTIONS} == set()
    assert "kiosk_exit" in bound_actions(app.bindings).values()


def test_every_action_named_anywhere_else_is_declared():
    named = {action.lstrip("-") for action in PAD_DEFAULTS.values()} | set(KEYBOARD_GLOBAL_ACTIONS)
    named |= {name for names, _ in CONTROL_LINES for name in names}
    named |= set(policy.bindable_actions())
    assert named - set(ACTIONS) == set()


def test_the_kiosk_config_accepts_exactly_the_declared_actions_a_visitor_may_use():
    """A binding in a config is checked against the declarations: its kind comes from the effects of the
    command the declaration names, never from a second list."""
    accepted = set()
    for name in [*ACTIONS, "record", "frobnicate"]:
        try:
            parse_config({"bindings": {"key:k": name}}, "kiosk.toml")
            accepted.add(name)
        except KioskConfigError as exc:
            assert f"unknown action {name!r}" in str(exc) and "\n" not in str(exc)
    may = {name for name, spec in ACTIONS.items()
           if spec.command_type is not None and set(spec.command_type.effects) <= EVERY_VISITOR_EFFECT}
    assert accepted == may == set(policy.bindable_actions())
    # a screenshot is a kind a config may allow (a fresh file, never over one); files otherwise never
    assert {"play_walk", "orbit_yaw", "toggle_axes", "navigate_panels", "screenshot", "walk_t"} <= accepted
    assert not {"save_session", "load_session", "quit", "toggle_help", "record"} & accepted


def test_undo_steps_through_the_commands_that_declare_it():
    assert ACTIONS["add_control_point"].undoable and ACTIONS["cycle_highlight"].undoable
    assert not ACTIONS["toggle_axes"].undoable and not ACTIONS["play_walk"].undoable
    declared = {kind for kind in vars(c).values() if isinstance(kind, type) and getattr(kind, "undoable", False)}
    assert set(c.UNDOABLE) == declared and c.ApplySession in declared and c.SetWalkT not in declared


def test_an_action_declared_twice_is_refused_in_one_line():
    with pytest.raises(ValueError, match="'twice' is declared twice"):
        declare(ActionSpec("twice", "one"), ActionSpec("twice", "two"))


def test_a_pad_axis_declared_reversed_binds_reversed():
    assert default_inputs([ACTIONS["orbit_pitch"]]) == {"pad:lefty": "-orbit_pitch"}
    assert PAD_DEFAULTS["pad:lefty"] == "-orbit_pitch" and PAD_DEFAULTS["pad:x"] == "play_walk"


def press(app, code, mod=0):
    key(pygame.KEYDOWN, code, mod=mod)
    frames(app)
    key(pygame.KEYUP, code, mod=mod)
    frames(app, 2)


def test_a_shows_and_hides_the_axes_on_screen_and_help_says_so(gl_app, bundle_path):
    app, scene = open_explorer(gl_app, bundle_path, (320, 240), warm_frames=3)
    assert scene.state.style.show_axes
    shown = app.capture(include_ui=False).astype(int)
    press(app, pygame.K_a)
    hidden = app.capture(include_ui=False).astype(int)
    assert not scene.state.style.show_axes and not scene.installed.guides.show_axes
    assert (np.abs(hidden - shown).sum(axis=-1) > 30).sum() > 50  # the axes' lines are gone
    press(app, pygame.K_a)
    again = app.capture(include_ui=False).astype(int)
    assert scene.state.style.show_axes
    assert (np.abs(again - shown).sum(axis=-1) > 30).sum() < (np.abs(hidden - shown).sum(axis=-1) > 30).sum() / 10
    assert ("A", "show / hide the axes") in scene.help_panel.rows()
