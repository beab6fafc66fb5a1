"""Care watch: subjects, readings, alerts and follow-ups.

`CareClientMixin` is mixed into `shared.client.CityClient`: its methods use the client's
plumbing (`self._rpc`, `self._call`, `self._model`, `self._models`, `self.supabase`).
"""

from __future__ import annotations


class CareClientMixin:
    """Methods of CityClient for this feature (see the module docstring)."""
