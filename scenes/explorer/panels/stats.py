"""The explorer's lines in the F3 stats overlay: points, picking and decoding. They go into the
engine's own "Stats" window (ImGui appends to a window begun twice in a frame), so one overlay
shows fps and the frame-time breakdown too."""
from __future__ import annotations

from typing import TYPE_CHECKING

from imgui_bundle import imgui

from latentwalk.engine.ui import stats_text
from latentwalk.scenes.explorer.core.commands import SetPointStyle
from latentwalk.scenes.explorer.panels import window_rect
from latentwalk.scenes.explorer.panels.layout import begin_panel, layout_of

if TYPE_CHECKING:
    from latentwalk.scenes.explorer.scene import ExplorerScene


class StatsPanel:
    title = "Stats"

    def __init__(self, scene: "ExplorerScene") -> None:
        self.scene = scene
        self.rect = (0.0, 0.0, 0.0, 0.0)
        self.layout = layout_of(scene)

    def build(self) -> None:
        scene = self.scene
        if scene.app is None or not scene.app.show_stats:
            return
        imgui.set_next_window_bg_alpha(0.6)
        expanded = begin_panel(self, None, imgui.WindowFlags_.no_focus_on_appearing)[0]
        self.rect = window_rect()
        if expanded:
            lines = stats_text.lines("explorer", self._lines)
            for line in lines[:2]:
                imgui.text(line)
            changed, prefilter = imgui.checkbox("CPU pick prefilter", scene.state.style.pick_prefilter)
            if changed:
                scene.submit(SetPointStyle(pick_prefilter=prefilter))
            for line in lines[2:]:
                imgui.text(line)
            imgui.separator()
        imgui.end()

    def _lines(self) -> list[str]:
        scene = self.scene
        picker, decoder = scene.picker, scene.decoder
        detail = scene.layer_cache.detail
        drawn = scene.installed.cloud.count if detail is None else detail.drawn
        stats = decoder.worker.stats
        latency = scene.output_images.hover_latency_frames
        return [f"points  {drawn:,} of {scene.installed.cloud.count:,} drawn, d = {scene.bundle.latent_dim}",
                f"pick    {picker.last_ms:6.2f} ms  ({picker.last_candidates:,} candidates)",
                f"decode  {decoder.last_batch_ms:6.2f} ms / batch of {decoder.last_batch_size} on {decoder.device}",
                f"        {stats.items} decoded, {stats.cache_hits} cached, {stats.dropped_stale} stale dropped",
                f"hover -> image  {'-' if latency is None else latency} frames"]
