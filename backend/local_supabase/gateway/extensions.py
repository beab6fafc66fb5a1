"""What a deployment composes beside the stack: its own HTTP functions and jobs.

Hosted Supabase runs a project's Edge Functions and pg_cron jobs beside its API; the local
stack does the same through an `Extension` handed to `create_app`: its routes are mounted on
the gateway (under `/functions/v1` and wherever else the extension says) and it is started
once the gateway's pools are open and stopped before they close. The stack itself knows no
application: the composition happens where the stack is started (the `cityloop` command).
An extension talks to the stack only through its HTTP API, as it would to hosted Supabase.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from starlette.routing import BaseRoute


class Extension(Protocol):
    def routes(self) -> Sequence[BaseRoute]:
        """Routes to serve beside the stack's own (matched after them)."""

    async def start(self) -> None:
        """Begin background work (schedules); called after the gateway's pools are open."""

    async def stop(self) -> None:
        """End it; called before the pools close."""
