"""Imported first by every bench script (run as `python bench/NAME.py`): the project on sys.path and
a quiet, reproducible headless environment (no audio, no banner, UI scale 1, a throwaway imgui.ini)."""
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS_DIR = ROOT / "bench" / "results"

if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
os.environ.setdefault("LATENTWALK_UI_SCALE", "1")
os.environ.setdefault("LATENTWALK_CONFIG_DIR", tempfile.mkdtemp(prefix="latentwalk-bench-"))


def publish(lines: list[str], out: Path, *, write: bool = True) -> None:
    """Every bench ends the same way: print its table and write it under bench/results/ (unless told
    not to: a trial run)."""
    table = "\n".join(lines) + "\n"
    print(table)
    if not write:
        return
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(table, encoding="utf-8")
    print(f"written to {out}")


def spread(frame_ms) -> tuple[float, float, float]:
    """(p50, p95, p99) of frame times: every frame-time table prints all three, since a person notices
    the hitches, not the median."""
    from latentwalk.subcommands.bench import percentile

    return percentile(frame_ms, 50), percentile(frame_ms, 95), percentile(frame_ms, 99)


def load_note(before: float, after: float) -> str:
    """The machine's load beside the figures it moves (a shared machine)."""
    return f"load average {before:.1f} at the start, {after:.1f} at the end"
