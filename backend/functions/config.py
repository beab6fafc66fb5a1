"""Settings of the application's functions and jobs, read once from the environment.

Beside the local stack the URL, key, public URL and state folder come from the stack
(`for_local_stack`); on their own (`cityloop functions serve`) from SUPABASE_URL,
SUPABASE_SERVICE_ROLE_KEY, CITYLOOP_FUNCTIONS_URL and CITYLOOP_HOME.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from shared.config import city_tz_name

DEFAULT_FUNCTIONS_PORT = 54331


def _seconds(env: Mapping[str, str], name: str, default: float) -> float:
    """A non-negative interval; 0 switches the job off."""
    value = env.get(name, "").strip()
    try:
        return max(0.0, float(value)) if value else default
    except ValueError:
        raise ValueError(f"{name} must be a number of seconds, got {value!r}") from None


@dataclass(frozen=True)
class FunctionsSettings:
    supabase_url: str  # the Supabase API the functions and jobs call
    service_role_key: str
    public_url: str  # where payers and providers reach the functions (checkout pages, notifications)
    home: Path  # the sandbox provider's books and secret
    host: str = "127.0.0.1"
    port: int = DEFAULT_FUNCTIONS_PORT
    escalation_interval_s: float = 5.0  # CITYLOOP_ESCALATION_INTERVAL
    payments_interval_s: float = 30.0  # CITYLOOP_PAYMENTS_INTERVAL
    payments_grace_s: int = 60  # CITYLOOP_PAYMENTS_GRACE: how long a notification may take
    care_scan_interval_s: float = 900.0  # CITYLOOP_CARE_SCAN_INTERVAL
    care_escalation_interval_s: float = 60.0  # CITYLOOP_CARE_ESCALATION_INTERVAL
    sms_interval_s: float = 10.0  # CITYLOOP_SMS_INTERVAL
    city_tz: str = "Asia/Shanghai"  # CITYLOOP_TZ (shared/config.py)
    max_json_depth: int = 64  # CITYLOOP_MAX_JSON_DEPTH, as the gateway's

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None, *, supabase_url: str | None = None,
                     service_role_key: str | None = None, public_url: str | None = None,
                     home: Path | None = None) -> "FunctionsSettings":
        env = os.environ if environ is None else environ
        url = (supabase_url or env.get("SUPABASE_URL", "")).strip().rstrip("/")
        key = (service_role_key or env.get("SUPABASE_SERVICE_ROLE_KEY", "")).strip()
        if not (url and key):
            raise ValueError("SUPABASE_URL and SUPABASE_SERVICE_ROLE_KEY must be set")
        host = env.get("CITYLOOP_FUNCTIONS_HOST", "").strip() or "127.0.0.1"
        port = int(env.get("CITYLOOP_FUNCTIONS_PORT", "").strip() or DEFAULT_FUNCTIONS_PORT)
        return cls(
            supabase_url=url, service_role_key=key,
            public_url=(public_url or env.get("CITYLOOP_FUNCTIONS_URL", "").strip() or f"http://{host}:{port}").rstrip("/"),
            home=home or Path(env.get("CITYLOOP_HOME") or Path.cwd() / ".cityloop").absolute(),
            host=host, port=port,
            escalation_interval_s=_seconds(env, "CITYLOOP_ESCALATION_INTERVAL", 5.0),
            payments_interval_s=_seconds(env, "CITYLOOP_PAYMENTS_INTERVAL", 30.0),
            payments_grace_s=int(_seconds(env, "CITYLOOP_PAYMENTS_GRACE", 60)),
            care_scan_interval_s=_seconds(env, "CITYLOOP_CARE_SCAN_INTERVAL", 900.0),
            care_escalation_interval_s=_seconds(env, "CITYLOOP_CARE_ESCALATION_INTERVAL", 60.0),
            sms_interval_s=_seconds(env, "CITYLOOP_SMS_INTERVAL", 10.0),
            city_tz=city_tz_name(env),
            max_json_depth=max(1, int(env.get("CITYLOOP_MAX_JSON_DEPTH", "").strip() or 64)),
        )


SERVICE_KEYS = ("SUPABASE_URL", "SUPABASE_SERVICE_ROLE_KEY")


def command_environ(keys: tuple[str, ...] = SERVICE_KEYS, environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """What a `cityloop` command talks to: `keys` (e.g. SUPABASE_URL, SUPABASE_SERVICE_ROLE_KEY) from the
    environment when all are set, else the local stack's values for those missing."""
    env = os.environ if environ is None else environ
    if all(env.get(k) for k in keys):
        return {k: env[k] for k in keys}
    from backend.local_supabase.stack import Stack

    local = Stack.from_environ().env()
    return {k: env.get(k) or local[k] for k in keys}
