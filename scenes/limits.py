"""Every cap on what a command line, a session or a config may ask for, in one place: each count,
duration, size and file length is checked against these before anything is allocated or read, and
refused in one line naming the argument or the file.

The caps are far above any real use and far below what would exhaust a machine; each says why its
value. The file-format caps of the model side (bundles, IDX files, JSON, pictures) live in
latentwalk.vae.safeio, since vae/ imports nothing of the application; they are repeated here so this
module lists them all.
"""
from __future__ import annotations

from latentwalk.vae.safeio import MAX_JSON_BYTES, MAX_NPY_BYTES, MAX_PICTURE_PIXELS  # noqa: F401 -- listed here
from latentwalk.vae.idx import MAX_IDX_BYTES  # noqa: F401

# -- record -----------------------------------------------------------------------------------------
MAX_FPS = 240.0  # beyond any display; a typo's 1e9 must not become a billion frames
MAX_FRAMES = 216_000  # two hours at 30 fps; each frame costs a few hundred bytes of plan up front
# the largest frame recorded or benched: 8K UHD (a frame is W x H x 3 bytes, several are in flight)
MAX_RENDER_SIZE = (7680, 4320)

# -- sessions ---------------------------------------------------------------------------------------
MAX_SESSION_BYTES = 4 << 20  # a session of MAX_CONTROL_POINTS free latents of 64 dims is ~3 MB
MAX_CONTROL_POINTS = 10_000  # a walk is something a person builds; the curve and panels stay interactive

# -- compare ----------------------------------------------------------------------------------------
MIN_COMPARE_SAMPLES = 2  # CKA of one sample is undefined (centred activations are all zero)
MAX_COMPARE_SAMPLES = 4000  # CKA keeps an N x N Gram matrix and N rows of every layer's activations

# -- bench ------------------------------------------------------------------------------------------
MAX_BENCH_POINTS = 10_000_000  # the synthetic cloud and its bundle are made in memory and in the temp folder
MAX_BENCH_SECONDS = 3600.0

# -- encode -----------------------------------------------------------------------------------------
ENCODE_CHUNK = 4096  # images converted to model inputs at a time: an IDX of millions is streamed

# -- seeds ------------------------------------------------------------------------------------------
MAX_SEED = 2**32 - 1  # what every generator we seed (numpy, torch, random) takes, on every platform

# -- kiosk ------------------------------------------------------------------------------------------
MAX_CONFIG_BYTES = 1 << 20  # a config is a page of settings
