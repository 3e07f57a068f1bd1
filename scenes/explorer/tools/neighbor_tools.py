"""The k nearest training points of what the Output image shows, for the Neighbours panel.

- The first time the panel is shown for a model, its neighbour index (latentwalk.vae.neighbors, exact,
  in the full latent space) is built on a daemon thread; until it is ready the panel says so. Not
  before: at 1M points the index holds ~28 bytes a point, which nobody who never opens the panel needs.
- Prepare phase: when the subject changes (what the Output image shows, by its one rule: the hovered
  point, the selection, a data-set point or a free latent such as a drawn digit, or the walk's position
  whose image Output shows), the k nearest points are looked up (~0.1 ms on a 3-d model) and
  their pictures put in k image slots: the real training images when the data set is on disk, else the
  decoder's images, requested through the decoder worker (never decoded on the render thread). When
  Output shows nothing, the last list stays, so the pointer can travel to the panel.
- The panel (panels/neighbors.py) only draws this and submits Select + FlyTo for a clicked picture.

Attached to an ExplorerScene through its extension points only, like the walk and draw tools.
"""
from __future__ import annotations

import numpy as np

from latentwalk.engine.worker import WorkResult
from latentwalk.scenes.explorer.model.decoding import ImageSlot
from latentwalk.scenes.explorer.core.state import shown_word
from latentwalk.scenes.explorer.model.outputs import LAST_HOVERED
from latentwalk.scenes.explorer.walk.walk_tools import walk_caption
from latentwalk.vae.neighbors import NeighborsError, PendingIndex

NEIGHBOR_COUNT = 10
CHANNEL = "neighbors"  # one decoder channel per rank, latest only: a fast-moving hover leaves no backlog


def training_images_hint(dataset: str, data_dir, note: str | None) -> str:
    """One sentence for a person looking at decoded neighbours: why they are not the training images and
    how to get those (`latentwalk run --data-dir D`, or the folder `latentwalk train` downloads into)."""
    from latentwalk.vae.datasets import SPLIT_FILES, default_data_dir

    if note:  # --data-dir was given and did not fit: its own reason says what is wrong
        return f"Decoded, not the training images: {note.removeprefix('training images: ')}"
    files = f"the four IDX files ({SPLIT_FILES['train_images']}[.gz], ...)"
    if dataset.startswith("idx:"):
        return f"Decoded, not the training images: {dataset[4:]} does not hold {files}."
    return (f"Decoded, not the training images: their data set {dataset!r} is not on disk. Start with "
            f"`latentwalk run --data-dir D`, D a folder holding {files}, or let "
            f"`latentwalk train --dataset {dataset}` download them into {default_data_dir(dataset)}, "
            "where the explorer looks by default.")


class NeighborTools:
    def __init__(self, scene, count: int = NEIGHBOR_COUNT) -> None:
        from latentwalk.scenes.explorer.panels.neighbors import NeighborsPanel

        self.scene = scene
        self.count = count
        self.pending: PendingIndex | None = None  # the current model's index, built or being built
        self._latents: np.ndarray | None = None  # the current model's, until its index is asked for
        self.subject: tuple | None = None  # ("point", index) or ("latent", values): what the list is for
        self.caption = ""
        self.indices = np.zeros(0, np.int64)
        self.distances = np.zeros(0, np.float64)
        self.real_images = False  # the slots hold training images (else decoded ones)
        self.error: str | None = None  # a query that failed (one line)
        self.slots = [ImageSlot() for _ in range(count)]
        self.version = 0  # moves whenever what the panel shows changes
        self.drawn_version = -1  # the version the panel last drew
        self.panel = NeighborsPanel(scene, self)
        scene.panels.append(self.panel)
        scene.preparers.append(self.prepare)
        scene.model_listeners.append(self._on_model)
        for rank in range(count):
            scene.decoder.subscribe(f"{CHANNEL}{rank}", self._receive)
        if scene.bundle is not None:
            self._on_model(scene.bundle)

    @property
    def index(self):
        """The ready NeighborIndex of the current model, or None while it builds (or failed)."""
        return self.pending.index if self.pending is not None and self.pending.ready else None

    @property
    def build_error(self) -> str | None:
        return self.pending.error if self.pending is not None and self.pending.ready else None

    def _shown(self) -> bool:
        return (self.scene.state.ui.panels_visible and self.panel in self.scene.panels
                and self.panel.expanded)

    def wants_frames(self) -> bool:
        """Whether the shown panel waits for its index or has news the last frame lacked: the App is
        asked for frames while this holds (prepare asks when it starts)."""
        if not self._shown():
            return False
        building = self.pending is None or not self.pending.ready
        return building or self.version != self.drawn_version

    def ensure_index(self) -> None:
        """Start building the current model's index, unless it is built or under way."""
        if self.pending is None and self._latents is not None:
            self.pending = PendingIndex(self._latents)

    # -- model switches ------------------------------------------------------------------------------
    def _on_model(self, bundle) -> None:
        self.pending = None  # an older build still running is simply dropped
        self._latents = bundle.latents
        self.subject, self.caption, self.error = None, "", None
        self.indices, self.distances = np.zeros(0, np.int64), np.zeros(0, np.float64)
        for slot in self.slots:
            slot.clear()
        self.version += 1

    # -- prepare phase -------------------------------------------------------------------------------
    def _wanted_subject(self) -> tuple[tuple | None, str]:
        """What Output shows, by its rule (state.output_owner), named in its words (state.shown_word):
        the hovered or selected point, or the walk where its shown image was decoded."""
        scene = self.scene
        state, owner = scene.state, scene.output_images.owner()
        word = shown_word(owner, state.selection.source)
        if owner == "hover":
            return ("point", int(state.pointer.hovered)), f"#{state.pointer.hovered} ({word})"
        selection = state.selection
        if owner == "selection" and selection.index is not None:
            return ("point", int(selection.index)), f"#{selection.index} ({word})"
        if owner == "selection":
            return ("latent", tuple(float(v) for v in selection.latent)), f"the {word} point"
        shown = scene.output_images.walk_latent() if owner == "walk" else None
        if shown is not None:
            latent, t = shown
            return ("latent", tuple(float(v) for v in latent)), walk_caption(t, self.scene.bundle)
        return None, ""

    def prepare(self, alpha: float) -> None:
        if self._shown():
            self.ensure_index()
        self._ask_for_frames()
        index = self.index
        subject, caption = self._wanted_subject()
        hovered = f"({shown_word('hover')})"
        if subject is None and self.caption.endswith(hovered):  # as Output says: the list stays, named so
            self.caption = self.caption.replace(hovered, f"({LAST_HOVERED})")
            self.version += 1
        if index is None or subject is None or not self._shown():
            return  # a hidden panel asks the decoder for nothing; shown again, it catches up
        if subject == self.subject:
            if caption != self.caption:  # the same point, now selected after hovered (or back)
                self.caption = caption
                self.version += 1
            return
        self.subject, self.caption = subject, caption
        try:
            if subject[0] == "point":  # the point itself is the Output image: list the others
                found = index.query_index(subject[1], self.count + 1)
                self.indices, self.distances = found.indices[1:], found.distances[1:]
            else:
                found = index.query(subject[1], self.count)
                self.indices, self.distances = found.indices, found.distances
            self.error = None
        except NeighborsError as exc:
            self.indices, self.distances, self.error = np.zeros(0, np.int64), np.zeros(0, np.float64), str(exc)
        self._show_pictures()
        self.version += 1
        self._ask_for_frames()

    def _ask_for_frames(self) -> None:
        if self.wants_frames() and self.scene.app is not None:
            self.scene.app.frames.request_while(self.wants_frames)

    def _show_pictures(self) -> None:
        training = self.scene.installed.training_images
        self.real_images = training is not None
        for rank, (slot, point) in enumerate(zip(self.slots, self.indices)):
            if self.real_images:
                slot.show(training[point])
            else:
                slot.clear()  # until its decoded image arrives (the worker's cache answers repeats)
                self.scene.decoder.request_point(int(point), f"{CHANNEL}{rank}", latest_only=True)
        for slot in self.slots[len(self.indices):]:
            slot.clear()

    def _receive(self, result: WorkResult) -> None:
        """The decoder's image of a neighbour (main thread, from the decoder's pump in prepare)."""
        if self.real_images or not result.ok or result.key[0] != "point":
            return
        for slot, point in zip(self.slots, self.indices):
            if point == result.key[1]:
                slot.show(result.value)
                self.version += 1

    def missing_images_hint(self) -> str | None:
        """How to see the real training images, while the panel shows decoded ones."""
        if self.real_images or self.scene.bundle is None:
            return None
        return training_images_hint(self.scene.bundle.dataset, self.scene.data_dir, self.scene.installed.dataset_note)

    @property
    def waiting(self) -> int:
        """Neighbours whose picture has not arrived yet."""
        return sum(slot.texture_id is None for slot in self.slots[:len(self.indices)])

    def release(self) -> None:
        for rank in range(self.count):
            self.scene.decoder.unsubscribe(f"{CHANNEL}{rank}", self._receive)
        for slot in self.slots:
            slot.release()
