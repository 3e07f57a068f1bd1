"""The panels the explorer starts with."""
from __future__ import annotations

from typing import NamedTuple

from latentwalk.scenes.explorer.panels.classes import ClassesPanel
from latentwalk.scenes.explorer.panels.help import HelpPanel
from latentwalk.scenes.explorer.panels.model import ModelPanel
from latentwalk.scenes.explorer.panels.output import OutputPanel
from latentwalk.scenes.explorer.panels.search import SearchPanel
from latentwalk.scenes.explorer.panels.stats import StatsPanel


class StartPanels(NamedTuple):
    panels: list  # drawn in order
    stats: StatsPanel  # the Stats overlay (F3), built after them, panels shown or not
    output: OutputPanel
    help: HelpPanel


def make_panels(scene) -> StartPanels:
    output, help_panel = OutputPanel(scene), HelpPanel(scene)
    panels = [ClassesPanel(scene), SearchPanel(scene), output, ModelPanel(scene), help_panel]
    return StartPanels(panels, StatsPanel(scene), output, help_panel)
