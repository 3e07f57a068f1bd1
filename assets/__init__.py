"""Bundled data (models), shipped as package data."""
from pathlib import Path

ASSET_DIR = Path(__file__).resolve().parent
MODELS_DIR = ASSET_DIR / "models"
