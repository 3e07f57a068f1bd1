"""Kiosk endurance, fast: thousands of frames of tours and visits on a fast fake clock in a tiny window,
with flat GL object counts and flat memory once the bounded caches are full (they are made small
here so they fill early: the decoder's result cache and the undo history). Python memory is counted
in interpreter blocks and live objects (cheap and exact; tracemalloc would slow the run tenfold),
the process's as RSS with a margin for the allocator's noise."""
import gc
import os
import sys

import pygame

from latentwalk.engine.gl.census import gl_object_counts
from tests.kiosk_helpers import frames, kiosk, press, tiny_bundle  # noqa: F401

FRAME_SECONDS = 0.05  # 6 fixed steps a frame: 100 s of kiosk time per 2,000 frames
WARM_FRAMES = 600
SOAK_FRAMES = 1800
RSS_NOISE_BYTES = 24 * 2**20


def memory() -> tuple[int, int, int]:
    """(interpreter memory blocks, live gc-tracked objects, resident bytes), after a collection."""
    gc.collect()
    with open("/proc/self/statm") as statm:
        resident = int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    return sys.getallocatedblocks(), len(gc.get_objects()), resident


def run_with_visits(app, count: int, start: int) -> None:
    for frame in range(start, start + count):
        if frame % 600 == 300:  # a visitor every 30 s of kiosk time; the 2 s timeout brings the tour back
            press(pygame.K_k)
        frames(app, dt=FRAME_SECONDS)


def test_thousands_of_frames_keep_memory_and_gl_objects_flat(kiosk):
    app, scene = kiosk(size=(96, 72), idle_timeout=2.0, tour={"seconds": 3.0, "points": 3})
    explorer = scene.explorer
    explorer.decoder.worker.cache_size = 32
    explorer.history.limit = 10
    run_with_visits(app, WARM_FRAMES, 0)
    gl_before = gl_object_counts()
    tours_before, visits_before = scene.tour.tours_started, scene.handovers
    run_with_visits(app, SOAK_FRAMES // 2, WARM_FRAMES)
    blocks_middle, objects_middle, rss_middle = memory()
    run_with_visits(app, SOAK_FRAMES // 2, WARM_FRAMES + SOAK_FRAMES // 2)
    blocks_end, objects_end, rss_end = memory()
    assert app.running and scene.errors_logged == 0
    assert scene.tour.tours_started - tours_before >= 10 and scene.handovers - visits_before >= 3
    assert gl_object_counts() == gl_before
    # from the middle of the soak to its end: no growth beyond a little noise
    assert blocks_end - blocks_middle < 2000, f"{blocks_end - blocks_middle} more interpreter blocks"
    assert objects_end - objects_middle < 500, f"{objects_end - objects_middle} more live objects"
    assert rss_end - rss_middle < RSS_NOISE_BYTES, f"RSS grew by {(rss_end - rss_middle) / 2**20:.1f} MiB"
