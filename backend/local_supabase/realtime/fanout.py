"""From captured changes to `postgres_changes` frames: match bindings, check visibility, send.

Per batch of changes:
1. Channels listening to a table are grouped by role and bindings: a group matches
   the same changes (event, table, filter), so matching costs one test per group and
   change, not per subscriber.
2. For each group and each subscriber identity in it (its claims), one check (rls.py)
   covers every change of the batch the group matched; all checks go out at once.
3. Each change's `data` is encoded once per role, column selection and old-row
   variant, and queued to every subscriber the checks let see it.

What a subscriber receives (after upstream's walrus):
- `record` (INSERT, UPDATE): the new row, only the columns its role may SELECT;
- `old_record` (UPDATE, DELETE): the replica identity columns, the primary key by
  default. Under REPLICA IDENTITY FULL the whole old row, but only to subscribers
  who could see that old row (the policy check), else its primary key.
- DELETE goes only to subscribers whose SELECT policies pass on the old row.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass, field
from typing import Any

from psycopg_pool import AsyncConnectionPool

from .catalog import Access, Catalog, TableMeta
from .channels import Binding, Channel, Hub
from .protocol import postgres_change
from .rls import Check, run_checks

log = logging.getLogger("cityloop.realtime")

Row = dict[str, Any]


@dataclass
class Change:
    schema: str
    table: str
    type: str  # INSERT, UPDATE, DELETE
    commit_timestamp: str
    record: Row | None
    old_record: Row | None  # the whole old row, as captured


@dataclass(eq=False)
class _Group:
    """Channels on one table with the same role and bindings: they match the same changes."""

    meta: TableMeta
    access: Access
    first: Channel  # whose bindings stand for all
    by_claims: dict[str, list[Channel]]  # subscriber identity -> its channels
    exists: list[tuple[int, Row]] = field(default_factory=list)  # (change, primary key) to select as each identity
    policy: list[tuple[int, Row]] = field(default_factory=list)  # (change, old row) to test the policies on


@dataclass
class _Plan:
    change: Change
    meta: TableMeta
    matched: dict[_Group, list[Binding]] = field(default_factory=dict)
    visible: list[tuple[_Group, Channel]] = field(default_factory=list)
    old_visible: set[Channel] = field(default_factory=set)  # may get the whole old row


class Fanout:
    def __init__(self, hub: Hub, catalog: Catalog, pool: AsyncConnectionPool):
        self._hub = hub
        self._catalog = catalog
        self._pool = pool
        self._warned: set[tuple[str, str]] = set()

    async def deliver(self, changes: list[Change]) -> int:
        """Send the batch's changes to everyone allowed to see them; the number of frames queued."""
        plans: list[_Plan] = []
        groups: dict[int, tuple[TableMeta, list[_Group]]] = {}  # by id(meta): a table re-read mid-batch regroups
        now = time.time()
        for change in changes:
            plan = await self._plan(change, len(plans), groups, now)
            if plan is not None:
                plans.append(plan)
        checks: list[Check] = []
        owners: list[tuple[_Group, str]] = []
        for _, table_groups in groups.values():
            for g in table_groups:
                for kind, items in (("exists", g.exists), ("policy", g.policy)):
                    if items:
                        for claims_json, channels in g.by_claims.items():
                            checks.append(Check(kind, g.meta, channels[0].token.role, claims_json, g.access, items))
                            owners.append((g, claims_json))
        for (g, claims_json), check, visible in zip(owners, checks, await run_checks(self._pool, checks)):
            channels = g.by_claims[claims_json]
            for n in visible:
                plan = plans[n]
                if check.kind == "exists" or plan.change.type == "DELETE":
                    plan.visible.extend((g, c) for c in channels)
                if check.kind == "policy":
                    plan.old_visible.update(channels)
        return sum(self._send(plan) for plan in plans)

    async def _plan(self, change: Change, n: int, groups: dict[int, tuple[TableMeta, list[_Group]]],
                    now: float) -> _Plan | None:
        channels = self._hub.listening_to(change.schema, change.table)
        if not channels:
            return None
        meta = await self._catalog.table(change.schema, change.table)
        deleted = change.type == "DELETE"
        row = change.old_record if deleted else change.record
        if meta is not None and row is not None and any(k not in meta.by_name for k in row):
            self._catalog.forget(change.schema, change.table)  # a column was added since we looked
            meta = await self._catalog.table(change.schema, change.table)
        if meta is None:
            return None
        if id(meta) not in groups:
            groups[id(meta)] = (meta, await self._group(channels, meta, now))
        plan = _Plan(change, meta)
        keys: Row | None = None
        for g in groups[id(meta)][1]:
            access = g.access
            bindings = g.first.match(change.schema, change.table, change.type, row, access.columns)
            if not bindings:
                continue
            plan.matched[g] = bindings
            if access.bypass:
                for members in g.by_claims.values():
                    plan.visible.extend((g, c) for c in members)
                    plan.old_visible.update(members)
            elif not access.permissive:
                continue  # no SELECT policy applies to this role: RLS shows it nothing
            elif deleted:
                g.policy.append((n, row or {}))
            elif not meta.primary_key:
                self._warn_once(meta, "has row level security but no primary key: its changes cannot be checked")
            else:
                if keys is None:
                    record = change.record or {}
                    keys = {k: record.get(k) for k in meta.primary_key}
                g.exists.append((n, keys))
                if change.type == "UPDATE" and meta.identity is None:
                    g.policy.append((n, change.old_record or {}))
        return plan if plan.matched else None

    async def _group(self, channels: set[Channel], meta: TableMeta, now: float) -> list[_Group]:
        access = await self._catalog.access(meta, {c.token.role for c in channels})
        out: dict[tuple[str, tuple], _Group] = {}
        for c in channels:
            role = c.token.role
            a = access.get(role)
            if a is None or not a.usable or c.token.exp <= now:
                continue  # an expired channel is closed by its timer; nothing more is sent meanwhile
            g = out.get((role, c.shape))
            if g is None:
                g = out[(role, c.shape)] = _Group(meta, a, c, {})
            g.by_claims.setdefault(c.token.claims_json, []).append(c)
        return list(out.values())

    def _send(self, plan: _Plan) -> int:
        encoded: dict[tuple[str, tuple[str, ...] | None, bool], str] = {}
        ids_by_group: dict[_Group, dict[tuple[str, ...] | None, list[int]]] = {}
        sent = 0
        for g, channel in plan.visible:
            by_select = ids_by_group.get(g)
            if by_select is None:
                by_select = ids_by_group[g] = {}
                for b in plan.matched[g]:
                    by_select.setdefault(b.select, []).append(b.id)
            whole_old = channel in plan.old_visible
            for select, ids in by_select.items():
                key = (g.first.token.role, select, whole_old)
                data = encoded.get(key)
                if data is None:
                    data = encoded[key] = _data_json(plan.change, plan.meta, g.access, select, whole_old)
                if channel.sink.send(postgres_change(channel.topic, ids, data)):
                    sent += 1
        return sent

    def _warn_once(self, meta: TableMeta, text: str) -> None:
        if (meta.schema, meta.name) not in self._warned:
            self._warned.add((meta.schema, meta.name))
            log.warning("%s.%s %s", meta.schema, meta.name, text)


def _data_json(change: Change, meta: TableMeta, access: Access, select: tuple[str, ...] | None,
               whole_old_row: bool) -> str:
    columns = [c for c in meta.columns if c.name in access.columns and (select is None or c.name in select)]
    names = [c.name for c in columns]
    data: dict[str, Any] = {
        "schema": change.schema, "table": change.table, "commit_timestamp": change.commit_timestamp,
        "type": change.type, "errors": None, "columns": [{"name": c.name, "type": c.typname} for c in columns],
    }
    if change.type != "DELETE":
        record = change.record or {}
        data["record"] = {n: record[n] for n in names if n in record}
    if change.type != "INSERT":
        old = change.old_record or {}
        if meta.identity is None and whole_old_row:
            keep = names
        else:
            identity = meta.primary_key if meta.identity is None else meta.identity
            keep = [n for n in names if n in identity]
        data["old_record"] = {n: old[n] for n in keep if n in old}
    return json.dumps(data, separators=(",", ":"), default=str)
