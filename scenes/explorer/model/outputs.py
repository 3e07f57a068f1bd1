"""What the Output panel shows, by one rule (state.output_owner): the person's most recent intent, a
hovered point, the selection or the walk (commands record the intent in state.intent). The tour, the gamepad
cursor and a drawn digit are selections (their `source` says which), so they plug into the same rule;
the caption names what is shown in the words the Neighbours panel uses too (state.shown_word).

Prepare phase, once a frame: `request()` asks the decoder for the hovered and the selected point (a
new request only when they changed; latest wins), right after the pick, so the decoder works while the
frame renders, and the scene's catch_up (after render, before the UI) shows a hover's image that came
meanwhile: the frame that hovers a point shows its image when the decoder is that fast. `show()` puts the owner's image in `decoded_slot`
(and the real training image in `real_slot`, when the data set is at hand) and records whose image
that is (`shown_owner`) and its `caption`. Those are prepare's findings, not explorer state: no
command sets them, and `version` moves when they change (the idle check compares it). Until the
owner's image arrives the panel keeps what it showed; with no owner at all it keeps the last point's
image, captioned "last hovered" when the pointer has left it, but a walk that is gone takes its image
with it.
`pending()` says what the frame shows that has not arrived yet (the deterministic mode waits on it).
"""
from __future__ import annotations

from typing import Callable, Hashable

import numpy as np

from latentwalk.engine.worker import WorkResult
from latentwalk.scenes.explorer.model.decoding import HOVER_CHANNEL, ImageSlot
from latentwalk.scenes.explorer.core.state import PLACE_SOURCE, output_owner, shown_word

SELECTION_CHANNEL = "selection"
WalkImage = Callable[[], "tuple[np.ndarray, str] | None"]


DECODING = "  (decoding...)"  # the first image can wait on torch's import and the model's load


LAST_HOVERED = "last hovered"  # the caption's word once the pointer has left the point it shows


class OutputImages:
    def __init__(self, scene) -> None:
        self.scene = scene
        self.decoded_slot = ImageSlot()
        self.real_slot = ImageSlot()
        self.walk_image: WalkImage = lambda: None  # the walk tools plug in (image, caption)
        self.walk_pending: Callable[[], bool] = lambda: False
        self.walk_latent: Callable[[], "tuple[np.ndarray, float] | None"] = lambda: None  # (latent, t) of its image
        self.shows_point = False  # the real training image beside the decoded one
        self.coming = ""  # what Output will show once its first image arrives, in words
        self.hover_latency_frames: int | None = None
        self.shown_owner: str | None = None  # one of OUTPUT_OWNERS whose image is in the slot, or None
        self.caption = ""
        self.version = 0  # moves when the slot, its owner, its caption or `coming` changed
        self._wanted: dict[str, Hashable | None] = {HOVER_CHANNEL: None, SELECTION_CHANNEL: None}
        self._arrived: dict[str, tuple[Hashable, object]] = {}  # channel -> (key, image or error)
        self._requested_frame = 0
        self._shown: tuple | None = None  # (owner, key, image object) in the slot now
        for channel in self._wanted:
            scene.decoder.subscribe(channel, self._receive)

    def reset(self) -> None:
        """Another model: nothing shown, nothing wanted."""
        self.decoded_slot.clear()
        self.real_slot.clear()
        self._wanted = dict.fromkeys(self._wanted)
        self._arrived.clear()
        self._shown = None
        self.shows_point = False
        self.coming = ""
        self.shown_owner, self.caption = None, ""
        self.version += 1

    def owner(self) -> str | None:
        """Who owns the Output image by the rule, now (its image may still be on its way)."""
        return output_owner(self.scene.state, self.walk_image() is not None)

    # -- requests ---------------------------------------------------------------------------------
    def request(self) -> None:
        state = self.scene.state
        hovered, selection = state.pointer.hovered, state.selection
        self._want(HOVER_CHANNEL, None if hovered is None else ("point", hovered))
        if selection.index is not None:
            self._want(SELECTION_CHANNEL, ("point", selection.index))
        elif selection.latent is not None:
            self._want(SELECTION_CHANNEL, ("z", np.asarray(selection.latent, np.float32).tobytes()),
                       selection.latent)
        else:
            self._want(SELECTION_CHANNEL, None)

    def _want(self, channel: str, key: Hashable | None, latent=None) -> None:
        if key == self._wanted[channel]:
            return
        self._wanted[channel] = key
        if key is None:
            return
        decoder = self.scene.decoder
        if key[0] == "point":
            decoder.request_point(key[1], channel)
        else:
            decoder.request_latent(np.asarray(latent, np.float32), channel, latest_only=True)
        if channel == HOVER_CHANNEL:
            self._requested_frame = self.scene.app.frame_index

    def _receive(self, result: WorkResult) -> None:
        if result.key == self._wanted.get(result.channel):
            self._arrived[result.channel] = (result.key, result.value if result.ok else result.error)

    # -- the image shown --------------------------------------------------------------------------
    def _owner_image(self, owner: str | None):
        """(key, image or None while on its way, caption, data-set index or None) of the owner."""
        scene, state = self.scene, self.scene.state
        if owner == "walk":
            image, caption = self.walk_image()
            return ("walk", id(image)), image, caption, None
        channel = HOVER_CHANNEL if owner == "hover" else SELECTION_CHANNEL
        key = self._wanted[channel]
        arrived = self._arrived.get(channel)
        image = arrived[1] if arrived is not None and arrived[0] == key else None
        image = image if isinstance(image, np.ndarray) else None
        index = key[1] if key[0] == "point" else None
        word = shown_word(owner, state.selection.source)
        if index is not None:
            caption = f"#{index}  class {scene.bundle.class_names[scene.bundle.labels[index]]}  ({word})"
        else:
            # a decoded place is no data point: the caption says so, lest it be read as one
            note = ", not a data point" if state.selection.source == PLACE_SOURCE else ""
            caption = f"{word}{note}: " + ", ".join(f"{v:.3g}" for v in state.selection.latent[:4])
        return key, image, caption, index

    def show(self) -> None:
        scene = self.scene
        owner = self.owner()
        if owner is None:
            if self.shown_owner == "walk":  # the walk is gone: so is its image
                self.decoded_slot.clear()
                self._shown = None
                self.shown_owner, self.caption = None, ""
                self.version += 1
            elif self.shown_owner == "hover":  # the pointer left the point: its image stays, said as such
                self.shown_owner = None
                self.caption = self.caption.replace(f"({shown_word('hover')})", f"({LAST_HOVERED})")
                self.version += 1
            return
        key, image, caption, index = self._owner_image(owner)
        if image is None:  # on its way: keep showing what is there, or say what is coming
            if self._shown is None and self.coming != caption + DECODING:
                self.coming = caption + DECODING
                self.version += 1
            return
        if self._shown != (owner, key, id(image)) or self.caption != caption:
            self.decoded_slot.show(image)
            training = scene.installed.training_images
            self.shows_point = index is not None and training is not None
            if self.shows_point:
                self.real_slot.show(training[index])
            if owner == "hover" and (self._shown is None or self._shown[1] != key):
                # frames drawn until it shows, the hovering frame included: 1 when that frame shows it
                self.hover_latency_frames = scene.app.frame_index - self._requested_frame + 1
            self._shown = (owner, key, id(image))
            self.shown_owner, self.caption = owner, caption
            self.version += 1

    def awaits_hover(self) -> bool:
        """The hovered point owns the Output image and its image has not arrived yet."""
        key, arrived = self._wanted[HOVER_CHANNEL], self._arrived.get(HOVER_CHANNEL)
        return key is not None and (arrived is None or arrived[0] != key) and self.owner() == "hover"

    def pending(self) -> str | None:
        """What this frame would show that has not arrived yet, in words; None when all is in."""
        owner = self.owner()
        if owner is None and self.walk_pending():
            return "the walk's image"
        if owner in ("hover", "selection"):
            channel = HOVER_CHANNEL if owner == "hover" else SELECTION_CHANNEL
            arrived = self._arrived.get(channel)
            if arrived is None or arrived[0] != self._wanted[channel]:
                return f"the {owner}'s image"
        elif owner == "walk" and self.walk_pending():
            return "the walk's image"
        return None

    @property
    def error(self) -> str | None:
        """The owner's decode error, if its request failed."""
        for channel in (HOVER_CHANNEL, SELECTION_CHANNEL):
            arrived = self._arrived.get(channel)
            if arrived is not None and isinstance(arrived[1], str) and arrived[0] == self._wanted[channel]:
                return arrived[1]
        return None

    def release(self) -> None:
        self.decoded_slot.release()
        self.real_slot.release()
