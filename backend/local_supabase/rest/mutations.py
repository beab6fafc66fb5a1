"""INSERT / upsert / UPDATE / DELETE statements, each returning rows through the read envelope."""

from __future__ import annotations

import json
from typing import Any

from psycopg import sql

from .builder import Builder, ReadPlan, Source, ident
from .errors import ApiError
from .schema_cache import Table


def invalid_body(message: str) -> ApiError:
    return ApiError(400, "PGRST102", message)


def missing_column(table: Table, name: str) -> ApiError:
    return ApiError(400, "PGRST204", f"Could not find the '{name}' column of '{table.name}' in the schema cache")


def rows_from_body(body: Any) -> list[dict]:
    if isinstance(body, dict):
        return [body]
    if isinstance(body, list) and all(isinstance(r, dict) for r in body):
        return body
    raise invalid_body("All object keys must match" if isinstance(body, list) else "Body must be a JSON object or an array of objects")


def _checked_columns(table: Table, names: list[str]) -> list[str]:
    for name in names:
        if name not in table.columns:
            raise missing_column(table, name)
    return names


class Mutations:
    def __init__(self, builder: Builder, table: Table):
        self.b = builder
        self.table = table
        self.target = Builder.qualified(table)

    def _populate(self, rows: list[dict], columns: list[str]) -> sql.Composed:
        cols = sql.SQL(", ").join(ident(c) for c in columns)
        data = self.b.cast_param(json.dumps(rows, ensure_ascii=False), "json")
        return sql.SQL("SELECT {} FROM json_populate_recordset(NULL::{}, {}) AS _body").format(cols, self.target, data)

    def insert(self, body: Any, *, columns_param: list[str] | None, missing_default: bool,
               on_conflict: list[str] | None, resolution: str | None, returning: bool) -> list[sql.Composable]:
        """One INSERT per distinct key set (one in the usual case)."""
        rows = rows_from_body(body)
        if columns_param is not None:
            columns = _checked_columns(self.table, columns_param)
            rows = [{k: v for k, v in r.items() if k in columns} for r in rows]
        else:
            seen: dict[str, None] = {}
            for r in rows:
                seen.update(dict.fromkeys(r))
            columns = _checked_columns(self.table, list(seen))
        if missing_default:
            # Each distinct key set is inserted on its own so absent keys take the column default.
            groups: dict[tuple[str, ...], list[dict]] = {}
            for r in rows:
                groups.setdefault(tuple(c for c in columns if c in r), []).append(r)
        else:
            groups = {tuple(columns): rows}
        conflict = self._conflict(on_conflict, resolution, columns)
        ret = sql.SQL(" RETURNING {}.*").format(self.target) if returning else sql.SQL("")
        statements = []
        for cols, group in groups.items():
            if not group:
                continue
            if cols:
                statements.append(sql.SQL("INSERT INTO {} ({}) {}{}{}").format(
                    self.target, sql.SQL(", ").join(ident(c) for c in cols),
                    self._populate(group, list(cols)), conflict, ret))
            else:  # `{}`: every column takes its default
                statements.extend([sql.SQL("INSERT INTO {} DEFAULT VALUES{}{}").format(self.target, conflict, ret)]
                                  * len(group))
        return statements

    def _conflict(self, on_conflict: list[str] | None, resolution: str | None, columns: list[str]) -> sql.Composable:
        if resolution is None:
            return sql.SQL("")
        keys = on_conflict or list(self.table.primary_key)
        if not keys:
            raise ApiError(400, "PGRST204", f"'{self.table.name}' has no primary key: give on_conflict for an upsert")
        _checked_columns(self.table, keys)
        target = sql.SQL(", ").join(ident(k) for k in keys)
        if resolution == "ignore-duplicates":
            return sql.SQL(" ON CONFLICT ({}) DO NOTHING").format(target)
        updates = [c for c in columns if c not in keys] or keys
        sets = sql.SQL(", ").join(sql.SQL("{0} = EXCLUDED.{0}").format(ident(c)) for c in updates)
        return sql.SQL(" ON CONFLICT ({}) DO UPDATE SET {}").format(target, sets)

    def update(self, body: Any, plan: ReadPlan, *, returning: bool) -> sql.Composed | None:
        if not isinstance(body, dict):
            raise invalid_body("PATCH needs a JSON object")
        if not body:
            return None
        columns = _checked_columns(self.table, list(body))
        alias = ident("t0")
        src = Source(self.table, self.table.columns, self.target)
        data = self.b.cast_param(json.dumps(body, ensure_ascii=False), "json")
        sets = sql.SQL(", ").join(sql.SQL("{0} = _body.{0}").format(ident(c)) for c in columns)
        where = self.b.where(alias, src, ReadPlan(select=[], filters=plan.filters))
        ret = sql.SQL(" RETURNING {}.*").format(alias) if returning else sql.SQL("")
        return sql.SQL("UPDATE {} AS {} SET {} FROM (SELECT * FROM json_populate_record(NULL::{}, {})) AS _body{}{}").format(
            self.target, alias, sets, self.target, data, where, ret)

    def delete(self, plan: ReadPlan, *, returning: bool) -> sql.Composed:
        alias = ident("t0")
        src = Source(self.table, self.table.columns, self.target)
        where = self.b.where(alias, src, ReadPlan(select=[], filters=plan.filters))
        ret = sql.SQL(" RETURNING {}.*").format(alias) if returning else sql.SQL("")
        return sql.SQL("DELETE FROM {} AS {}{}{}").format(self.target, alias, where, ret)

    def with_returning(self, statements: list[sql.Composable], plan: ReadPlan, *, count: bool, single: bool,
                       strip_nulls: bool) -> sql.Composed:
        """Wrap RETURNING statements so the select list (with embeds) and JSON are built in SQL.

        Several statements become data-modifying CTEs at the top level (PostgreSQL allows
        them only there) whose rows are unioned into `pgrst_source`."""
        src = Source(self.table, self.table.columns, ident("pgrst_source"))
        alias = ident("t0")
        items = self.b.select_list(src, alias, plan.select, plan.embeds)
        inner = sql.SQL("SELECT {} FROM pgrst_source AS {}").format(sql.SQL(", ").join(items), alias)
        total = sql.SQL("(SELECT count(*) FROM pgrst_source)") if count else sql.SQL("NULL::bigint")
        envelope = Builder.envelope(inner, total, single=single, strip_nulls=strip_nulls)
        if len(statements) == 1:
            return sql.SQL("WITH pgrst_source AS ({}) {}").format(statements[0], envelope)
        names = [ident(f"_w{i}") for i in range(len(statements))]
        ctes = sql.SQL(", ").join(sql.SQL("{} AS ({})").format(n, s) for n, s in zip(names, statements))
        union = sql.SQL(" UNION ALL ").join(sql.SQL("SELECT * FROM {}").format(n) for n in names)
        return sql.SQL("WITH {}, pgrst_source AS ({}) {}").format(ctes, union, envelope)
