"""The HTTP gateway: one Starlette app serving /auth/v1, /rest/v1 (and later /storage/v1, /realtime/v1)."""

from .app import create_app

__all__ = ["create_app"]
