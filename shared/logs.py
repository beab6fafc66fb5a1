"""How the apps log: one format (level and logger named on every line), so a test reading an app's
log can tell an ERROR from the rest; the level from CITYLOOP_LOG_LEVEL (default WARNING)."""

from __future__ import annotations

import logging
import os
from typing import Mapping

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def configure_logging(environ: Mapping[str, str] | None = None) -> None:
    env = os.environ if environ is None else environ
    level = env.get("CITYLOOP_LOG_LEVEL", "").strip().upper() or "WARNING"
    if level not in logging.getLevelNamesMapping():
        raise ValueError(f"CITYLOOP_LOG_LEVEL must be one of DEBUG, INFO, WARNING, ERROR, got {level!r}")
    logging.basicConfig(level=level, format=FORMAT)
