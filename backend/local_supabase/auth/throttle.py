"""Which limits the auth routes apply, keyed how, and the 429 each one answers.

Sign-in: a wrong password is counted per (account, address) — that address is
refused once it used up `signin_account_failures`, so guesses never lock the
owner out from anywhere else — and per account from everywhere, which past
`signin_account_slowdown_after` only slows every answer for that account down
(spreading guesses over many addresses buys little, and nobody is locked out).
An account is its user id, so its e-mail and phone share one budget. Every
attempt also counts against its address (`signin_address_attempts`).

Requests that create accounts or send codes count per address per hour; codes
sent count per phone number per hour (the gap between two is [auth.sms]
max_frequency, checked against the stored code); code checks per address.
The address is always `GatewayState.limit_key` (trusted proxies only; IPv6 by its /64).
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request

from . import errors
from .context import limit_key as address
from .ratelimit import SlidingWindow

HOUR_S = 3600


@dataclass
class AuthLimits:
    signin_pair: SlidingWindow
    signin_account: SlidingWindow
    signin_address: SlidingWindow
    requests_address: SlidingWindow
    sms_phone: SlidingWindow
    verify_address: SlidingWindow


def limits(request: Request) -> AuthLimits:
    """Created on first use and kept for the life of the gateway process."""
    state = request.app.state.gateway
    found = state.auth_limits
    if found is None:
        cfg = state.settings
        found = AuthLimits(
            signin_pair=SlidingWindow(cfg.signin_account_failures, cfg.signin_window_s),
            signin_account=SlidingWindow(cfg.signin_account_slowdown_after, cfg.signin_window_s),
            signin_address=SlidingWindow(cfg.signin_address_attempts, cfg.signin_window_s),
            requests_address=SlidingWindow(cfg.signup_address_attempts, HOUR_S),
            sms_phone=SlidingWindow(cfg.sms_phone_hourly, HOUR_S),
            verify_address=SlidingWindow(cfg.verify_address_attempts, cfg.signin_window_s),
        )
        state.auth_limits = found
    return found


def _take(window: SlidingWindow, key: str, message: str, code: str = "over_request_rate_limit") -> None:
    wait = window.retry_after(key)
    if wait is not None:
        raise errors.too_many_requests(message, wait, code=code)
    window.hit(key)


def count_request(request: Request) -> None:
    """/signup, /otp, /resend, /recover: one more from this address."""
    _take(limits(request).requests_address, address(request),
          "Too many sign-up or code requests from this address.")


def count_verify(request: Request) -> None:
    _take(limits(request).verify_address, address(request), "Too many code checks from this address.")


def count_sms(request: Request, phone: str) -> None:
    _take(limits(request).sms_phone, phone, "Too many codes sent to this phone number.",
          code="over_sms_send_rate_limit")


def uncount_sms(request: Request, phone: str) -> None:
    """A send that did not happen (refused later, or the hook failed) gives its place back."""
    limits(request).sms_phone.release(phone)


@dataclass
class SigninTicket:
    """One password attempt's reservations, taken back if the password was right."""

    pair: str
    account: str
    slow: bool


def begin_signin(request: Request, account: str) -> SigninTicket:
    lim, addr = limits(request), address(request)
    _take(lim.signin_address, addr, "Too many sign-in attempts from this address.")
    pair = f"{account}|{addr}"
    wait = lim.signin_pair.retry_after(pair)
    if wait is not None:
        raise errors.too_many_requests("Too many failed sign-in attempts for this account from this address.", wait)
    slow = lim.signin_account.retry_after(account) is not None
    # Counted as failures now, before any await, so parallel guesses cannot overshoot.
    lim.signin_pair.hit(pair)
    lim.signin_account.hit(account)
    return SigninTicket(pair, account, slow)


def signin_succeeded(request: Request, ticket: SigninTicket) -> None:
    lim = limits(request)
    lim.signin_pair.release(ticket.pair)
    lim.signin_account.release(ticket.account)
