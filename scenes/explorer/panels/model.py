"""Panel "Model": the bundled models, any bundle folder by path (or dropped on the window), and why
the last load failed; switching happens in the running scene, without a restart: the bundle loads in
the background ("loading ..." meanwhile) and the current model stays until the new one is ready.
The bundle's layouts are listed (a click flies the points to one), and a new one is computed here:
method, seed and the method's main options, a progress bar and Cancel while a child process works."""
from __future__ import annotations

from typing import TYPE_CHECKING

from imgui_bundle import imgui

from latentwalk.scenes.explorer.core.commands import CancelLayout, ComputeLayout, LoadModel, SwitchLayout
from latentwalk.scenes.explorer.panels import error_line, note_line, window_rect
from latentwalk.scenes.explorer.panels.layout import begin_panel, layout_of
from latentwalk.scenes.explorer.panels.path import ItemRects, remember_item
from latentwalk.vae.bundle import list_bundled_models
from latentwalk.vae.layouts import DEFAULT_MIN_DIST, DEFAULT_NEIGHBORS, DEFAULT_PERPLEXITY, METHODS

PANEL_SEED = 0

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
        # the options of the next layout computed, `latentwalk project`'s defaults at first
        # index into METHODS: umap. A seed: the same layout again, and UMAP on one core leaves the other
        # to the window while the child works.
        self.method, self.seed = 1, PANEL_SEED
        self.neighbors, self.min_dist, self.perplexity = DEFAULT_NEIGHBORS, DEFAULT_MIN_DIST, DEFAULT_PERPLEXITY

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
        if layouts.note:
            error_line(layouts.note)
        self._new_layout(layouts)

    def _new_layout(self, layouts) -> None:
        """Compute another layout (a child process: the window stays responsive), or its progress."""
        scene = self.scene
        job = layouts.job
        # the options stay, greyed while a job runs, and its progress takes the button's row: nothing
        # below moves under the pointer that just clicked Compute
        imgui.begin_disabled(job is not None)
        width = imgui.get_font_size() * 6
        imgui.push_item_width(width)
        self.method = imgui.combo("##layout method", self.method, list(METHODS))[1]
        remember_item(self.item_rects, "layout method")
        imgui.same_line()
        self.seed = imgui.input_int("seed##layout", self.seed, 0)[1]
        if METHODS[self.method] == "umap":
            self.neighbors = imgui.input_int("neighbours##layout", self.neighbors, 0)[1]
            imgui.same_line()
            self.min_dist = imgui.input_float("min dist##layout", self.min_dist, 0.0, 0.0, "%.2f")[1]
        elif METHODS[self.method] == "tsne":
            self.perplexity = imgui.input_float("perplexity##layout", self.perplexity, 0.0, 0.0, "%.1f")[1]
        imgui.pop_item_width()
        imgui.end_disabled()
        if job is not None:
            imgui.progress_bar(job.fraction, imgui.ImVec2(imgui.get_font_size() * 14, 0),
                               f"{job.method}: {job.stage} {100 * job.fraction:.0f}%")
            remember_item(self.item_rects, "layout progress")
            imgui.same_line()
            if imgui.small_button("Cancel##layout"):
                scene.submit(CancelLayout())
            remember_item(self.item_rects, "cancel layout")
        else:
            self.item_rects.pop("layout progress", None)
            if imgui.button("Compute layout"):
                scene.submit(ComputeLayout(METHODS[self.method], int(self.seed), int(self.neighbors),
                                           float(self.min_dist), float(self.perplexity)))
            remember_item(self.item_rects, "compute layout")
        if isinstance(scene.refused, (ComputeLayout, CancelLayout)) and scene.last_refusal:
            error_line(scene.last_refusal)
        elif layouts.job_message:
            (error_line if layouts.job_failed else note_line)(layouts.job_message)
