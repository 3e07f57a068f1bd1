"""Read-only views of the explorer's state under the names panels, tests and benches use, and the
panels the scene starts with. Nothing here changes state: changes are commands (commands.py)."""
from __future__ import annotations

import numpy as np

from latentwalk.scenes.explorer.panels.classes import ClassesPanel
from latentwalk.scenes.explorer.panels.help import HelpPanel
from latentwalk.scenes.explorer.panels.model import ModelPanel
from latentwalk.scenes.explorer.panels.output import OutputPanel
from latentwalk.scenes.explorer.panels.stats import StatsPanel


def make_panels(scene) -> tuple[list, StatsPanel]:
    """The panels drawn in order, and the Stats overlay (F3), built after them, panels shown or not."""
    scene.output = OutputPanel(scene)
    scene.help_panel = HelpPanel(scene)
    return [ClassesPanel(scene), scene.output, ModelPanel(scene), scene.help_panel], StatsPanel(scene)


class ReadOnlyViews:
    """Mixed into ExplorerScene: `scene.state` is the truth; these read it."""

    @property
    def bundle(self):
        """The installed bundle; before `start`, the one the scene was made with."""
        installed = self.state.model.bundle
        return self._first_bundle if installed is None else installed

    @property
    def path(self):
        """The walk (scenes/explorer/walk/path.py): control points, curve settings, traversal."""
        return self.state.walk.path

    @property
    def hovered_index(self) -> int | None:
        return self.state.pointer.hovered

    @property
    def pointer(self) -> tuple[int, int] | None:
        return self.state.pointer.position

    @property
    def selected_index(self) -> int | None:
        return self.state.selection.index

    @property
    def highlighted(self) -> np.ndarray:
        """bool per class; False: dimmed."""
        return self.state.highlight.as_array()

    @property
    def point_size(self) -> float:
        return self.state.style.point_size

    @property
    def ui_visible(self) -> bool:
        return self.state.ui.panels_visible

    @property
    def model_error(self) -> str | None:
        return self.state.model.error

    @property
    def model_loading(self) -> str | None:
        """The model being loaded in the background, if any."""
        return self.loader.loading

    @property
    def output_caption(self) -> str:
        return self.state.output.caption

    @property
    def decoded_slot(self):
        return self.outputs.decoded_slot

    @property
    def real_slot(self):
        return self.outputs.real_slot

    @property
    def output_shows_point(self) -> bool:
        return self.outputs.shows_point

    @property
    def hover_latency_frames(self) -> int | None:
        return self.outputs.hover_latency_frames

    @property
    def layer(self):
        """The cached 3-d layer's framebuffer (None until a layer was kept)."""
        return self.layer_cache.framebuffer

    @property
    def layer_reuses(self) -> int:
        return self.layer_cache.reuses

    @property
    def frame_index(self) -> int:
        return self.app.frame_index if self.app is not None else 0
