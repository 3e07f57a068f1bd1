"""Generic real-time engine: window, fixed-step loop, input, GL toolkit, ImGui, capture. Knows nothing of VAEs."""
import os as _os

# Before anything imports pygame: its banner would otherwise print on every import.
_os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
