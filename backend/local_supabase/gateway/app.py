"""Starlette application: wires the services under their Supabase paths.

Generic: the application's functions and jobs come in as `extensions` (gateway/extensions.py)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence

import psycopg
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Mount, Route

from .. import postgres
from ..auth.routes import auth_routes
from ..config import Secrets, Settings, load_secrets
from ..realtime.service import RealtimeService
from ..rest.routes import rest_routes
from ..sms_sink.routes import sink_routes
from ..storage.errors import route_error
from ..storage.paths import Layout
from ..storage.routes import storage_routes
from ..storage.sweep import sweep
from ..rest.schema_cache import load_schema_cache
from .db import open_pool
from .extensions import Extension
from .keys import KeyVerifier
from .limits import BodyLimit
from .proxied import ProxiedClientCap
from .state import GatewayState

log = logging.getLogger("cityloop.gateway")


async def _health(request: Request) -> JSONResponse:
    state: GatewayState = request.app.state.gateway
    async with state.rest_pool.connection() as conn:
        await conn.execute("select 1")
    return JSONResponse({"status": "ok", "schemas": list(state.settings.exposed_schemas)})


async def _listen_for_reload(state: GatewayState, conninfo: str) -> None:
    """Reload the schema cache on `NOTIFY pgrst, 'reload schema'`, like PostgREST.

    Notifications that arrive while a reload runs are folded into one more reload: a burst
    of migrations or test tear-downs must not queue one full catalogue read per NOTIFY."""
    wanted = asyncio.Event()
    reloader = asyncio.create_task(_reload_when_wanted(state, wanted))
    try:
        while True:
            try:
                async with await psycopg.AsyncConnection.connect(conninfo, autocommit=True) as conn:
                    await conn.execute("listen pgrst")
                    wanted.set()  # anything may have changed while we were not listening
                    async for note in conn.notifies():
                        if note.payload in ("", "reload schema"):
                            wanted.set()
            except asyncio.CancelledError:
                raise
            except Exception:  # connection lost: retry
                log.exception("schema reload listener failed; retrying")
                await asyncio.sleep(1)
    finally:
        reloader.cancel()


async def _reload_when_wanted(state: GatewayState, wanted: asyncio.Event) -> None:
    while True:
        await wanted.wait()
        wanted.clear()
        try:
            await _reload(state)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("schema reload failed; the next NOTIFY retries")


async def _reload(state: GatewayState) -> None:
    async with state.rest_pool.connection() as conn:
        cache = await load_schema_cache(conn, state.settings.exposed_schemas)
    state.schema_cache = cache
    # Every transaction as a caller applies its role's own settings (gateway/db.py).
    state.rest_pool.role_settings = cache.role_settings


async def _sweep_storage(state: GatewayState) -> None:
    """What a crash left in the storage folder, removed before serving (storage/sweep.py); never fatal."""
    try:
        await sweep(Layout(state.settings.storage_dir), state.storage_pool, state.settings.storage_sweep_grace_s)
    except Exception:
        log.exception("storage sweep failed; serving anyway")


async def _http_error(request: Request, exc: HTTPException) -> JSONResponse:
    """Unmatched paths and methods answer in the service's own error shape, not plain text."""
    path = request.url.path
    if path.startswith("/storage/v1"):  # storage3 reads only Storage's own error shape
        return route_error(request.method, path, exc.status_code)
    if path.startswith("/rest/v1"):
        code = {404: "PGRST125", 405: "PGRST117"}.get(exc.status_code, "PGRST000")
        message = {404: f"Invalid path specified in request URL: {path}",
                   405: f"Unsupported HTTP method: {request.method}"}.get(exc.status_code, str(exc.detail))
        body = {"code": code, "details": None, "hint": None, "message": message}
    else:
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "unexpected_failure")
        body = {"code": code, "error_code": code, "message": str(exc.detail), "msg": str(exc.detail)}
    return JSONResponse(body, status_code=exc.status_code, headers=getattr(exc, "headers", None))


# As hosted Supabase's API gateway answers browsers: any origin, no cookies (keys travel in
# headers), the headers supabase-js sends, and the ones it reads back (counts, profiles).
CORS = Middleware(
    CORSMiddleware, allow_origins=["*"], allow_credentials=False,
    allow_methods=["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"], allow_headers=["*"],
    expose_headers=["Content-Range", "Content-Location", "Content-Profile", "Preference-Applied", "Location",
                    "Range-Unit", "Accept-Ranges", "Content-Disposition", "ETag"],
    max_age=3600)


def create_app(settings: Settings | None = None, secrets: Secrets | None = None,
               extensions: Sequence[Extension] = ()) -> Starlette:
    """The gateway; `extensions` are what the deployment serves and runs beside it (its functions and jobs)."""
    settings = settings or Settings.from_environ()
    secrets = secrets or load_secrets(settings, create=False)
    state = GatewayState(settings=settings, secrets=secrets, verifier=KeyVerifier(secrets.jwt_secret))
    realtime = state.realtime = RealtimeService()

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette):
        rest_url = postgres.role_url(settings, secrets, "authenticator", secrets.authenticator_password)
        auth_url = postgres.role_url(settings, secrets, "supabase_auth_admin", secrets.auth_admin_password)
        state.rest_pool = await open_pool(rest_url, min_size=2, max_size=settings.pool_size, name="rest")
        state.auth_pool = await open_pool(auth_url, min_size=1, max_size=4, name="auth")
        storage_url = postgres.role_url(settings, secrets, "supabase_storage_admin", secrets.storage_admin_password)
        state.storage_pool = await open_pool(storage_url, min_size=1, max_size=4, name="storage")
        await _reload(state)
        await _sweep_storage(state)
        listener = asyncio.create_task(_listen_for_reload(state, rest_url))
        await realtime.start(state)
        started: list[Extension] = []
        try:
            for extension in extensions:
                await extension.start()
                started.append(extension)
            yield
        finally:
            for extension in reversed(started):
                await extension.stop()
            await realtime.stop()
            listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await listener
            await state.rest_pool.close()
            await state.auth_pool.close()
            await state.storage_pool.close()

    app = Starlette(
        exception_handlers={HTTPException: _http_error},
        routes=[
            Route("/health", _health),
            Mount("/auth/v1", routes=auth_routes()),
            Mount("/rest/v1", routes=rest_routes()),
            Mount("/storage/v1", routes=storage_routes()),
            Mount("/sink/sms", routes=sink_routes()),
            *realtime.routes(),
            *(route for extension in extensions for route in extension.routes()),
        ],
        # CORS outermost, so a browser can read the limits' refusals too.
        middleware=[CORS, Middleware(ProxiedClientCap, state=state), Middleware(BodyLimit, settings=settings)],
        lifespan=lifespan,
    )
    app.state.gateway = state
    return app
