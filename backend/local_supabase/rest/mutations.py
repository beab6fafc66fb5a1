"""INSERT / upsert / UPDATE / DELETE statements, each returning rows through the read envelope."""

from __future__ import annotations

import json
from typing import Any

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

    def _populate(self, rows: list[dict], columns: list[str]) -> str:
        cols = ", ".join(ident(c) for c in columns)
        data = self.b.cast_param(json.dumps(rows, ensure_ascii=False), "json")
        return f"SELECT {cols} FROM json_populate_recordset(NULL::{self.target}, {data}) AS _body"

    def insert(self, body: Any, *, columns_param: list[str] | None, missing_default: bool,
               on_conflict: list[str] | None, resolution: str | None, returning: bool) -> list[str]:
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
        ret = f" RETURNING {self.target}.*" if returning else ""
        statements = []
        for cols, group in groups.items():
            if not group:
                continue
            if cols:
                col_list = ", ".join(ident(c) for c in cols)
                statements.append(f"INSERT INTO {self.target} ({col_list}) "
                                  f"{self._populate(group, list(cols))}{conflict}{ret}")
            else:  # `{}`: every column takes its default
                statements.extend([f"INSERT INTO {self.target} DEFAULT VALUES{conflict}{ret}"] * len(group))
        return statements

    def _conflict(self, on_conflict: list[str] | None, resolution: str | None, columns: list[str]) -> str:
        if resolution is None:
            return ""
        keys = on_conflict or list(self.table.primary_key)
        if not keys:
            raise ApiError(400, "PGRST204", f"'{self.table.name}' has no primary key: give on_conflict for an upsert")
        _checked_columns(self.table, keys)
        target = ", ".join(ident(k) for k in keys)
        if resolution == "ignore-duplicates":
            return f" ON CONFLICT ({target}) DO NOTHING"
        updates = [c for c in columns if c not in keys] or keys
        sets = ", ".join(f"{ident(c)} = EXCLUDED.{ident(c)}" for c in updates)
        return f" ON CONFLICT ({target}) DO UPDATE SET {sets}"

    def update(self, body: Any, plan: ReadPlan, *, returning: bool) -> str | None:
        if not isinstance(body, dict):
            raise invalid_body("PATCH needs a JSON object")
        if not body:
            return None
        columns = _checked_columns(self.table, list(body))
        alias = '"t0"'
        src = Source(self.table, self.table.columns, self.target)
        data = self.b.cast_param(json.dumps(body, ensure_ascii=False), "json")
        sets = ", ".join(f"{ident(c)} = _body.{ident(c)}" for c in columns)
        where = self.b.where(alias, src, ReadPlan(select=[], filters=plan.filters))
        ret = f" RETURNING {alias}.*" if returning else ""
        return (f"UPDATE {self.target} AS {alias} SET {sets} "
                f"FROM (SELECT * FROM json_populate_record(NULL::{self.target}, {data})) AS _body{where}{ret}")

    def delete(self, plan: ReadPlan, *, returning: bool) -> str:
        alias = '"t0"'
        src = Source(self.table, self.table.columns, self.target)
        where = self.b.where(alias, src, ReadPlan(select=[], filters=plan.filters))
        ret = f" RETURNING {alias}.*" if returning else ""
        return f"DELETE FROM {self.target} AS {alias}{where}{ret}"

    def with_returning(self, statements: list[str], plan: ReadPlan, *, count: bool, single: bool,
                       strip_nulls: bool) -> str:
        """Wrap RETURNING statements so the select list (with embeds) and JSON are built in SQL.

        Several statements become data-modifying CTEs at the top level (PostgreSQL allows
        them only there) whose rows are unioned into `pgrst_source`."""
        src = Source(self.table, self.table.columns, '"pgrst_source"')
        alias = '"t0"'
        items = self.b.select_list(src, alias, plan.select, plan.embeds)
        inner = f"SELECT {', '.join(items)} FROM pgrst_source AS {alias}"
        total = "(SELECT count(*) FROM pgrst_source)" if count else "NULL::bigint"
        envelope = Builder.envelope(inner, total, single=single, strip_nulls=strip_nulls)
        if len(statements) == 1:
            return f"WITH pgrst_source AS ({statements[0]}) {envelope}"
        names = [f'"_w{i}"' for i in range(len(statements))]
        ctes = ", ".join(f"{n} AS ({s})" for n, s in zip(names, statements))
        union = " UNION ALL ".join(f"SELECT * FROM {n}" for n in names)
        return f"WITH {ctes}, pgrst_source AS ({union}) {envelope}"
