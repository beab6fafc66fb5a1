"""Settings and generated secrets of the local Supabase-compatible stack.

Everything that changes between machines lives in the state folder
(`.cityloop/` in the working directory, or `CITYLOOP_HOME`): the database
files, the generated JWT secret and database passwords, storage files, logs.
Nothing secret is ever written to the repository.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Mapping

import jwt

from .client_address import parse_proxies
from .project_config import AuthConfig, duration_s, load_auth_config
from .realtime.limits import RealtimeLimits

DEFAULT_API_PORT = 54321
DEFAULT_DB_PORT = 54322
# Schemas served by /rest/v1, as `db.schemas` in PostgREST. `tests` is added by the test-suite.
DEFAULT_EXPOSED_SCHEMAS = ("public", "graphql_public")
# Keys are signed to last ten years, like `supabase start`'s demo keys.
KEY_LIFETIME_S = 10 * 365 * 24 * 3600
KEY_ISSUED_AT = 1767225600  # 2026-01-01
# Hosted Supabase's default upload limit on the free plan.
DEFAULT_STORAGE_MAX_BYTES = 50 * 1024 * 1024
# Request bodies of /rest, /auth and every other non-Storage route (GoTrue's own cap is 1 MB too).
DEFAULT_MAX_BODY_BYTES = 1024 * 1024


@dataclass(frozen=True)
class Settings:
    home: Path
    api_host: str = "127.0.0.1"
    api_port: int = DEFAULT_API_PORT
    db_port: int = DEFAULT_DB_PORT
    external_database_url: str | None = None
    exposed_schemas: tuple[str, ...] = DEFAULT_EXPOSED_SCHEMAS
    jwt_expiry_s: int = 3600
    # Sign-in throttling (password grant), all per `signin_window_s`: failed guesses on one
    # account from one address (that address is refused), failed guesses on one account from
    # everywhere (answers slow down by `signin_slowdown_s`, nobody is refused), attempts per address.
    signin_account_failures: int = 10
    signin_account_slowdown_after: int = 50
    signin_slowdown_s: float = 2.0
    signin_address_attempts: int = 300
    signin_window_s: int = 300
    # Requests that create accounts or send codes (/signup, /otp, /resend, /recover) per address per hour.
    signup_address_attempts: int = 30
    # Codes sent to one phone number per hour (on top of [auth.sms] max_frequency between two).
    sms_phone_hourly: int = 5
    # Code checks (/verify) per address per `signin_window_s`, and wrong tries one code survives.
    verify_address_attempts: int = 30
    otp_max_wrong: int = 5
    # [auth], [auth.sms] and [auth.hook.send_sms] of supabase/config.toml (project_config.py).
    auth: AuthConfig = field(default_factory=AuthConfig)
    max_rows: int | None = None
    pool_size: int = 10
    # Fair shares of the REST pool (gateway/db_share.py): connections anonymous requests may hold
    # together (0: 30% of the pool), how long one waits for a slot, and connections per client address.
    anon_db_connections: int = 0
    anon_db_wait_s: float = 5.0
    db_requests_per_address: int = 8
    # Largest object `/storage/v1` accepts (a bucket's file_size_limit can only lower it).
    storage_max_bytes: int = DEFAULT_STORAGE_MAX_BYTES
    # Gateway processes on the API port (CITYLOOP_WORKERS); each has its own pools and schema cache.
    workers: int = 1
    # Peers whose X-Forwarded-For is believed (the app servers); see client_address.py.
    trusted_proxies: tuple[str, ...] = ()
    # Per-socket limits of /realtime/v1 (realtime/limits.py has the defaults and what happens over them).
    realtime: RealtimeLimits = RealtimeLimits()
    # --- gateway limits (gateway/limits.py, gateway/connections.py; docs/security-gateway.md) ---
    # Largest body of a non-Storage request, refused by Content-Length and while it streams.
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    # Deepest nesting of arrays and objects a JSON body may have, checked before parsing.
    max_json_depth: int = 64
    # Seconds a client has to send a request's headers; a half-sent header is closed with 408.
    header_timeout_s: float = 10.0
    # Seconds an idle keep-alive connection stays open.
    keep_alive_s: float = 20.0
    # Largest request line plus headers (bytes); more answers 431.
    max_header_bytes: int = 64 * 1024
    # Open connections in total (503 past it) and per client address (429 past it).
    max_connections: int = 4000
    max_connections_per_address: int = 500
    # Files in the storage folder no committed row names are swept at start when older than this.
    storage_sweep_grace_s: float = 3600.0

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> "Settings":
        env = os.environ if environ is None else environ
        home = Path(env.get("CITYLOOP_HOME") or Path.cwd() / ".cityloop").absolute()
        schemas = tuple(s.strip() for s in env.get("CITYLOOP_DB_SCHEMAS", ",".join(DEFAULT_EXPOSED_SCHEMAS)).split(",") if s.strip())
        return cls(
            home=home,
            api_host=env.get("CITYLOOP_API_HOST", "127.0.0.1"),
            api_port=int(env.get("CITYLOOP_API_PORT", DEFAULT_API_PORT)),
            db_port=int(env.get("CITYLOOP_DB_PORT", DEFAULT_DB_PORT)),
            external_database_url=env.get("DATABASE_URL") or None,
            exposed_schemas=schemas,
            jwt_expiry_s=int(env.get("CITYLOOP_JWT_EXPIRY", 3600)),
            signin_account_failures=int(env.get("CITYLOOP_SIGNIN_ACCOUNT_FAILURES", 10)),
            signin_account_slowdown_after=int(env.get("CITYLOOP_SIGNIN_ACCOUNT_SLOWDOWN_AFTER", 50)),
            signin_slowdown_s=float(env.get("CITYLOOP_SIGNIN_SLOWDOWN", 2.0)),
            signin_address_attempts=int(env.get("CITYLOOP_SIGNIN_ADDRESS_ATTEMPTS", 300)),
            signin_window_s=int(env.get("CITYLOOP_SIGNIN_WINDOW", 300)),
            signup_address_attempts=int(env.get("CITYLOOP_SIGNUP_ADDRESS_ATTEMPTS", 30)),
            sms_phone_hourly=int(env.get("CITYLOOP_SMS_PHONE_HOURLY", 5)),
            verify_address_attempts=int(env.get("CITYLOOP_VERIFY_ADDRESS_ATTEMPTS", 30)),
            otp_max_wrong=max(1, int(env.get("CITYLOOP_OTP_MAX_WRONG", 5))),
            auth=_auth_config(env),
            max_rows=int(env["CITYLOOP_MAX_ROWS"]) if env.get("CITYLOOP_MAX_ROWS") else None,
            pool_size=int(env.get("CITYLOOP_POOL_SIZE", 10)),
            anon_db_connections=int(env.get("CITYLOOP_ANON_DB_CONNECTIONS", 0)),
            anon_db_wait_s=_positive_float(env, "CITYLOOP_ANON_DB_WAIT", 5.0),
            db_requests_per_address=_positive_int(env, "CITYLOOP_DB_REQUESTS_PER_ADDRESS", 8),
            storage_max_bytes=int(env.get("CITYLOOP_STORAGE_MAX_BYTES", DEFAULT_STORAGE_MAX_BYTES)),
            workers=max(1, int(env.get("CITYLOOP_WORKERS", "1"))),
            trusted_proxies=tuple(str(n) for n in parse_proxies(env.get("CITYLOOP_TRUSTED_PROXIES", ""))),
            realtime=RealtimeLimits.from_environ(env),
            max_body_bytes=_positive_int(env, "CITYLOOP_MAX_BODY_BYTES", DEFAULT_MAX_BODY_BYTES),
            max_json_depth=_positive_int(env, "CITYLOOP_MAX_JSON_DEPTH", 64),
            header_timeout_s=_positive_float(env, "CITYLOOP_HEADER_TIMEOUT", 10.0),
            keep_alive_s=_positive_float(env, "CITYLOOP_KEEP_ALIVE_TIMEOUT", 20.0),
            max_header_bytes=_positive_int(env, "CITYLOOP_MAX_HEADER_BYTES", 64 * 1024),
            max_connections=_positive_int(env, "CITYLOOP_MAX_CONNECTIONS", 4000),
            max_connections_per_address=_positive_int(env, "CITYLOOP_MAX_CONNECTIONS_PER_ADDRESS", 500),
            storage_sweep_grace_s=max(0.0, float(env.get("CITYLOOP_STORAGE_SWEEP_GRACE", 3600))),
        )

    # --- paths -----------------------------------------------------------
    @property
    def sms_outbox(self) -> Path:
        """The local SMS sink's messages (one JSON object a line)."""
        return self.home / "sms" / "outbox.jsonl"

    @property
    def send_sms_hook_uri(self) -> str:
        """Where codes go: [auth.hook.send_sms] uri when enabled, else this stack's own SMS sink."""
        if self.auth.send_sms_hook_enabled and self.auth.send_sms_hook_uri:
            return self.auth.send_sms_hook_uri
        return f"{self.api_url}/sink/sms/hook"

    @property
    def pgdata(self) -> Path:
        return self.home / "db"

    @property
    def socket_dir(self) -> Path:
        return self.home / "run"

    @property
    def logs(self) -> Path:
        return self.home / "logs"

    @property
    def storage_dir(self) -> Path:
        return self.home / "storage"

    @property
    def secrets_file(self) -> Path:
        return self.home / "secrets.json"

    @property
    def gateway_pid_file(self) -> Path:
        return self.home / "gateway.pid"

    @property
    def api_url(self) -> str:
        return f"http://{self.api_host}:{self.api_port}"

    def ensure_home(self) -> None:
        self.home.mkdir(parents=True, exist_ok=True)
        # Other users may traverse (the database runs as its own system user
        # when we are root) but not list or read.
        self.home.chmod(0o711)
        self.logs.mkdir(exist_ok=True)
        self.logs.chmod(0o700)


def _auth_config(env: Mapping[str, str]) -> AuthConfig:
    """config.toml's values; CITYLOOP_* variables override them (tests shorten the intervals)."""
    cfg = load_auth_config(environ=env)
    overrides: dict = {}
    if env.get("CITYLOOP_REFRESH_TOKEN_REUSE_INTERVAL"):
        overrides["refresh_token_reuse_interval_s"] = int(env["CITYLOOP_REFRESH_TOKEN_REUSE_INTERVAL"])
    if env.get("CITYLOOP_SMS_MAX_FREQUENCY"):
        overrides["sms_max_frequency_s"] = duration_s(env["CITYLOOP_SMS_MAX_FREQUENCY"])
    if env.get("CITYLOOP_SMS_OTP_EXPIRY"):
        overrides["sms_otp_expiry_s"] = int(env["CITYLOOP_SMS_OTP_EXPIRY"])
    if env.get("CITYLOOP_SEND_SMS_HOOK_URI"):  # send the codes elsewhere (another sink, a provider's function)
        overrides.update(send_sms_hook_enabled=True, send_sms_hook_uri=env["CITYLOOP_SEND_SMS_HOOK_URI"])
    return replace(cfg, **overrides)


def new_webhook_secret() -> str:
    """A standard-webhooks secret as the Supabase dashboard shows them: `v1,whsec_<base64>`."""
    return "v1,whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def _positive_int(env: Mapping[str, str], name: str, default: int) -> int:
    value = int(env.get(name, default))
    if value <= 0:
        raise ValueError(f"{name} must be a positive number, got {value}")
    return value


def _positive_float(env: Mapping[str, str], name: str, default: float) -> float:
    value = float(env.get(name, default))
    if value <= 0:
        raise ValueError(f"{name} must be a positive number of seconds, got {value}")
    return value


@dataclass(frozen=True)
class Secrets:
    jwt_secret: str
    postgres_password: str
    authenticator_password: str
    auth_admin_password: str
    storage_admin_password: str
    # Signs the Send-SMS hook's requests to the local SMS sink (absent from older state folders).
    sms_hook_secret: str = ""

    def sign(self, claims: dict) -> str:
        return jwt.encode(claims, self.jwt_secret, algorithm="HS256")

    def api_key(self, role: str) -> str:
        # A fixed iat keeps the keys stable for one secret, like `supabase start`'s.
        return self.sign({"iss": "supabase-demo", "role": role, "iat": KEY_ISSUED_AT, "exp": KEY_ISSUED_AT + KEY_LIFETIME_S})

    @property
    def anon_key(self) -> str:
        return self.api_key("anon")

    @property
    def service_role_key(self) -> str:
        return self.api_key("service_role")


def sms_hook_secret(settings: Settings, secrets: Secrets) -> str:
    """The Send-SMS hook's signing secret: [auth.hook.send_sms] secrets, else the generated one."""
    return settings.auth.send_sms_hook_secret or secrets.sms_hook_secret


def load_secrets(settings: Settings, create: bool = True) -> Secrets:
    """Read the state folder's secrets, generating them on first use."""
    path = settings.secrets_file
    if path.exists():
        data = json.loads(path.read_text())
        if not data.get("sms_hook_secret") and create:  # a state folder from before the SMS sink
            data["sms_hook_secret"] = new_webhook_secret()
            tmp = path.with_suffix(".tmp")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as f:
                json.dump(data, f, indent=2)
            os.replace(tmp, path)
        return Secrets(**data)
    if not create:
        raise FileNotFoundError(f"no secrets yet in {settings.home}; run `cityloop backend start` first")
    settings.ensure_home()
    data = {
        "jwt_secret": secrets.token_urlsafe(48),
        "postgres_password": secrets.token_urlsafe(24),
        "authenticator_password": secrets.token_urlsafe(24),
        "auth_admin_password": secrets.token_urlsafe(24),
        "storage_admin_password": secrets.token_urlsafe(24),
        "sms_hook_secret": new_webhook_secret(),
    }
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump(data, f, indent=2)
    return Secrets(**data)
