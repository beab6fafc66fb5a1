"""`cityloop functions serve`: the application's functions and jobs on their own, beside any Supabase.

Serves the payment functions (`/functions/v1/payments-checkout`, `/functions/v1/payments-notify/{provider}`)
and the sandbox provider's pages on CITYLOOP_FUNCTIONS_HOST:CITYLOOP_FUNCTIONS_PORT, and runs the jobs
(escalations, payments reconciliation, care watch, SMS) against SUPABASE_URL with
SUPABASE_SERVICE_ROLE_KEY: the same composition (host.py) the local stack's gateway serves.
`GET /health` answers each job's passes and failures. See docs/production.md.
"""

from __future__ import annotations

import contextlib
import logging

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from .config import FunctionsSettings
from .host import Functions


def create_functions_app(functions: Functions) -> Starlette:
    async def health(request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok", "jobs": functions.status()})

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette):
        await functions.start()
        try:
            yield
        finally:
            await functions.stop()

    return Starlette(routes=[Route("/health", health), *functions.routes()], lifespan=lifespan)


def serve(settings: FunctionsSettings) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("cityloop.functions").info("functions on %s:%s, jobs against %s", settings.host,
                                                 settings.port, settings.supabase_url)
    uvicorn.run(create_functions_app(Functions(settings)), host=settings.host, port=settings.port,
                log_level="warning", access_log=False, lifespan="on", server_header=False)
