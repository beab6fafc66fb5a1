"""Run the gateway in the foreground: `python -m backend.local_supabase.serve`."""

from __future__ import annotations

import logging

import uvicorn

from .config import Settings, load_secrets
from .gateway import create_app


def main() -> None:
    settings = Settings.from_environ()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    app = create_app(settings, load_secrets(settings, create=False))
    uvicorn.run(app, host=settings.api_host, port=settings.api_port, log_level="warning",
                access_log=False, loop="uvloop", http="httptools", lifespan="on")


if __name__ == "__main__":
    main()
