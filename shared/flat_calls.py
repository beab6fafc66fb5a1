"""Until the call sites are rewritten: `client.submit_report(...)` forwards to `client.reports.submit_report(...)`.

Transitional only (removed once every caller names its facade).
"""

from __future__ import annotations

import inspect

from shared import api

FACADES: dict[str, type] = {"auth": api.AuthApi, "profile": api.ProfileApi, "reference": api.ReferenceApi,
                            "reports": api.ReportsApi, "sos": api.SosApi, "worker": api.WorkerApi,
                            "payments": api.PaymentsApi, "care": api.CareApi}


def method_homes() -> dict[str, str]:
    """Old flat method name -> the facade attribute that now has it."""
    homes: dict[str, str] = {}
    for attr, proto in FACADES.items():
        for name, _ in inspect.getmembers(proto, inspect.isfunction):
            if not name.startswith("_"):
                homes[name] = attr
    return homes


def install(cls: type) -> type:
    for name, attr in method_homes().items():
        if name not in FACADES and not hasattr(cls, name):
            setattr(cls, name, property(lambda self, a=attr, n=name: getattr(getattr(self, a), n)))
    return cls
