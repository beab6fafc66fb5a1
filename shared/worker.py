"""What the grid app calls beyond the case RPCs: inbox, reporter contact, dashboard, reporting on behalf.

`WorkerClientMixin` is mixed into `shared.client.CityClient`: its methods use the client's
plumbing (`self._rpc`, `self._call`, `self._model`, `self._models`, `self.supabase`).
"""

from __future__ import annotations


class WorkerClientMixin:
    """Methods of CityClient for this feature (see the module docstring)."""
