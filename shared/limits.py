"""The limits a person can hit, as the database holds them (table `private.limits`).

The SQL decides (migrations 20261201000300_follow_status and 20261201000400_quotas);
these values only word the apps' messages and size their requests. A test
(`tests/backend/test_limits_mirror.py`) checks that they agree with the database.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta


@dataclass(frozen=True)
class Limit:
    value: int
    per: timedelta | None = None  # None: a plain value (a radius, a window in seconds), not a count


LIMITS: dict[str, Limit] = {
    "nearby_radius_m": Limit(200),
    "nearby_lookups": Limit(60, timedelta(hours=1)),
    "reports_per_hour": Limit(20, timedelta(hours=1)),
    "reports_per_day": Limit(100, timedelta(days=1)),
    "link_misses_per_person": Limit(5, timedelta(minutes=15)),
    "link_misses_per_account": Limit(10, timedelta(hours=1)),
    "link_misses_per_address": Limit(20, timedelta(minutes=15)),
    "sos_reopen_seconds": Limit(120),
}

NEARBY_MAX_RADIUS_M = LIMITS["nearby_radius_m"].value
REPORTS_PER_HOUR = LIMITS["reports_per_hour"].value
REPORTS_PER_DAY = LIMITS["reports_per_day"].value
# reports.photos' check (cardinality <= 9) and the case RPCs' "at most 9 photos".
PHOTOS_PER_REPORT = 9


def minutes(name: str) -> int:
    """The window of a counted limit, in whole minutes (for messages)."""
    per = LIMITS[name].per
    assert per is not None, f"{name} is not a counted limit"
    return int(per.total_seconds()) // 60
