"""What `cityloop bills import` and `cityloop payments reconcile` do, through the HTTP API with the service key."""

from __future__ import annotations

from pathlib import Path

import httpx

from .bills_import import ImportError_, import_bills_file
from .settlement import PaymentError, client_rpc


class CliFailure(Exception):
    """A failure to print as one line."""


async def _client(url: str, key: str):
    from supabase import AsyncClientOptions, acreate_client

    return await acreate_client(url, key, options=AsyncClientOptions(persist_session=False, auto_refresh_token=False))


async def import_csv(url: str, key: str, path: Path) -> dict:
    try:
        return await import_bills_file(client_rpc(await _client(url, key)), path)
    except (ImportError_, OSError) as exc:
        raise CliFailure(f"{path}: {exc}") from exc
    except PaymentError as exc:
        raise CliFailure(f"{path}: {exc.message}") from exc
    except httpx.HTTPError as exc:
        raise CliFailure(f"no backend at {url}: {exc}") from exc


async def reconcile(url: str, key: str, home: Path) -> dict:
    from backend.jobs.reconcile_payments import run_once

    try:
        return await run_once(url, key, home)
    except PaymentError as exc:
        raise CliFailure(f"reconcile failed: {exc.message}") from exc
    except httpx.HTTPError as exc:
        raise CliFailure(f"no backend at {url}: {exc}") from exc
