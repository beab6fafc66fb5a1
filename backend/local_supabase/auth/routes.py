"""`/auth/v1`: the GoTrue-compatible routes and the guard every request passes.

The guard checks the project API key first (the API gateway in front of
GoTrue does this on hosted Supabase), turns our `AuthError`s into GoTrue's
JSON, and turns anything unexpected into a plain 500 that leaks nothing.
"""

from __future__ import annotations

import logging
from typing import Awaitable, Callable, Mapping

import psycopg
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import Route

from . import account, admin, context, errors, phone, throttle, validation

Handler = Callable[[Request], Awaitable[Response]]

log = logging.getLogger("cityloop.auth")

_ALL_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


def _guarded(methods: Mapping[str, Handler]) -> Handler:
    """One endpoint per path: API key check, method dispatch, errors in GoTrue's shape."""

    async def endpoint(request: Request) -> Response:
        try:
            try:
                context.state(request).verifier.api_key(request)
            except context.key_error() as exc:
                code = "no_api_key" if "No API key" in exc.message else "invalid_api_key"
                raise errors.AuthError(401, code, f"{exc.message}. {exc.hint or ''}".strip()) from None
            handler = methods.get(request.method) or (methods.get("GET") if request.method == "HEAD" else None)
            if handler is None:
                raise errors.AuthError(405, "method_not_allowed",
                                       f"{request.method} is not allowed here; use {', '.join(methods)}",
                                       headers={"Allow": ", ".join(methods)})
            return await handler(request)
        except errors.AuthError as exc:
            return exc.response()
        except ClientDisconnect:  # gone, or its body cut off at the cap (gateway/limits.py answers that)
            return Response(status_code=400)
        except psycopg.DataError:
            # Input PostgreSQL cannot hold (a NUL character in text or JSON): the caller's to fix.
            log.warning("auth: value refused by the database on %s %s", request.method, request.url.path, exc_info=True)
            return errors.validation_failed("The request contains a value that cannot be stored "
                                            "(for example text with a NUL character)").response()
        except Exception:
            log.exception("auth: unexpected failure on %s %s", request.method, request.url.path)
            return errors.unexpected().response()

    return endpoint


async def _health(request: Request) -> Response:
    async with context.pool(request).connection() as conn:
        await conn.execute("select 1")
    return context.answer({"version": "cityloop-local", "name": "GoTrue",
                           "description": "GoTrue is a user registration and authentication API"})


async def _settings(request: Request) -> Response:
    # What the local stack offers: email (confirmed at once) and phone (by code) with password; nothing else.
    return context.answer({
        "external": {"anonymous_users": False, "email": True, "phone": True},
        "disable_signup": False,
        "mailer_autoconfirm": account.AUTOCONFIRM,
        "phone_autoconfirm": not phone.confirmations_on(request),
        "sms_provider": "",
        "saml_enabled": False,
    })


async def _recover(request: Request) -> Response:
    # Throttled like every request that would send something; the local stack sends no mail.
    await validation.read_body(request)
    throttle.count_request(request)
    raise errors.unprocessable("email_provider_disabled", "Password recovery by e-mail is not available on "
                                                          "the local stack: sign in with a code sent to your phone")


async def _not_found(request: Request) -> Response:
    raise errors.not_found("not_found", f"No auth endpoint at {request.url.path}")


def auth_routes() -> list[Route]:
    table: list[tuple[str, Mapping[str, Handler]]] = [
        ("/health", {"GET": _health}),
        ("/settings", {"GET": _settings}),
        ("/signup", {"POST": account.signup}),
        ("/token", {"POST": account.token}),
        ("/otp", {"POST": phone.otp}),
        ("/verify", {"POST": phone.verify}),
        ("/resend", {"POST": phone.resend}),
        ("/recover", {"POST": _recover}),
        ("/user", {"GET": account.get_user, "PUT": account.update_user}),
        ("/logout", {"POST": account.logout}),
        ("/admin/users", {"GET": admin.list_users, "POST": admin.create_user}),
        ("/admin/users/{user_id}", {"GET": admin.get_user, "PUT": admin.update_user, "DELETE": admin.delete_user}),
        # Last: anything else under /auth/v1 gets a JSON 404 (after the key check, like every path).
        ("/{path:path}", {m: _not_found for m in _ALL_METHODS}),
    ]
    return [Route(path, _guarded(methods), methods=_ALL_METHODS) for path, methods in table]

