"""What the core-domain tests share: the demo city's fixed ids and points inside its grids.

The test stack applies `backend/supabase/seed.sql` once at start; `ensure_demo_city`
applies it again (it is idempotent) for stacks that were seeded before it existed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import psycopg

from backend.local_supabase.migrate import SEED_FILE
from tests.conftest import TestUser

DISTRICT = "00000000-0000-4000-a000-000000000001"
STREETS = ("00000000-0000-4000-a000-000000000011", "00000000-0000-4000-a000-000000000012")
COMMUNITIES = tuple(f"00000000-0000-4000-a000-0000000000{n}" for n in (21, 22, 23, 24))
GRIDS = tuple(f"00000000-0000-4000-a000-0000000000{n}" for n in range(31, 39))
# The street of each grid: grids 31-34 are in the west street, 35-38 in the east one.
GRID_STREET = {g: STREETS[0] if i < 4 else STREETS[1] for i, g in enumerate(GRIDS)}
# (lat, lon) strictly inside each grid, in GRIDS order.
GRID_POINTS = (
    (39.125, 117.19375), (39.125, 117.20125), (39.115, 117.19375), (39.115, 117.20125),
    (39.125, 117.20875), (39.125, 117.21625), (39.115, 117.20875), (39.115, 117.21625),
)
OUTSIDE = (39.20, 117.30)


def ensure_demo_city(db: psycopg.Connection) -> None:
    db.execute(SEED_FILE.read_text(encoding="utf-8"))


@dataclass
class People:
    """One account per kind of caller, with the assignments the policies look at."""

    citizen_a: TestUser
    citizen_b: TestUser
    worker_1: TestUser  # serves GRIDS[0], on duty
    worker_2: TestUser  # serves GRIDS[4] (the other street), on duty
    staff: TestUser  # dept_staff of STAFF_DEPARTMENT
    supervisor: TestUser  # supervises STREETS[0], the street of GRIDS[0]


STAFF_DEPARTMENT = "environment"


def make_people(db: psycopg.Connection, make_user: Callable[..., TestUser]) -> People:
    ensure_demo_city(db)
    p = People(
        citizen_a=make_user(app_metadata={"role": "citizen"}),
        citizen_b=make_user(app_metadata={"role": "citizen"}),
        worker_1=make_user(app_metadata={"role": "grid_worker"}),
        worker_2=make_user(app_metadata={"role": "grid_worker"}),
        staff=make_user(app_metadata={"role": "dept_staff"}),
        supervisor=make_user(app_metadata={"role": "supervisor"}),
    )
    assign_worker(db, p.worker_1.id, GRIDS[0])
    assign_worker(db, p.worker_2.id, GRIDS[4])
    db.execute("insert into public.department_staff (user_id, department_code) values (%s, %s)",
               (p.staff.id, STAFF_DEPARTMENT))
    db.execute("insert into public.supervisor_streets (user_id, street_id) values (%s, %s)",
               (p.supervisor.id, STREETS[0]))
    return p


def assign_worker(db: psycopg.Connection, worker_id: str, grid_id: str, on_duty: bool = True) -> None:
    db.execute("insert into public.worker_grids (worker_id, grid_id) values (%s, %s) on conflict do nothing",
               (worker_id, grid_id))
    db.execute("insert into public.worker_duty (worker_id, on_duty) values (%s, %s)"
               " on conflict (worker_id) do update set on_duty = excluded.on_duty", (worker_id, on_duty))


def item(db: psycopg.Connection, department: str | None = "city_mgmt", exclude: str | None = None) -> dict:
    """A taxonomy item (level 3) with an SLA: of `department`, or of any department but `exclude`."""
    row = db.execute(
        "select code, department_code, sla_hours, priority from public.categories"
        " where level = 3 and sla_hours is not null"
        " and (%(d)s::text is null or department_code = %(d)s) and (%(x)s::text is null or department_code <> %(x)s)"
        " order by code limit 1", {"d": department, "x": exclude}).fetchone()
    assert row, f"no item of department {department}"
    return dict(zip(("code", "department_code", "sla_hours", "priority"), row))


def file_report(user: TestUser, category: str, point: tuple[float, float], **extra) -> dict:
    lat, lon = point
    row = {"category_code": category, "description": "测试上报 test report", "lat": lat, "lon": lon, **extra}
    return user.client.table("reports").insert(row).execute().data[0]


def only_workers(db: psycopg.Connection, grid_id: str, *workers: tuple[str, bool]) -> None:
    """Make `workers` (id, on_duty) the only grid workers of `grid_id`."""
    db.execute("delete from public.worker_grids where grid_id = %s", (grid_id,))
    for worker_id, on_duty in workers:
        assign_worker(db, worker_id, grid_id, on_duty)
