"""How the apps log: one format (level and logger named on every line), so a test reading an app's
log can tell an ERROR from the rest; the level from CITYLOOP_LOG_LEVEL (default WARNING)."""

from __future__ import annotations

import logging
from typing import Mapping

from shared.config import log_level

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def configure_logging(environ: Mapping[str, str] | None = None) -> None:
    logging.basicConfig(level=log_level(environ), format=FORMAT)
