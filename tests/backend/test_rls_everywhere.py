"""A safety net under every feature's own policy tests: no exposed table without RLS, no superuser route.

Each feature tests its policies allowed and denied; this checks what a new migration
could forget: a table in an exposed schema with row-level security off, or a
`security definer` function whose search_path is not pinned.
"""

from __future__ import annotations

EXPOSED = ("public", "storage")


def test_every_table_in_an_exposed_schema_has_row_level_security(db) -> None:
    rows = db.execute(
        """select n.nspname || '.' || c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace
            where c.relkind in ('r', 'p') and n.nspname = any(%s) and not c.relrowsecurity
            order by 1""", (list(EXPOSED),)).fetchall()
    assert [r[0] for r in rows] == []


def test_every_security_definer_function_pins_its_search_path(db) -> None:
    rows = db.execute(
        """select n.nspname || '.' || p.proname from pg_proc p join pg_namespace n on n.oid = p.pronamespace
            where p.prosecdef and n.nspname in ('public', 'private')
              and not exists (select 1 from unnest(coalesce(p.proconfig, '{}')) s where s like 'search_path=%%')
            order by 1""").fetchall()
    assert [r[0] for r in rows] == []


def test_no_role_the_api_serves_as_is_a_superuser_or_bypasses_rls(db) -> None:
    rows = db.execute(
        """select rolname from pg_roles where rolname in ('anon', 'authenticated', 'authenticator')
              and (rolsuper or rolbypassrls)""").fetchall()
    assert rows == []
