"""The city's time zone, for every time a person reads (timelines, receipts, alerts, dashboards).

The database keeps UTC; people read the city's wall clock, whatever zone the server runs
in. One setting for the deployment: `CITYLOOP_TZ` (an IANA name), Asia/Shanghai by default.
"""

from __future__ import annotations

import os
from datetime import datetime
from zoneinfo import ZoneInfo

DEFAULT_TZ = "Asia/Shanghai"


def city_tz(environ: dict[str, str] | None = None) -> ZoneInfo:
    env = os.environ if environ is None else environ
    return ZoneInfo(env.get("CITYLOOP_TZ", "").strip() or DEFAULT_TZ)


CITY_TZ = city_tz()


def to_local(moment: datetime) -> datetime:
    """`moment` on the city's clock (a naive time is taken as UTC, as the database sends it)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo("UTC"))
    return moment.astimezone(CITY_TZ)


def local_text(moment: datetime, pattern: str = "%m-%d %H:%M") -> str:
    return to_local(moment).strftime(pattern)
