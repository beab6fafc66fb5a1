"""`/sink/sms`: the Send-SMS hook target, a tiny messages API, and a page for people.

- `POST /hook` takes GoTrue's Send-SMS hook call (standard-webhooks signature checked).
- `POST /messages` `{"phone", "body", "sender"?}` with the service-role key: the
  application's own local SMS provider posts its messages here.
- `GET /messages[?phone=N]` with the service-role key: newest first.
- `GET /` an HTML list, answered only to loopback peers (never through a proxy header).
"""

from __future__ import annotations

import html
import ipaddress
import json
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from .. import webhooks
from ..config import sms_hook_secret
from .store import MAX_BODY, MAX_PHONE, MAX_SENDER, Outbox, normalise_phone

HOOK_SENDER = "CityLoop Auth"
MAX_REQUEST_BYTES = 64 * 1024


def code_text(otp: str) -> str:
    return f"【CityLoop】验证码 {otp}，请勿告诉他人。Your CityLoop code is {otp}. Do not share it."


def _outbox(request: Request) -> Outbox:
    state = request.app.state.gateway
    box = state.sms_outbox
    if box is None:
        box = state.sms_outbox = Outbox(state.settings.sms_outbox)
    return box


def _error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"code": code, "message": message}, status_code=status)


def _hook_error(status: int, message: str) -> JSONResponse:
    # The error shape GoTrue reads back from an HTTP hook.
    return JSONResponse({"error": {"http_code": status, "message": message}}, status_code=status)


async def _json_body(request: Request) -> tuple[bytes, Any]:
    raw = await request.body()
    if len(raw) > MAX_REQUEST_BYTES:
        raise ValueError("request body is too large")
    try:
        return raw, json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise ValueError("request body is not JSON") from None


def _is_service(request: Request) -> bool:
    verifier = request.app.state.gateway.verifier
    from ..gateway.keys import KeyError_  # late: the gateway package imports this one while loading

    try:
        return verifier.api_key(request).get("role") == "service_role" and verifier.caller(request).is_service
    except KeyError_:
        return False


async def hook(request: Request) -> Response:
    state = request.app.state.gateway
    secret = sms_hook_secret(state.settings, state.secrets)
    try:
        raw, payload = await _json_body(request)
    except ValueError as exc:
        return _hook_error(400, str(exc))
    try:
        webhooks.verify(secret, request.headers, raw)
    except webhooks.SignatureError as exc:
        return _hook_error(401, f"invalid webhook signature: {exc}")
    sms = payload.get("sms") if isinstance(payload, dict) else None
    user = payload.get("user") if isinstance(payload, dict) else None
    otp = sms.get("otp") if isinstance(sms, dict) else None
    if not isinstance(otp, str) or not otp or not isinstance(user, dict):
        return _hook_error(400, "expected {\"user\": {...}, \"sms\": {\"otp\": \"...\"}}")
    phone = (sms.get("phone") or user.get("new_phone") or user.get("phone") or "")
    if not isinstance(phone, str) or not normalise_phone(phone):
        return _hook_error(400, "the user has no phone number to send to")
    _outbox(request).add(phone, code_text(otp), HOOK_SENDER)
    return JSONResponse({})


async def post_message(request: Request) -> Response:
    if not _is_service(request):
        return _error(401, "not_service_role", "Posting to the SMS sink needs the service-role key "
                                               "(apikey and Authorization: Bearer)")
    try:
        _, payload = await _json_body(request)
    except ValueError as exc:
        return _error(400, "bad_json", str(exc))
    if not isinstance(payload, dict):
        return _error(400, "bad_json", "expected a JSON object")
    phone, body, sender = payload.get("phone"), payload.get("body"), payload.get("sender") or ""
    if not isinstance(phone, str) or not normalise_phone(phone) or len(phone) > MAX_PHONE:
        return _error(400, "validation_failed", "phone must be a phone number such as +8613800138000")
    if not isinstance(body, str) or not body.strip() or len(body) > MAX_BODY:
        return _error(400, "validation_failed", f"body must be text of 1 to {MAX_BODY} characters")
    if not isinstance(sender, str) or len(sender) > MAX_SENDER:
        return _error(400, "validation_failed", f"sender must be text of at most {MAX_SENDER} characters")
    message = _outbox(request).add(phone, body, sender)
    return JSONResponse(message.__dict__, status_code=201)


async def list_messages(request: Request) -> Response:
    if not _is_service(request):
        return _error(401, "not_service_role", "Reading the SMS sink needs the service-role key")
    phone = request.query_params.get("phone")
    return JSONResponse([m.__dict__ for m in _outbox(request).list(phone)])


def _loopback(request: Request) -> bool:
    """The socket peer and the client behind any trusted proxy are both this machine."""
    peer = request.scope.get("client")
    client = request.app.state.gateway.client_address(request.scope)
    try:
        return peer is not None and all(ipaddress.ip_address(a).is_loopback for a in (peer[0], client))
    except ValueError:
        return False


async def page(request: Request) -> Response:
    if not _loopback(request):
        return _error(403, "not_local", "The SMS sink page is shown on this machine only")
    rows = "".join(
        f"<tr><td>{html.escape(m.created_at)}</td><td>{html.escape(m.phone)}</td>"
        f"<td>{html.escape(m.sender)}</td><td>{html.escape(m.body)}</td></tr>"
        for m in _outbox(request).list(request.query_params.get("phone"), limit=200))
    return HTMLResponse(
        "<!doctype html><html lang=\"zh\"><head><meta charset=\"utf-8\"><title>短信 SMS sink</title></head>"
        "<body><h1>本地短信 Local SMS sink</h1><table border=\"1\" cellpadding=\"4\">"
        "<tr><th>时间 Time</th><th>号码 Phone</th><th>发送方 Sender</th><th>内容 Message</th></tr>"
        f"{rows or '<tr><td colspan=4>暂无短信 No messages yet</td></tr>'}</table></body></html>",
        headers={"Cache-Control": "no-store"})


def sink_routes() -> list[Route]:
    return [
        Route("/hook", hook, methods=["POST"]),
        Route("/messages", post_message, methods=["POST"]),
        Route("/messages", list_messages, methods=["GET"]),
        Route("/", page, methods=["GET"]),
    ]
