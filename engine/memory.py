"""Handing freed memory back to the operating system.

glibc keeps what a program frees for its next allocations, and a software GL driver frees a lot
after a big draw (llvmpipe's binned primitives, tens of MB at a million points); numpy's temporaries
from one-off work (a sort over every point) do the same. The resident size then stays at its peak
although nothing uses it. Two remedies, both glibc-only and harmless elsewhere:

- `map_big_blocks()`, once at start: every block of 1 MB or more gets its own mapping, returned to
  the system the moment it is freed. By default glibc raises that limit to the largest block freed
  so far (up to 32 MB), after which a million points' worth of temporaries lands on the heap and
  stays there: 1M points cost 85 bytes each beyond their latents, 26 with this (bench_startup.py).
- `return_free_memory()`: hand back the heap's free pages; a scene calls it when a burst of work
  has ended, never per frame (it walks the heap: ~1 ms).
"""
from __future__ import annotations

import ctypes
import ctypes.util
import sys

BIG_BLOCK = 1 << 20
_M_MMAP_THRESHOLD = -3  # mallopt's parameter number in glibc's malloc.h

_trim = _mallopt = None
if sys.platform.startswith("linux"):
    try:
        _libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        _trim = _libc.malloc_trim  # glibc only: musl and others have none, and nothing is lost
        _trim.argtypes, _trim.restype = [ctypes.c_size_t], ctypes.c_int
        _mallopt = _libc.mallopt
        _mallopt.argtypes, _mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    except (OSError, AttributeError):
        _trim = _mallopt = None

trims = 0  # how often memory was handed back (tests check the moments are reached)
big_blocks_mapped = False


def map_big_blocks(threshold: int = BIG_BLOCK) -> bool:
    """Give blocks of `threshold` bytes or more their own mapping, so freeing one returns it (module
    docstring); True when the C library took the setting. Safe to call more than once."""
    global big_blocks_mapped
    if _mallopt is None:
        return False
    big_blocks_mapped = bool(_mallopt(_M_MMAP_THRESHOLD, int(threshold)))
    return big_blocks_mapped


def return_free_memory() -> bool:
    """Give the C heap's free pages back to the system; True when the C library could."""
    global trims
    if _trim is None:
        return False
    trims += 1
    return bool(_trim(0))
