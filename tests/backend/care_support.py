"""What the care-watch tests share: a care subject with meters and a month of hourly readings."""

from __future__ import annotations

import uuid

import psycopg

from tests.backend.rls_support import SVC, Table, who

# Awake 7:00-21:00 Beijing time: water in most hours, gas at meals; `silent_hours` back from
# the current hour: nothing at all (a fall); `gas_on_hours`: the stove left burning.
READINGS_SQL = """
insert into public.meter_readings (meter_id, read_at, value)
select m.id, t.read_at,
  case
    when t.h < %(silent)s and m.kind <> 'electricity' then 0
    when t.h < %(gas_on)s and m.kind = 'gas' then 0.4
    when m.kind = 'water' then case when t.lh between 7 and 21 and (t.lh * 7 + t.d * 3) %% 5 <> 0
                                    then 6 + (t.lh * 13 + t.d * 7) %% 17 else 0 end
    when m.kind = 'gas' then case when t.lh in (7, 11, 18) then 0.15 else 0 end
    else 0.1 + case when t.lh between 7 and 21 then 0.2 else 0 end
  end
from public.meters m
cross join lateral (
  select h, read_at,
         extract(hour from (read_at - interval '1 hour') at time zone 'Asia/Shanghai')::int as lh,
         extract(doy from (read_at - interval '1 hour') at time zone 'Asia/Shanghai')::int as d
  from generate_series(0, 30 * 24 - 1) as h,
       lateral (select date_trunc('hour', now()) - make_interval(hours => h) as read_at) as r
) as t
where m.subject_id = %(subject)s
on conflict (meter_id, read_at) do nothing
"""


def make_subject(db: psycopg.Connection, grid_id: str, name: str = "测试老人", profile_id: str | None = None,
                 kinds: tuple[str, ...] = ("water", "electricity", "gas")) -> dict:
    """A care subject in `grid_id` with one meter per kind (ids `<prefix>-W/E/G`)."""
    sid = str(uuid.uuid4())
    prefix = "T" + sid[:8]
    db.execute("insert into public.care_subjects (id, profile_id, name, phone, address, grid_id, family_contacts, consent_at)"
               " values (%s, %s, %s, '13800009999', '测试地址 1号', %s,"
               " '[{\"name\": \"家属\", \"phone\": \"13900009999\", \"relation\": \"女儿\"}]', current_date)",
               (sid, profile_id, name, grid_id))
    meters = {}
    for kind in kinds:
        meters[kind] = f"{prefix}-{kind[0].upper()}"
        db.execute("insert into public.meters (id, subject_id, kind) values (%s, %s, %s)", (meters[kind], sid, kind))
    return {"id": sid, "meters": meters, "grid_id": grid_id}


def add_month_of_readings(db: psycopg.Connection, subject_id: str, silent_hours: int = 0, gas_on_hours: int = 0) -> None:
    db.execute(READINGS_SQL, {"subject": subject_id, "silent": silent_hours, "gas_on": gas_on_hours})


# -- the care tables' lines of the RLS matrices (tests/backend/test_care_rls.py and the core matrix) --------

def make_care_world(db: psycopg.Connection, grid_id: str, resident_id: str) -> dict[str, str]:
    """A subject in `grid_id` whose account is `resident_id`, with a row in every care table: its names."""
    s = make_subject(db, grid_id, profile_id=resident_id)
    sid, water = s["id"], s["meters"]["water"]
    db.execute("insert into public.meter_readings (meter_id, read_at, value) values (%s, '2026-11-20T10:00:00Z', 3)",
               (water,))
    absence = db.execute("insert into public.care_absences (subject_id, starts_at, ends_at)"
                         " values (%s, now(), now() + interval '2 days') returning id", (sid,)).fetchone()[0]
    alert = db.execute("insert into public.care_alerts (subject_id, kind, severity, onset_at, detected_at)"
                       " values (%s, 'inactivity', 2, now() - interval '9 hours', now()) returning id",
                       (sid,)).fetchone()[0]
    followup = db.execute("insert into public.care_followups (subject_id, alert_id, action, outcome)"
                          " values (%s, %s, 'called_person', 'safe') returning id", (sid, alert)).fetchone()[0]
    return {"subject": sid, "meter": water, "alert": str(alert), "absence": str(absence), "followup": str(followup),
            "care_grid": grid_id}


CARE_WATCHERS = who("worker_1", "supervisor")  # the grid's workers and the street's supervisor
CARE_RESIDENT = CARE_WATCHERS | {"citizen_a"}  # ... and the resident, for their record and absences
# One line per care table (rls_support.Table); the targets are the rows `make_care_world` made.
CARE_TABLES = [
    Table("care_subjects", "select id from public.care_subjects where id = %(subject)s",
          CARE_RESIDENT, SVC, SVC, SVC, {"address": "rls-matrix"},
          lambda n: {"name": n.mark, "grid_id": n.care_grid, "consent_at": "2026-11-01"}, ("name",),
          "watchers and the resident read; written by the service role"),
    Table("meters", "select id from public.meters where id = %(meter)s",
          CARE_WATCHERS, SVC, SVC, SVC, {"interval_minutes": 15},
          lambda n: {"id": n.mark, "subject_id": n.subject, "kind": "gas"}, ("id",), "watchers read"),
    Table("meter_readings", "select meter_id, read_at from public.meter_readings"
          " where meter_id = %(meter)s and read_at = '2026-11-20T10:00:00Z'",
          CARE_WATCHERS, SVC, SVC, SVC, {"value": 7},
          lambda n: {"meter_id": n.meter, "read_at": "2026-11-19T10:00:00+00:00", "value": 1},
          ("meter_id", "read_at"), "watchers read; ingestion is the service role's"),
    Table("care_absences", "select id from public.care_absences where id = %(absence)s",
          CARE_RESIDENT, SVC, SVC, SVC, {"note": "rls-matrix"},
          lambda n: {"subject_id": n.subject, "starts_at": "2026-12-10T00:00:00+00:00",
                     "ends_at": "2026-12-11T00:00:00+00:00", "note": n.mark}, ("note",),
          "watchers and the resident read; registered through register_care_absence"),
    Table("care_alerts", "select id from public.care_alerts where id = %(alert)s",
          CARE_WATCHERS, SVC, SVC, SVC, {"severity": 3},
          lambda n: {"subject_id": n.subject, "kind": "routine_break", "severity": 1, "status": "closed",
                     "onset_at": "2026-11-18T10:00:00+00:00", "detected_at": "2026-11-18T12:00:00+00:00",
                     "evidence": {"note": n.mark}},
          ("subject_id", "kind", "onset_at"), "watchers read; the detector and the follow-up RPC write"),
    Table("care_followups", "select id from public.care_followups where id = %(followup)s",
          CARE_WATCHERS, SVC, SVC, SVC, {"note": "rls-matrix"},
          lambda n: {"subject_id": n.subject, "alert_id": n.alert, "action": "visited", "outcome": "safe",
                     "note": n.mark}, ("note",), "watchers read; append-only, written by the RPCs"),
]
