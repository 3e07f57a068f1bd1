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


def publish(lines: list[str], out: Path) -> None:
    """Every bench ends the same way: print its table and write it under bench/results/."""
    table = "\n".join(lines) + "\n"
    print(table)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(table, encoding="utf-8")
    print(f"written to {out}")
