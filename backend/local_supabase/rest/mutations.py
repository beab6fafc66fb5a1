"""INSERT / upsert / UPDATE / DELETE statements rendered from a write plan (plan.py), each
returning rows through the read envelope."""

from __future__ import annotations

import json

from . import plan_tree as pl
from .builder import Builder, ident


class Mutations:
    def __init__(self, builder: Builder, table: pl.Table):
        self.b = builder
        self.table = table
        self.target = Builder.qualified(table)

    def _populate(self, rows: list[dict], columns: list[str]) -> str:
        cols = ", ".join(ident(c) for c in columns)
        data = self.b.cast_param(json.dumps(rows, ensure_ascii=False), "json")
        return f"SELECT {cols} FROM json_populate_recordset(NULL::{self.target}, {data}) AS _body"

    def insert(self, plan: pl.InsertPlan) -> list[str]:
        """One INSERT per distinct key set (one in the usual case)."""
        conflict = self._conflict(plan.conflict)
        ret = f" RETURNING {self.target}.*" if plan.returning else ""
        statements = []
        for cols, group in plan.groups:
            if cols:
                col_list = ", ".join(ident(c) for c in cols)
                statements.append(f"INSERT INTO {self.target} ({col_list}) "
                                  f"{self._populate(group, list(cols))}{conflict}{ret}")
            else:  # `{}`: every column takes its default
                statements.extend([f"INSERT INTO {self.target} DEFAULT VALUES{conflict}{ret}"] * len(group))
        return statements

    @staticmethod
    def _conflict(conflict: pl.Conflict | None) -> str:
        if conflict is None:
            return ""
        target = ", ".join(ident(k) for k in conflict.keys)
        if conflict.updates is None:
            return f" ON CONFLICT ({target}) DO NOTHING"
        sets = ", ".join(f"{ident(c)} = EXCLUDED.{ident(c)}" for c in conflict.updates)
        return f" ON CONFLICT ({target}) DO UPDATE SET {sets}"

    def update(self, plan: pl.UpdatePlan) -> str:
        alias = '"t0"'
        data = self.b.cast_param(json.dumps(plan.body, ensure_ascii=False), "json")
        sets = ", ".join(f"{ident(c)} = _body.{ident(c)}" for c in plan.columns)
        where = self.b.where(alias, plan.where)
        ret = f" RETURNING {alias}.*" if plan.returning else ""
        return (f"UPDATE {self.target} AS {alias} SET {sets} "
                f"FROM (SELECT * FROM json_populate_record(NULL::{self.target}, {data})) AS _body{where}{ret}")

    def delete(self, plan: pl.DeletePlan) -> str:
        alias = '"t0"'
        where = self.b.where(alias, plan.where)
        ret = f" RETURNING {alias}.*" if plan.returning else ""
        return f"DELETE FROM {self.target} AS {alias}{where}{ret}"

    def with_returning(self, statements: list[str], plan: pl.ReadPlan) -> str:
        """Wrap RETURNING statements so the select list (with embeds) and JSON are built in SQL.

        Several statements become data-modifying CTEs at the top level (PostgreSQL allows
        them only there) whose rows are unioned into `pgrst_source`."""
        alias = '"t0"'
        items = self.b.select_list(plan.root, alias)
        inner = f"SELECT {', '.join(items)} FROM pgrst_source AS {alias}"
        total = "(SELECT count(*) FROM pgrst_source)" if plan.count else "NULL::bigint"
        envelope = Builder.envelope(inner, total, single=plan.single, strip_nulls=plan.strip_nulls)
        if len(statements) == 1:
            return f"WITH pgrst_source AS ({statements[0]}) {envelope}"
        names = [f'"_w{i}"' for i in range(len(statements))]
        ctes = ", ".join(f"{n} AS ({s})" for n, s in zip(names, statements))
        union = " UNION ALL ".join(f"SELECT * FROM {n}" for n in names)
        return f"WITH {ctes}, pgrst_source AS ({union}) {envelope}"
