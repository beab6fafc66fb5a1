"""The gateway's payment routes: two Edge-Function-style endpoints and the sandbox provider's pages.

  POST /functions/v1/payments-checkout         {payment_id} with the payer's JWT -> {payment, checkout_url}
  POST /functions/v1/payments-notify/{provider} the provider's signed notification -> settles the payment
  GET  /sandbox-pay/checkout/{ref}              the sandbox's checkout page (pay / fail)
  GET  /sandbox-pay/font.otf                    the Chinese font the page uses (the apps' shipped subset)
  POST /sandbox-pay/checkout/{ref}/pay|fail     the payer decides; the sandbox notifies the backend
  POST /sandbox-pay/api/bills                   the sandbox utility's bill feed (service-role key)

On hosted Supabase the two functions are Edge Functions with the same contract (supabase-py's
`functions.invoke`); the notification handler uses the service role, never a superuser.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from backend.local_supabase.gateway.db import fetch_one_as_caller, headers_json
from backend.local_supabase.gateway.json_body import JsonBodyError, parse_json
from backend.local_supabase.gateway.keys import KeyError_
from backend.local_supabase.gateway.state import gateway_state

from . import sandbox
from .provider import PaymentProvider
from .settlement import PaymentError, handle_notification, open_checkout, pool_rpc

if TYPE_CHECKING:  # pragma: no cover
    from backend.local_supabase.gateway.state import GatewayState

_providers: dict[int, dict[str, PaymentProvider]] = {}


def gateway_providers(state: "GatewayState") -> dict[str, PaymentProvider]:
    """The providers this gateway talks to (the sandbox locally), made once per gateway."""
    if id(state) not in _providers:
        _providers[id(state)] = {sandbox.NAME: sandbox.provider_for(state.settings.home, state.settings.api_url)}
    return _providers[id(state)]


def _error(exc: PaymentError) -> JSONResponse:
    return JSONResponse({"error": exc.message, "code": exc.code, "message": exc.message}, status_code=exc.status)


async def _checkout(request: Request) -> Response:
    state = gateway_state(request)
    try:
        caller = state.verifier.caller(request)
    except KeyError_ as exc:
        return _error(PaymentError(401, exc.code, exc.message))
    if caller.user_id is None:
        return _error(PaymentError(401, "PT401", "sign in to pay"))
    try:
        body = parse_json(await request.body(), max_depth=state.settings.max_json_depth)
        payment_id = str(uuid.UUID(str(body["payment_id"])))
        provider = gateway_providers(state)[body.get("provider") or sandbox.NAME]
    except (ValueError, KeyError, TypeError):
        return _error(PaymentError(400, "PT400", "payment_id (a uuid) and a known provider are required"))
    # Read as the payer (RLS): nobody opens a checkout for someone else's payment.
    row = await fetch_one_as_caller(
        state.rest_pool, caller,
        "select to_jsonb(p), to_jsonb(b) from public.payments p join public.bills b on b.id = p.bill_id where p.id = %(id)s",
        {"id": payment_id}, method="POST", path=request.url.path, headers=headers_json(request.scope["headers"], state.client_address(request.scope)), read_only=True)
    if row is None:
        return _error(PaymentError(404, "PT404", "payment not found"))
    try:
        payment = await open_checkout(pool_rpc(state.rest_pool), provider, row[0], row[1])
    except PaymentError as exc:
        return _error(exc)
    return JSONResponse({"payment": payment, "checkout_url": payment["checkout_url"]})


async def _notify(request: Request) -> Response:
    state = gateway_state(request)
    provider = gateway_providers(state).get(request.path_params["provider"])
    if provider is None:
        return _error(PaymentError(404, "PT404", "unknown provider"))
    try:
        result = await handle_notification(pool_rpc(state.rest_pool), provider, request.headers, await request.body())
    except PaymentError as exc:
        return _error(exc)
    return JSONResponse({"code": "SUCCESS", "action": result["action"], "status": result["payment"]["status"]})


def _sandbox(request: Request) -> sandbox.SandboxProvider:
    return gateway_providers(gateway_state(request))[sandbox.NAME]  # type: ignore[return-value]


async def _sandbox_page(request: Request) -> Response:
    order = _sandbox(request).books.order(request.path_params["ref"])
    if order is None:
        return HTMLResponse("<h1>订单不存在 · No such order</h1>", status_code=404)
    return HTMLResponse(sandbox.checkout_page(order))


async def _sandbox_font(request: Request) -> Response:
    return FileResponse(sandbox.FONT_FILE, media_type="font/otf", headers={"Cache-Control": "public, max-age=86400"})


async def _sandbox_decide(request: Request) -> Response:
    provider = _sandbox(request)
    ref, decision = request.path_params["ref"], request.path_params["decision"]
    if decision not in ("pay", "fail"):
        return HTMLResponse("<h1>Not found</h1>", status_code=404)
    order = provider.books.decide(ref, "succeeded" if decision == "pay" else "failed")
    if order is None:
        return HTMLResponse("<h1>订单不存在 · No such order</h1>", status_code=404)
    if request.query_params.get("deliver") != "0" and order["state"] in ("succeeded", "failed"):
        await provider.deliver(order)
    return RedirectResponse(f"/sandbox-pay/checkout/{ref}", status_code=303)


async def _sandbox_bills(request: Request) -> Response:
    state = gateway_state(request)
    try:
        caller = state.verifier.caller(request)
    except KeyError_ as exc:
        return _error(PaymentError(401, exc.code, exc.message))
    if not caller.is_service:
        return _error(PaymentError(403, "PT403", "the bill feed needs the service-role key"))
    try:
        rows = parse_json(await request.body(), max_depth=state.settings.max_json_depth)
    except JsonBodyError:
        return _error(PaymentError(400, "PT400", "a JSON array of bills is required"))
    try:
        return JSONResponse(await pool_rpc(state.rest_pool)("import_bills", {"rows": rows}))
    except PaymentError as exc:
        return _error(exc)


def payment_routes() -> list[Route]:
    return [
        Route("/functions/v1/payments-checkout", _checkout, methods=["POST"]),
        Route("/functions/v1/payments-notify/{provider}", _notify, methods=["POST"]),
        Route("/sandbox-pay/font.otf", _sandbox_font, methods=["GET"]),
        Route("/sandbox-pay/checkout/{ref}", _sandbox_page, methods=["GET"]),
        Route("/sandbox-pay/checkout/{ref}/{decision}", _sandbox_decide, methods=["POST"]),
        Route("/sandbox-pay/api/bills", _sandbox_bills, methods=["POST"]),
    ]
