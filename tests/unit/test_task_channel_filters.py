"""Which filters a grid worker's inbox channel names (`client.worker.subscribe_tasks`): their grids and
their own tasks; never a grid left out, so a worker with more grids than a filter may name (upstream
Realtime takes 100 values in `in.(...)`) listens unfiltered, and RLS alone decides.

A recording transport stands in for supabase-py: what is checked is the bindings the facade asks for;
`tests/backend/test_live_filters.py` checks what such a channel delivers on the real stack."""

from __future__ import annotations

import uuid

from shared.facades.worker import WorkerFacade
from shared.models import Role, UserPublic
from shared.realtime import MAX_FILTER_VALUES


class _Query:
    def __init__(self, rows: list[dict]) -> None:
        self.rows = rows

    def select(self, *_args):
        return self

    def eq(self, *_args):
        return self


class RecordingTransport:
    def __init__(self, role: Role, grids: int) -> None:
        self.user = UserPublic(id=uuid.uuid4(), role=role)
        self.grid_rows = [{"grid_id": str(uuid.UUID(int=n + 1))} for n in range(grids)]
        self.bindings: list | None = None

    async def current_user(self) -> UserPublic:
        return self.user

    def table(self, name: str) -> _Query:
        assert name == "worker_grids"
        return _Query(self.grid_rows)

    async def rows(self, query: _Query) -> list[dict]:
        return query.rows

    async def subscribe(self, name, bindings, callback, on_status=None):
        self.bindings = bindings
        return object()


async def filters(role: Role, grids: int) -> tuple[RecordingTransport, list]:
    transport = RecordingTransport(role, grids)
    await WorkerFacade(transport).subscribe_tasks(lambda _task: None)
    return transport, [b[2] for b in transport.bindings]


async def test_a_worker_names_their_grids_and_their_own_tasks() -> None:
    t, named = await filters(Role.GRID_WORKER, 2)
    assert named == [f"assignee_id=eq.{t.user.id}",
                     f"grid_id=in.({uuid.UUID(int=1)},{uuid.UUID(int=2)})"]


async def test_a_worker_without_grids_hears_their_own_tasks() -> None:
    t, named = await filters(Role.GRID_WORKER, 0)
    assert named == [f"assignee_id=eq.{t.user.id}"]


async def test_the_most_grids_a_filter_may_name_are_all_named() -> None:
    _, named = await filters(Role.GRID_WORKER, MAX_FILTER_VALUES)
    assert named[1].count(",") == MAX_FILTER_VALUES - 1


async def test_more_grids_than_a_filter_may_name_listen_unfiltered() -> None:
    _, named = await filters(Role.GRID_WORKER, MAX_FILTER_VALUES + 1)
    assert named == [None]


async def test_staff_supervisors_and_admins_listen_unfiltered() -> None:
    for role in (Role.DEPT_STAFF, Role.SUPERVISOR, Role.ADMIN):
        assert (await filters(role, 3))[1] == [None]
