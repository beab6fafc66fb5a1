"""What the care-watch tests share: a care subject with meters and a month of hourly readings."""

from __future__ import annotations

import uuid

import psycopg

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
