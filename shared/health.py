"""Does the backend answer? Used by the apps to show 后端已连接 / 后端未连接."""

from __future__ import annotations

import httpx

from .config import BackendConfig

# Hosted Supabase answers /auth/v1/health; the local gateway also answers /health.
HEALTH_PATHS = ("/auth/v1/health", "/health")


async def backend_answers(config: BackendConfig, *, timeout: float = 3.0,
                          transport: httpx.AsyncBaseTransport | None = None) -> bool:
    """True when one of the health endpoints returns 200; never raises."""
    headers = {"apikey": config.anon_key} if config.anon_key else {}
    async with httpx.AsyncClient(base_url=config.url, headers=headers, timeout=timeout,
                                 transport=transport) as client:
        for path in HEALTH_PATHS:
            try:
                response = await client.get(path)
            except (httpx.HTTPError, OSError):
                return False  # connection refused or timed out: the other path will not answer either
            if response.status_code == 200:
                return True
    return False


def url_answers(url: str, timeout: float = 1.0) -> bool:
    """True when a plain GET of `url` returns 200 (used to wait for a server to come up)."""
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False
