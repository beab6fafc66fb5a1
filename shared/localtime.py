"""The city's time zone, for every time a person reads (timelines, receipts, alerts, dashboards).

The database keeps UTC; people read the city's wall clock, whatever zone the server runs
in. One setting for the deployment: `CITYLOOP_TZ` (an IANA name), Asia/Shanghai by default
(read in shared/config.py, when first asked for, never at import).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, tzinfo
from zoneinfo import ZoneInfo

from shared.config import DEFAULT_TZ, city_tz_name

__all__ = ["DEFAULT_TZ", "city_tz", "local_text", "to_local"]


def city_tz(environ: Mapping[str, str] | None = None) -> ZoneInfo:
    return ZoneInfo(city_tz_name(environ))


def to_local(moment: datetime, tz: tzinfo | None = None) -> datetime:
    """`moment` on the city's clock (a naive time is taken as UTC, as the database sends it)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo("UTC"))
    return moment.astimezone(tz or city_tz())


def local_text(moment: datetime, pattern: str = "%m-%d %H:%M", tz: tzinfo | None = None) -> str:
    return to_local(moment, tz).strftime(pattern)
