"""engine/memory.py on this machine's glibc: freed big blocks go back to the system at once, which is
what keeps a million-point explorer's resident size near what it uses (bench/bench_startup.py)."""
from __future__ import annotations

import sys

import numpy as np
import pytest

from latentwalk.engine import memory

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc is Linux's")


def resident_mb() -> float:
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


def test_a_freed_big_block_leaves_the_resident_size_at_once():
    assert memory.map_big_blocks() and memory.big_blocks_mapped
    # glibc's default would now keep blocks up to 30 MB on the heap after they are freed
    big = np.ones(30 << 18, np.float32)
    del big
    before = resident_mb()
    block = np.ones(20 << 18, np.float32)  # 20 MB, every page touched
    assert resident_mb() - before > 15
    del block
    assert resident_mb() - before < 5

