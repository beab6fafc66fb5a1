"""The payment functions: two Edge-Function-style endpoints and the sandbox provider's pages.

  POST /functions/v1/payments-checkout         {payment_id} with the payer's JWT -> {payment, checkout_url}
  POST /functions/v1/payments-notify/{provider} the provider's signed notification -> settles the payment
  GET  /sandbox-pay/checkout/{ref}              the sandbox's checkout page (pay / fail)
  GET  /sandbox-pay/font.otf                    the Chinese font the page uses (the apps' shipped subset)
  POST /sandbox-pay/checkout/{ref}/pay|fail     the payer decides; the sandbox notifies the backend
  POST /sandbox-pay/api/bills                   the sandbox utility's bill feed (service-role key)

They reach the database only through the Supabase HTTP API, like an Edge Function: money facts
through the service-role RPCs, the payer's own reads with the payer's token (RLS decides), so the
same routes serve beside the local stack and beside hosted Supabase (`cityloop functions serve`).
"""

from __future__ import annotations

import hmac
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import httpx
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from backend.local_supabase.gateway.json_body import JsonBodyError, parse_json

from . import sandbox
from .provider import PaymentProvider
from .settlement import PaymentError, Rpc, handle_notification, open_checkout


@dataclass
class PaymentFunctions:
    """What the routes need: the API's URL, the providers, the service-role `rpc` and an HTTP client."""

    supabase_url: str
    service_role_key: str
    providers: Mapping[str, PaymentProvider]
    rpc: Callable[[], Rpc]  # the service-role RPC caller, once the host has started
    http: Callable[[], httpx.AsyncClient]
    max_json_depth: int = 64

    async def caller_user(self, request: Request) -> dict | None:
        """The signed-in user behind the request's token, as /auth/v1/user answers (None: not signed in)."""
        if not request.headers.get("authorization", "").lower().startswith("bearer "):
            return None
        answer = await self.http().get(f"{self.supabase_url}/auth/v1/user", headers=_as_caller(request))
        return answer.json() if answer.status_code == 200 else None

    async def read_as_caller(self, request: Request, payment_id: str) -> dict | None:
        """The payment with its bill, read with the caller's own token: RLS shows only their own."""
        answer = await self.http().get(
            f"{self.supabase_url}/rest/v1/payments",
            params={"select": "*,bill:bills(*)", "id": f"eq.{payment_id}"},
            headers={**_as_caller(request), "Accept-Profile": "public"})
        if answer.status_code != 200:
            body = answer.json() if answer.headers.get("content-type", "").startswith("application/json") else {}
            raise PaymentError.from_code(body.get("code"), body.get("message") or answer.text[:200])
        rows = answer.json()
        return rows[0] if rows else None


def _as_caller(request: Request) -> dict[str, str]:
    """The caller's own key and token, and their address appended to X-Forwarded-For as a proxy does
    (believed by the API only when this server is one of its trusted proxies)."""
    authorization = request.headers["authorization"]
    peer = request.client.host if request.client else ""
    forwarded = ", ".join(a for a in (request.headers.get("x-forwarded-for", "").strip(), peer) if a)
    headers = {"apikey": request.headers.get("apikey") or authorization[7:].strip(), "Authorization": authorization}
    if forwarded:
        headers["X-Forwarded-For"] = forwarded
    return headers


def _error(exc: PaymentError) -> JSONResponse:
    return JSONResponse({"error": exc.message, "code": exc.code, "message": exc.message}, status_code=exc.status)


def payment_routes(functions: PaymentFunctions) -> list[Route]:
    async def checkout(request: Request) -> Response:
        if await functions.caller_user(request) is None:
            return _error(PaymentError(401, "PT401", "sign in to pay"))
        try:
            body = parse_json(await request.body(), max_depth=functions.max_json_depth)
            payment_id = str(uuid.UUID(str(body["payment_id"])))
            provider = functions.providers[body.get("provider") or sandbox.NAME]
        except (ValueError, KeyError, TypeError, JsonBodyError):
            return _error(PaymentError(400, "PT400", "payment_id (a uuid) and a known provider are required"))
        try:
            row = await functions.read_as_caller(request, payment_id)
            if row is None:
                return _error(PaymentError(404, "PT404", "payment not found"))
            bill = row.pop("bill")
            payment = await open_checkout(functions.rpc(), provider, row, bill)
        except PaymentError as exc:
            return _error(exc)
        return JSONResponse({"payment": payment, "checkout_url": payment["checkout_url"]})

    async def notify(request: Request) -> Response:
        provider = functions.providers.get(request.path_params["provider"])
        if provider is None:
            return _error(PaymentError(404, "PT404", "unknown provider"))
        try:
            result = await handle_notification(functions.rpc(), provider, request.headers, await request.body())
        except PaymentError as exc:
            return _error(exc)
        return JSONResponse({"code": "SUCCESS", "action": result["action"], "status": result["payment"]["status"]})

    def the_sandbox() -> sandbox.SandboxProvider:
        return functions.providers[sandbox.NAME]  # type: ignore[return-value]

    async def sandbox_page(request: Request) -> Response:
        order = the_sandbox().books.order(request.path_params["ref"])
        if order is None:
            return HTMLResponse("<h1>订单不存在 · No such order</h1>", status_code=404)
        return HTMLResponse(sandbox.checkout_page(order))

    async def sandbox_font(request: Request) -> Response:
        return FileResponse(sandbox.FONT_FILE, media_type="font/otf", headers={"Cache-Control": "public, max-age=86400"})

    async def sandbox_decide(request: Request) -> Response:
        provider = the_sandbox()
        ref, decision = request.path_params["ref"], request.path_params["decision"]
        if decision not in ("pay", "fail"):
            return HTMLResponse("<h1>Not found</h1>", status_code=404)
        order = provider.books.decide(ref, "succeeded" if decision == "pay" else "failed")
        if order is None:
            return HTMLResponse("<h1>订单不存在 · No such order</h1>", status_code=404)
        if request.query_params.get("deliver") != "0" and order["state"] in ("succeeded", "failed"):
            await provider.deliver(order)
        return RedirectResponse(f"/sandbox-pay/checkout/{ref}", status_code=303)

    async def sandbox_bills(request: Request) -> Response:
        # The feed is the utility's own: only the service-role key may post to it.
        if not hmac.compare_digest(request.headers.get("authorization", "").encode(),
                                   f"Bearer {functions.service_role_key}".encode()):
            return _error(PaymentError(403, "PT403", "the bill feed needs the service-role key"))
        try:
            rows = parse_json(await request.body(), max_depth=functions.max_json_depth)
        except JsonBodyError:
            return _error(PaymentError(400, "PT400", "a JSON array of bills is required"))
        try:
            return JSONResponse(await functions.rpc()("import_bills", {"rows": rows}))
        except PaymentError as exc:
            return _error(exc)

    return [
        Route("/functions/v1/payments-checkout", checkout, methods=["POST"]),
        Route("/functions/v1/payments-notify/{provider}", notify, methods=["POST"]),
        Route("/sandbox-pay/font.otf", sandbox_font, methods=["GET"]),
        Route("/sandbox-pay/checkout/{ref}", sandbox_page, methods=["GET"]),
        Route("/sandbox-pay/checkout/{ref}/{decision}", sandbox_decide, methods=["POST"]),
        Route("/sandbox-pay/api/bills", sandbox_bills, methods=["POST"]),
    ]
