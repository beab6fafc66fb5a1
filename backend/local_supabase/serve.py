"""Run the gateway in the foreground: `python -m backend.local_supabase.serve [--app module:factory]`.

`--app` names the factory of the Starlette app to serve (default: this module's `app_factory`, the
bare stack); the `cityloop` command passes the one that composes the application's functions and
jobs beside the stack. `CITYLOOP_WORKERS` (default 1) starts several gateway processes on the same
port; each has its own pools, schema cache and change listener.
"""

from __future__ import annotations

import argparse
import logging

import uvicorn
from starlette.applications import Starlette

from .config import Settings, load_secrets
from .gateway import create_app

DEFAULT_APP = "backend.local_supabase.serve:app_factory"


def app_factory() -> Starlette:
    settings = Settings.from_environ()
    return create_app(settings, load_secrets(settings, create=False))


def main(argv: list[str] | None = None) -> None:
    args = argparse.ArgumentParser(prog="backend.local_supabase.serve")
    args.add_argument("--app", default=DEFAULT_APP, help="module:factory of the app to serve")
    app = args.parse_args(argv).app
    settings = Settings.from_environ()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    uvicorn.run(app, factory=True, workers=settings.workers,
                host=settings.api_host, port=settings.api_port, log_level="warning",
                access_log=False, loop="uvloop", lifespan="on",
                # httptools with the gateway's header deadline and connection caps (gateway/connections.py).
                http="backend.local_supabase.gateway.connections:GatewayProtocol",
                timeout_keep_alive=settings.keep_alive_s,
                # Bound to 127.0.0.1 behind nothing: no proxy headers to trust, and two
                # fewer headers to write per response.
                proxy_headers=False, server_header=False, date_header=False,
                # No permessage-deflate, as upstream Realtime (Phoenix's default): deflating each
                # subscriber's copy of a broadcast in the event loop stalled every request.
                ws_per_message_deflate=False, ws_max_size=settings.realtime.max_frame_bytes)


if __name__ == "__main__":
    main()
