"""Placeholder until the Storage API lands: no routes yet."""

from starlette.routing import BaseRoute


def storage_routes() -> list[BaseRoute]:
    return []
