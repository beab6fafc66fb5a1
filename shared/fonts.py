"""The Simplified Chinese font both apps register (see assets/fonts/make_subset.py).

Plain paths and names only, so the apps share them without shared/ importing flet.
"""

from __future__ import annotations

from pathlib import Path

ASSETS_DIR = Path(__file__).resolve().parents[1] / "assets"
FONT_FAMILY = "Noto Sans SC"
# Relative to ASSETS_DIR: Flet serves assets at the web root.
FONT_ASSET = "fonts/NotoSansSC-Subset.otf"
