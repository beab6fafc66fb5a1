"""The limits and patterns a person can hit, as the database holds them: the one Python home of each.

The SQL decides: the counted limits are rows of `private.limits` (migrations
20261201000300_follow_status and 20261201000400_quotas), the sizes and patterns below are
`check` constraints of the tables. These values only word the apps' messages, size their
forms and refuse early what the server would refuse anyway. Tests
(`tests/backend/test_limits_mirror.py`) read the table and the constraints and check that
these values are theirs.
"""

from __future__ import annotations

import re
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
    "hotspot_radius_m": Limit(150),
    "hotspot_window_hours": Limit(72),
    "hotspot_likeness_pct": Limit(35),
}

NEARBY_MAX_RADIUS_M = LIMITS["nearby_radius_m"].value
REPORTS_PER_HOUR = LIMITS["reports_per_hour"].value
REPORTS_PER_DAY = LIMITS["reports_per_day"].value


def minutes(name: str) -> int:
    """The window of a counted limit, in whole minutes (for messages)."""
    per = LIMITS[name].per
    assert per is not None, f"{name} is not a counted limit"
    return int(per.total_seconds()) // 60


# ---------------------------------------------------------------- check constraints

# Photos on a report, on its resolution and on a step the reporter adds (reports.photos,
# reports.resolution_photos, case_events.photos: `cardinality(...) <= 9`).
MAX_PHOTOS = 9
# A report's description (reports.description: `length(description) between 1 and 2000`).
MAX_DESCRIPTION = 2000
# reports.landmark (reports_landmark_length: `length(landmark) between 1 and 100`).
LANDMARK_MAX_LENGTH = 100
# A phone number as a person types it (reports.resident_phone's check): digits, spaces and
# dashes, an optional leading +. Every form that asks for a phone checks it with this one.
PHONE_PATTERN = r"^\+?[0-9 -]{3,32}$"
PHONE_MAX_LENGTH = 32
PHONE = re.compile(PHONE_PATTERN)


def is_phone(value: str) -> bool:
    """Whether `value` (stripped) is a phone number as the database accepts one."""
    return PHONE.match(value.strip()) is not None
