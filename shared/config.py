"""Where the apps find the backend, and which port each app serves on.

Production (and `cityloop run`) sets SUPABASE_URL and SUPABASE_ANON_KEY. On a
laptop where only `cityloop backend start` ran, the values fall back to the
local stack's state folder, read without side effects (no secrets created).
The environment is passed in, so tests hand in a dict instead of patching.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from typing import Callable, Mapping

Environ = Mapping[str, str]

# Same default as backend.local_supabase.config, for when the backend package is absent.
LOCAL_API_URL = "http://127.0.0.1:54321"

# app module -> (environment variable, default port)
APP_PORTS: dict[str, tuple[str, int]] = {
    "citizen_app": ("CITYLOOP_CITIZEN_PORT", 8550),
    "grid_app": ("CITYLOOP_GRID_PORT", 8551),
}


@dataclass(frozen=True)
class BackendConfig:
    url: str
    anon_key: str
    source: str  # "environment" or "local stack": shown in logs when the backend does not answer


def load_backend_config(environ: Environ | None = None,
                        local_stack: Callable[[Environ], tuple[str, str] | None] | None = None) -> BackendConfig:
    """SUPABASE_URL / SUPABASE_ANON_KEY from `environ`, else the local stack's values."""
    env = os.environ if environ is None else environ
    url = env.get("SUPABASE_URL", "").strip()
    key = env.get("SUPABASE_ANON_KEY", "").strip()
    if url:
        # Another server's URL: the local stack's key would be wrong for it, so no fallback.
        return BackendConfig(url.rstrip("/"), key, "environment")
    local = (local_stack or local_stack_values)(env)
    local_url, local_key = local if local else (LOCAL_API_URL, "")
    return BackendConfig(local_url, key or local_key, "local stack")


def local_stack_values(environ: Environ) -> tuple[str, str] | None:
    """The local stack's URL and anon key, or None when the backend package is not installed."""
    try:
        from backend.local_supabase.config import Settings, load_secrets
    except ImportError:  # an app installed without the backend (a hosted deployment)
        return None
    settings = Settings.from_environ(environ)
    try:
        secrets = load_secrets(settings, create=False)
    except FileNotFoundError:  # stack never started: the URL is right, there is no key yet
        return settings.api_url, ""
    return settings.api_url, secrets.anon_key


DEFAULT_TZ = "Asia/Shanghai"


def city_tz_name(environ: Environ | None = None) -> str:
    """The city's time zone (an IANA name): `CITYLOOP_TZ`, for every clock people read and for the care
    watch's hours. `CITYLOOP_CARE_TZ`, the care watch's own setting before the two were merged, is still
    read when `CITYLOOP_TZ` is unset."""
    env = os.environ if environ is None else environ
    return env.get("CITYLOOP_TZ", "").strip() or env.get("CITYLOOP_CARE_TZ", "").strip() or DEFAULT_TZ


def log_level(environ: Environ | None = None) -> str:
    """The apps' log level: CITYLOOP_LOG_LEVEL, default WARNING; anything else is refused at start."""
    env = os.environ if environ is None else environ
    level = env.get("CITYLOOP_LOG_LEVEL", "").strip().upper() or "WARNING"
    if level not in logging.getLevelNamesMapping():
        raise ValueError(f"CITYLOOP_LOG_LEVEL must be one of DEBUG, INFO, WARNING, ERROR, got {level!r}")
    return level


TILE_URL_ENV = "CITYLOOP_TILE_URL"  # map tiles, e.g. https://tiles.example/{z}/{x}/{y}.png; unset: no tiles


def tile_url(environ: Environ | None = None) -> str | None:
    """The maps' tile URL template, or None: then maps draw the grid outlines and the pins only."""
    env = os.environ if environ is None else environ
    return env.get(TILE_URL_ENV, "").strip() or None


def log_tile_setting(log: logging.Logger, environ: Environ | None = None) -> None:
    """Says once, in the log (never on a user's screen), that maps run without tiles."""
    if tile_url(environ) is None:
        log.warning("未配置地图底图（%s）: maps show the grid outlines and pins only", TILE_URL_ENV)


def app_port(app: str, environ: Environ | None = None) -> int:
    """The port `app` ("citizen_app" or "grid_app") serves on."""
    env = os.environ if environ is None else environ
    var, default = APP_PORTS[app]
    value = env.get(var, "").strip()
    if not value:
        return default
    try:
        port = int(value)
    except ValueError:
        raise ValueError(f"{var} must be a port number, got {value!r}") from None
    if not 0 < port < 65536:
        raise ValueError(f"{var} must be between 1 and 65535, got {port}")
    return port


COMMAND_FLUSH_ENV = "CITYLOOP_COMMAND_FLUSH_SECONDS"
COMMAND_FLUSH_DEFAULT_S = 10.0


def command_flush_seconds(environ: Environ | None = None) -> float:
    """How often both apps send what waits in the command queue (shared.commands), in seconds."""
    env = os.environ if environ is None else environ
    value = env.get(COMMAND_FLUSH_ENV, "").strip()
    if not value:
        return COMMAND_FLUSH_DEFAULT_S
    try:
        seconds = float(value)
    except ValueError:
        raise ValueError(f"{COMMAND_FLUSH_ENV} must be a number of seconds, got {value!r}") from None
    if not 1 <= seconds <= 3600:
        raise ValueError(f"{COMMAND_FLUSH_ENV} must be between 1 and 3600 seconds, got {seconds:g}")
    return seconds
