"""Small key/value storage kept by the person's browser (Flet's `SharedPreferences` on the page).

The apps keep their session's refresh token, language and display choices there, so a
reload or a new tab opens signed in. `MemoryPrefs` is the same interface in memory: what a
browserless test or a page without browser storage gets.
"""

from __future__ import annotations

from typing import Any, Protocol


class Prefs(Protocol):
    async def get(self, key: str) -> Any: ...
    async def set(self, key: str, value: Any) -> bool: ...
    async def remove(self, key: str) -> bool: ...


class MemoryPrefs:
    def __init__(self) -> None:
        self.values: dict[str, Any] = {}

    async def get(self, key: str) -> Any:
        return self.values.get(key)

    async def set(self, key: str, value: Any) -> bool:
        self.values[key] = value
        return True

    async def remove(self, key: str) -> bool:
        return self.values.pop(key, None) is not None
