"""Panel "Model": the bundled models, any bundle folder by path (or dropped on the window), and why
the last load failed; switching happens in the running scene, without a restart: the bundle loads in
the background ("loading ..." meanwhile) and the current model stays until the new one is ready."""
from __future__ import annotations

from typing import TYPE_CHECKING

from imgui_bundle import imgui

from latentwalk.scenes.explorer.core.commands import LoadModel, SwitchLayout
from latentwalk.scenes.explorer.panels import error_line, note_line, window_rect
from latentwalk.scenes.explorer.panels.layout import begin_panel, layout_of
from latentwalk.scenes.explorer.panels.path import ItemRects, remember_item
from latentwalk.vae.bundle import list_bundled_models

if TYPE_CHECKING:
    from latentwalk.scenes.explorer.scene import ExplorerScene


class ModelPanel:
    title = "Model"
    submits = (LoadModel,)  # what it is for: a kiosk leaves it out where these are refused

    def __init__(self, scene: "ExplorerScene") -> None:
        self.scene = scene
        self.path_text = ""
        self.bundled = list_bundled_models()
        self.rect = (0.0, 0.0, 0.0, 0.0)
        self.layout = layout_of(scene)
        self.item_rects: ItemRects = {}

    def build(self) -> None:
        scene = self.scene
        imgui.set_next_window_collapsed(True, imgui.Cond_.first_use_ever)
        expanded = begin_panel(self)[0]
        self.rect = window_rect()
        if expanded:
            bundle = scene.bundle
            imgui.text(f"{bundle.path.name}: {len(bundle.latents):,} points, d = {bundle.latent_dim}, "
                       f"{bundle.image_shape[0]}x{bundle.image_shape[1]}")
            if scene.installed.projection.method == "pca":
                explained = ", ".join(f"{100 * v:.0f}%" for v in scene.installed.projection.explained)
                note_line(f"shown through PCA ({explained} of the variance)")
            self._layouts()
            imgui.separator()
            imgui.text("bundled models")
            imgui.same_line()
            if imgui.small_button("refresh"):
                self.bundled = list_bundled_models()
            for name in self.bundled:
                if imgui.selectable(name, bundle.path.name == name)[0]:
                    scene.submit(LoadModel(name))
                remember_item(self.item_rects, f"model {name}")
            if not self.bundled:
                note_line("none (see README: train or import one)")
            imgui.push_item_width(imgui.get_font_size() * 16)
            entered, self.path_text = imgui.input_text("##bundle path", self.path_text,
                                                       imgui.InputTextFlags_.enter_returns_true)
            imgui.pop_item_width()
            imgui.same_line()
            clicked = imgui.button("Load")
            remember_item(self.item_rects, "load")
            if (clicked or entered) and self.path_text.strip():
                scene.submit(LoadModel(self.path_text.strip()))
            note_line("or drop a bundle folder on the window")
            if scene.loader.loading is not None:
                note_line(f"loading {scene.loader.loading} ...")
            if scene.state.model.error:
                error_line(scene.state.model.error)
        imgui.end()

    def _layouts(self) -> None:
        """The bundle's layouts (`latentwalk project` makes them); choosing one flies the points there."""
        layouts = getattr(self.scene, "layouts", None)
        if layouts is None:
            return
        imgui.text("layouts")
        for name in ["", *layouts.available]:
            if imgui.selectable(layouts.label(name), layouts.current == name)[0] and layouts.current != name:
                self.scene.submit(SwitchLayout(name))
            remember_item(self.item_rects, f"layout {name}")
        if not layouts.available:
            note_line("more with: latentwalk project --model M --method umap")
        if layouts.note:
            error_line(layouts.note)
