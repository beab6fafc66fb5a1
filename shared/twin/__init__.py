"""An in-memory twin of the backend for app-state tests: `TwinCity` (the data and its rules) and
`TwinClient` (one person's client, with the facades of `shared.api`). No PostgreSQL, no gateway."""

from shared.twin.city import TwinCity
from shared.twin.client import TwinClient

__all__ = ["TwinCity", "TwinClient"]
