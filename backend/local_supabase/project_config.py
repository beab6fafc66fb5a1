"""What the local Auth reads from `backend/supabase/config.toml`, as the Supabase CLI does.

The CLI turns `[auth]`, `[auth.sms]` and `[auth.hook.send_sms]` into GoTrue's
environment when it starts the local stack; the same file is what `supabase
config push` sends to a hosted project. So the values live there once, and
`config.Settings` only lets an environment variable override them (tests use
that to shorten intervals). `env(NAME)` values are read from the environment,
as the CLI does, so no secret is written into the file.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

CONFIG_FILE = Path(__file__).resolve().parents[1] / "supabase" / "config.toml"
_ENV_REF = re.compile(r"^env\((\w+)\)$")
_DURATION = re.compile(r"^(\d+(?:\.\d+)?)(ms|s|m|h)?$")
_UNIT_S = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, None: 1.0}


@dataclass(frozen=True)
class AuthConfig:
    refresh_token_reuse_interval_s: int = 10
    sms_confirmations: bool = True
    sms_max_frequency_s: float = 60.0
    sms_otp_expiry_s: int = 300
    sms_otp_length: int = 6
    # Enabled: codes go to `send_sms_hook_uri`; disabled, the local stack's own SMS sink gets them.
    send_sms_hook_enabled: bool = False
    send_sms_hook_uri: str = ""
    send_sms_hook_secret: str = ""  # "" means: the stack's generated secret


def duration_s(value: Any) -> float:
    """`"60s"`, `"5m"`, `"500ms"` or a plain number of seconds (the CLI's Go durations, simple forms)."""
    if isinstance(value, (int, float)):
        return float(value)
    m = _DURATION.fullmatch(str(value).strip())
    if not m:
        raise ValueError(f"config.toml: {value!r} is not a duration such as \"60s\"")
    return float(m.group(1)) * _UNIT_S[m.group(2)]


def _resolve(value: Any, environ: Mapping[str, str]) -> str:
    text = "" if value is None else str(value)
    m = _ENV_REF.fullmatch(text.strip())
    return environ.get(m.group(1), "") if m else text


def load_auth_config(path: Path = CONFIG_FILE, environ: Mapping[str, str] | None = None) -> AuthConfig:
    env = os.environ if environ is None else environ
    if not path.exists():
        return AuthConfig()
    with path.open("rb") as fh:
        auth = tomllib.load(fh).get("auth", {})
    sms, hook = auth.get("sms", {}), auth.get("hook", {}).get("send_sms", {})
    default = AuthConfig()
    return AuthConfig(
        refresh_token_reuse_interval_s=int(auth.get("refresh_token_reuse_interval",
                                                    default.refresh_token_reuse_interval_s)),
        sms_confirmations=bool(sms.get("enable_confirmations", default.sms_confirmations)),
        sms_max_frequency_s=duration_s(sms.get("max_frequency", default.sms_max_frequency_s)),
        sms_otp_expiry_s=int(sms.get("otp_expiry", default.sms_otp_expiry_s)),
        sms_otp_length=int(sms.get("otp_length", default.sms_otp_length)),
        send_sms_hook_enabled=bool(hook.get("enabled", False)),
        send_sms_hook_uri=_resolve(hook.get("uri"), env),
        send_sms_hook_secret=_resolve(hook.get("secrets"), env),
    )
