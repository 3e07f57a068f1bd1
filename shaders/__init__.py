"""GLSL sources, shipped as package data so the installed command finds them anywhere."""
from pathlib import Path

SHADER_DIR = Path(__file__).resolve().parent
