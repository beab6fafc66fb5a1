"""One set of tests, two backends: every test here runs against the in-memory twin (`shared.twin`) and
against the real stack (through the real HTTP API with supabase-py, as the backend tests do).

A test gets a `World`: it makes people (signed in, with a role), puts a grid worker alone on duty
in a grid, and hands out `CityApi` clients. The twin cannot drift from the SQL without one of the
stack runs and one of the twin runs disagreeing.
"""

from __future__ import annotations

import contextlib
import math
import random
import uuid
from dataclasses import dataclass
from typing import Any

import pytest

from shared.api import CityApi
from shared.models import Role
from shared.twin import TwinCity, TwinClient
from tests.backend.core_support import GRID_POINTS

LAMP = "02.03.001"  # 路灯不亮: city management, so dispatched to the grid's worker on duty


@dataclass
class Person:
    id: str
    email: str
    password: str
    api: CityApi


class TwinWorld:
    kind = "twin"

    def __init__(self) -> None:
        self.city = TwinCity()
        self._clients: list[TwinClient] = []

    async def client(self) -> CityApi:
        self._clients.append(TwinClient(self.city))
        return self._clients[-1]

    async def person(self, role: Role = Role.CITIZEN, display_name: str | None = None) -> Person:
        account = self.city.add_user(role=role, display_name=display_name)
        api = await self.client()
        await api.auth.sign_in(account.user.email, account.password)
        return Person(str(account.user.id), account.user.email, account.password, api)

    async def sole_worker(self, grid_id: str) -> Person:
        return await self.colleague(grid_id, on_duty=True)

    async def colleague(self, grid_id: str, *, on_duty: bool, display_name: str | None = None) -> Person:
        worker = await self.person(Role.GRID_WORKER, display_name)
        self.city.assign_worker(worker.id, grid_id, on_duty=on_duty)
        return worker

    async def staff(self, department: str) -> Person:
        staff = await self.person(Role.DEPT_STAFF)
        self.city.add_staff(staff.id, department)
        return staff

    async def supervisor(self, street_id: str) -> Person:
        boss = await self.person(Role.SUPERVISOR)
        self.city.supervise(boss.id, street_id)
        return boss

    async def close(self) -> None:
        for c in self._clients:
            await c.aclose()


class StackWorld:
    kind = "stack"

    def __init__(self, stack: Any, db: Any, make_user: Any) -> None:
        self.stack, self.db, self.make_user = stack, db, make_user
        self._clients: list[Any] = []
        self._restore = contextlib.ExitStack()

    async def client(self) -> CityApi:
        from shared.client import CityClient

        self._clients.append(await CityClient.connect(url=self.stack.url, key=self.stack.anon_key, timeout=15))
        return self._clients[-1]

    async def person(self, role: Role = Role.CITIZEN, display_name: str | None = None) -> Person:
        extra = {"display_name": display_name} if display_name else {}
        user = self.make_user(app_metadata={"role": role.value}, **extra)
        api = await self.client()
        await api.auth.sign_in(user.email, user.password)
        return Person(user.id, user.email, user.password, api)

    async def sole_worker(self, grid_id: str) -> Person:
        from tests.apps.citizen_support import sole_worker

        worker = await self.person(Role.GRID_WORKER)
        self._restore.enter_context(sole_worker(self.db, grid_id, worker.id))
        return worker

    async def colleague(self, grid_id: str, *, on_duty: bool, display_name: str | None = None) -> Person:
        """One more worker of the grid (taken out again at the end, for later tests)."""
        from tests.backend.core_support import assign_worker

        worker = await self.person(Role.GRID_WORKER, display_name)
        assign_worker(self.db, worker.id, grid_id, on_duty)
        self._restore.callback(self.db.execute, "delete from public.worker_grids where worker_id = %s", (worker.id,))
        return worker

    async def staff(self, department: str) -> Person:
        staff = await self.person(Role.DEPT_STAFF)
        self.db.execute("insert into public.department_staff (user_id, department_code) values (%s, %s)",
                        (staff.id, department))
        return staff

    async def supervisor(self, street_id: str) -> Person:
        boss = await self.person(Role.SUPERVISOR)
        self.db.execute("insert into public.supervisor_streets (user_id, street_id) values (%s, %s)",
                        (boss.id, street_id))
        self._restore.callback(self.db.execute, "delete from public.supervisor_streets where user_id = %s", (boss.id,))
        return boss

    async def close(self) -> None:
        for c in self._clients:
            await c.aclose()
        self._restore.close()


@pytest.fixture(params=["twin", "stack"])
async def world(request):
    if request.param == "twin":
        w: Any = TwinWorld()
    else:
        from tests.backend.core_support import ensure_demo_city

        db = request.getfixturevalue("db")
        ensure_demo_city(db)
        w = StackWorld(request.getfixturevalue("stack"), db, request.getfixturevalue("make_user"))
    yield w
    await w.close()


_handed_out: list[tuple[float, float]] = []


def spot(grid: int = 0) -> tuple[float, float]:
    """A point inside GRIDS[grid], away from its centre (where other tests file) and at least 80 m
    from every point handed out before in this run, so the 50 m nearby look-ups see only this
    test's reports (a random pick alone put two of them within 50 m now and then)."""
    lat, lon = GRID_POINTS[grid]
    r = random.Random(uuid.uuid4().int)
    for _ in range(1000):
        point = (lat + r.choice((-1, 1)) * r.uniform(0.0006, 0.0045),
                 lon + r.choice((-1, 1)) * r.uniform(0.0006, 0.0035))
        if all(_metres(point, other) >= 80 for other in _handed_out):
            break
    _handed_out.append(point)
    return point


def _metres(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Distance on the ground, near enough for points a few hundred metres apart."""
    return math.hypot((a[0] - b[0]) * 111_320, (a[1] - b[1]) * 111_320 * math.cos(math.radians(a[0])))
