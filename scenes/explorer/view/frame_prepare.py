"""Jobs of the explorer's prepare phase (scene.py): picking, only when something it depends on changed
(its finding is a command, PointHovered, which the scene applies); the catch-up after render that
shows a hover's image in the frame that hovered; the deterministic mode's bounded wait for the images
a frame shows; whether an idle frame may skip."""
from __future__ import annotations

import time

from latentwalk.scenes.errors import SceneError
from latentwalk.scenes.explorer.core.scene_commands import PointHovered
from latentwalk.scenes.explorer.model.decoding import HOVER_CHANNEL

# How long a drawn frame may wait, after render, for the hovered point's image, and only while the
# decoder's batches usually take under half of it: a small decoder (MNIST's, about a ms) then shows the
# image in the frame that hovered even when another process holds a core (the wait lets the worker have
# the GIL and the core at once); a slow one is never waited for.
HOVER_CATCH_UP_S = 0.008


def pick(scene, alpha: float, view_projection, view) -> PointHovered | None:
    """The point under the pointer, as the command that records it (the scene applies it), when the
    pointer, the view, the points' look or the model changed since the last pick; else None."""
    state = scene.state
    seen = (state.pointer.version, scene.view_cache.key(alpha), state.style.version, state.highlight.version,
            state.model.version)
    if state.pointer.position is None or seen == scene.picked_for:
        return None
    scene.picked_for = seen
    hovered = scene.picker.pick(scene.installed.cloud, scene.framebuffer_pixel(state.pointer.position),
                                view_projection, view, scene.style)
    scene.style.hovered = hovered
    return PointHovered(hovered)


def catch_up_hover(scene) -> None:
    """After render, before the UI: deliver the hover's image if the decoder finished it while the frame
    rendered (waiting at most scene.hover_catch_up_s, when the decoder usually takes under half of it)
    and show it. Only the
    hover channel is taken here; other results wait for the next prepare, which reacts to them."""
    outputs, decoder = scene.output_images, scene.decoder
    if not outputs.awaits_hover():
        return
    budget = scene.hover_catch_up_s
    fast = 0.0 < decoder.typical_batch_ms < budget * 1000.0 / 2
    if decoder.pump(timeout=budget if fast else 0.0, channels=(HOVER_CHANNEL,)):
        outputs.show()
        scene._drawn = shown_versions(scene)  # this frame shows it: no frame more for it


def wait_for_shown_images(scene, alpha: float) -> None:
    """Deterministic mode: pump the decoder until every image this frame shows has arrived; SceneError
    (one line) after `scene.deterministic_timeout` seconds."""
    deadline = time.monotonic() + scene.deterministic_timeout
    while (missing := scene.output_images.pending()) is not None:
        left = deadline - time.monotonic()
        if left <= 0:
            error = scene.decoder.last_error or scene.decoder.worker.last_error
            raise SceneError(f"deterministic frame {scene.app.frame_index}: {missing} did not arrive within "
                             f"{scene.deterministic_timeout:g} s" + (f" (decoder: {error})" if error else ""))
        scene.decoder.pump(timeout=min(left, 0.05))
        for preparer in list(scene.preparers):
            preparer(alpha)
        scene.output_images.show()


def wants_redraw(scene) -> bool:
    """True unless the last frame drawn still shows everything: no version moved since, nothing arrived,
    no command queued. What changes on its own in time (the camera's flight, a model loading, the
    layer's refinement, a worker's result, a message's expiry) asks the App for frames instead
    (app.frames, engine/frames.py)."""
    if scene.app is None or scene._arrived or scene._queue:
        return True
    return scene._drawn != shown_versions(scene)


def shown_versions(scene) -> tuple:
    """What a drawn frame shows, in versions (and the few App settings it depends on)."""
    app = scene.app
    return (scene.state.versions(), scene.output_images.version, scene.viewport, app.show_stats,
            tuple(app.clear_color), scene.decoder.results_seen)
