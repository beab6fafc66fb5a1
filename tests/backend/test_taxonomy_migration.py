"""Departments and the 9 / 38 / 239 taxonomy as reference data, through /rest/v1 with supabase-py.

Everyone reads both tables; nobody but the service role writes. Denied writes are
errors (the API roles have no write grants) or, should a grant ever slip in,
touch nothing: each denial is checked in SQL.
"""

from __future__ import annotations

import re

import pytest
from postgrest.exceptions import APIError

from shared.taxonomy import DEPARTMENT_CODES, Category, default_taxonomy
from tests.backend.rest_support import sql_rows

NEW_ITEM = {"code": "09.05.999", "level": 3, "parent_code": "09.05", "name_zh": "测试事项", "name_en": "Test item",
            "department_code": "civil_affairs", "sla_hours": 24, "priority": 3, "keywords": ["测试", "test"]}


def _fingerprint(db) -> tuple:
    """Both tables in full: equal before and after means nothing changed."""
    return (db.execute("select md5(string_agg(d::text, '|' order by code)) from public.departments d").fetchone()[0],
            db.execute("select md5(string_agg(c::text, '|' order by code)) from public.categories c").fetchone()[0])


@pytest.fixture()
def user(make_user):
    return make_user()


@pytest.fixture(params=["anon", "user"])
def caller(request, anon, user):
    return anon if request.param == "anon" else user.client


def test_counts_by_level(db):
    rows = db.execute("select level, count(*) from public.categories group by level order by level").fetchall()
    assert rows == [(1, 9), (2, 38), (3, 239)]
    assert db.execute("select count(*) from public.departments").fetchone()[0] == 9


def test_departments_are_the_nine(service):
    rows = service.table("departments").select("code,name_zh,name_en,phone").order("code").execute().data
    assert sorted(r["code"] for r in rows) == sorted(DEPARTMENT_CODES)
    names = {r["code"]: r["name_zh"] for r in rows}
    assert names == {"city_mgmt": "城市管理", "environment": "生态环境", "water": "水务",
                     "public_security": "公安", "market": "市场监管", "health": "卫生健康",
                     "civil_affairs": "民政", "housing": "住房和城乡建设", "transport": "交通运输"}
    assert all(r["name_en"] for r in rows)


def test_every_item_is_complete_and_every_link_consistent(db):
    items = sql_rows(db, "select * from public.categories where level = 3")
    assert len(items) == 239
    for item in items:
        assert item["department_code"] in DEPARTMENT_CODES
        assert item["sla_hours"] > 0 and item["priority"] in (1, 2, 3, 4)
        assert any(not k.isascii() for k in item["keywords"]) and any(k.isascii() for k in item["keywords"])
    codes = [r[0] for r in db.execute("select code from public.categories").fetchall()]
    assert len(codes) == len(set(codes)) == 286
    pattern = {1: r"\d{2}", 2: r"\d{2}\.\d{2}", 3: r"\d{2}\.\d{2}\.\d{3}"}
    for code, level, parent, parent_level in db.execute(
            "select c.code, c.level, c.parent_code, p.level from public.categories c"
            " left join public.categories p on p.code = c.parent_code").fetchall():
        assert re.fullmatch(pattern[level], code), code
        if level == 1:
            assert parent is None
        else:
            assert parent_level == level - 1 and code.startswith(parent + "."), code
    # Majors and sub-categories carry no department, SLA or priority (nothing is inherited).
    inherited = db.execute("select count(*) from public.categories where level < 3 and (department_code"
                           " is not null or sla_hours is not null or priority is not null)").fetchone()[0]
    assert inherited == 0
    # Every sub-category has items, every major has sub-categories.
    assert db.execute("select count(*) from public.categories p where level < 3 and not exists"
                      " (select 1 from public.categories c where c.parent_code = p.code)").fetchone()[0] == 0


def test_the_database_matches_the_shipped_json(service):
    rows = service.table("categories").select("*").order("code").limit(1000).execute().data
    assert [Category.from_row(r) for r in rows] == list(default_taxonomy())


def test_anon_and_users_read_both_tables(caller):
    assert caller.table("departments").select("code", count="exact", head=True).execute().count == 9
    result = caller.table("categories").select("code", count="exact", head=True).eq("level", 3).execute()
    assert result.count == 239
    manhole = caller.table("categories").select("name_zh,department_code,sla_hours").eq("code", "02.02.001").execute()
    assert manhole.data == [{"name_zh": "井盖缺失", "department_code": "city_mgmt", "sla_hours": 2}]
    # Keywords are searchable through the API (array containment).
    found = caller.table("categories").select("code").contains("keywords", ["井盖"]).order("code").execute().data
    assert [r["code"] for r in found] == ["02.02.001", "02.02.002"]


def _refused(call) -> None:
    """A denied write: an error, or (were a grant ever added) no row touched."""
    try:
        result = call()
    except APIError:
        return
    assert result.data == [], result.data


@pytest.mark.parametrize("table, row, match", [
    ("departments", {"code": "police2", "name_zh": "假部门", "name_en": "Fake"}, ("code", "water")),
    ("categories", NEW_ITEM, ("code", "02.02.001")),
])
def test_anon_and_users_cannot_write(caller, db, table, row, match):
    before = _fingerprint(db)
    _refused(lambda: caller.table(table).insert(row).execute())
    _refused(lambda: caller.table(table).update({"name_en": "Hacked"}).eq(*match).execute())
    _refused(lambda: caller.table(table).update({"name_en": "Hacked"}).neq("code", "").execute())
    _refused(lambda: caller.table(table).delete().eq(*match).execute())
    _refused(lambda: caller.table(table).upsert({**row, "code": match[1]}).execute())
    assert _fingerprint(db) == before


def test_the_service_role_writes(service, db):
    before = _fingerprint(db)
    try:
        inserted = service.table("categories").insert(NEW_ITEM).execute().data
        assert inserted[0]["code"] == "09.05.999"
        service.table("categories").update({"sla_hours": 12}).eq("code", "09.05.999").execute()
        assert db.execute("select sla_hours from public.categories where code = '09.05.999'").fetchone() == (12,)
        service.table("departments").update({"phone": "12345"}).eq("code", "water").execute()
        assert db.execute("select phone from public.departments where code = 'water'").fetchone() == ("12345",)
        deleted = service.table("categories").delete().eq("code", "09.05.999").execute().data
        assert [r["code"] for r in deleted] == ["09.05.999"]
    finally:
        db.execute("delete from public.categories where code = '09.05.999'")
        db.execute("update public.departments set phone = null where code = 'water'")
    assert _fingerprint(db) == before


def test_constraints_refuse_malformed_rows(service, db):
    bad = [
        {**NEW_ITEM, "code": "9.5.1"},                      # malformed code
        {**NEW_ITEM, "parent_code": "09.04"},               # parent does not match the code
        {**NEW_ITEM, "department_code": None},              # an item without a department
        {**NEW_ITEM, "department_code": "police"},          # not a department
        {**NEW_ITEM, "priority": 5},
        {**NEW_ITEM, "keywords": []},
        {"code": "10", "level": 1, "name_zh": "测试", "name_en": "Test", "sla_hours": 4},  # majors carry no SLA
    ]
    for row in bad:
        with pytest.raises(APIError):
            service.table("categories").insert(row).execute()
    assert db.execute("select count(*) from public.categories").fetchone()[0] == 286


def test_policies_and_grants_are_as_documented(db):
    policies = db.execute("select tablename, policyname, cmd, roles::text from pg_policies"
                          " where schemaname = 'public' and tablename in ('departments', 'categories')"
                          " order by tablename").fetchall()
    assert policies == [("categories", "Anyone can read categories", "SELECT", "{anon,authenticated}"),
                        ("departments", "Anyone can read departments", "SELECT", "{anon,authenticated}")]
    for table in ("departments", "categories"):
        assert db.execute("select relrowsecurity from pg_class where oid = %s::regclass",
                          (f"public.{table}",)).fetchone() == (True,)
        for role in ("anon", "authenticated"):
            grants = db.execute("select privilege_type from information_schema.role_table_grants"
                                " where table_schema = 'public' and table_name = %s and grantee = %s",
                                (table, role)).fetchall()
            assert grants == [("SELECT",)], (table, role, grants)
        assert db.execute("select obj_description(%s::regclass, 'pg_class')", (f"public.{table}",)).fetchone()[0]
