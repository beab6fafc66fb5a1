"""Areas: the demo city tiles, `grid_at` finds the one grid of a point, everyone reads, only the service role writes."""

from __future__ import annotations

import uuid

import psycopg
import pytest
from postgrest.exceptions import APIError

from tests.backend.core_support import (COMMUNITIES, DISTRICT, GRID_POINTS, GRIDS, OUTSIDE, STREETS,
                                        ensure_demo_city)


@pytest.fixture(scope="module", autouse=True)
def city(db):
    ensure_demo_city(db)


def test_the_demo_city_nests_district_streets_communities_grids(db) -> None:
    rows = db.execute("select id::text, parent_id::text, level::text from public.areas"
                      " where id = any(%s::uuid[]) order by code", ([DISTRICT, *STREETS, *COMMUNITIES, *GRIDS],)).fetchall()
    levels = {}
    for _, _, level in rows:
        levels[level] = levels.get(level, 0) + 1
    assert levels == {"district": 1, "street": 2, "community": 4, "grid": 8}
    parents = {r[0]: r[1] for r in rows}
    assert parents[DISTRICT] is None
    assert {parents[s] for s in STREETS} == {DISTRICT}
    assert {parents[c] for c in COMMUNITIES} <= set(STREETS)
    assert {parents[g] for g in GRIDS} == set(COMMUNITIES)


def test_the_grids_tile_the_district(db) -> None:
    """A 30 x 30 lattice of points inside the district, off the edges: each lies in exactly one grid."""
    counts = db.execute(
        """select count(g.id) from generate_series(0, 29) i cross join generate_series(0, 29) j
           left join public.areas g on g.level = 'grid' and g.id = any(%s::uuid[])
                and point(117.19 + 0.03 * (i + 0.37) / 30, 39.11 + 0.02 * (j + 0.41) / 30) <@ g.polygon
           group by i, j""", (list(GRIDS),)).fetchall()
    assert len(counts) == 900 and {c[0] for c in counts} == {1}


def test_grid_at_finds_each_grid_and_nothing_outside(anon) -> None:
    for grid, (lat, lon) in zip(GRIDS, GRID_POINTS):
        assert anon.rpc("grid_at", {"lat": lat, "lon": lon}).execute().data == grid
    assert anon.rpc("grid_at", {"lat": OUTSIDE[0], "lon": OUTSIDE[1]}).execute().data is None


def test_a_point_on_a_shared_edge_gets_one_grid(anon) -> None:
    assert anon.rpc("grid_at", {"lat": 39.12, "lon": 117.1975}).execute().data in GRIDS


def test_anon_and_signed_in_people_read_areas(anon, make_user) -> None:
    citizen = make_user(app_metadata={"role": "citizen"})
    for client in (anon, citizen.client):
        rows = client.table("areas").select("id,level,center").in_("id", list(GRIDS)).execute().data
        assert sorted(r["id"] for r in rows) == sorted(GRIDS)
        assert all(r["level"] == "grid" and r["center"] for r in rows)


def test_only_the_service_role_writes_areas(anon, make_user, service, db) -> None:
    code = "T-" + uuid.uuid4().hex[:8]
    row = {"parent_id": COMMUNITIES[0], "level": "grid", "code": code, "name_zh": "测试", "name_en": "Test",
           "polygon": "((0,0),(1,0),(1,1),(0,1))"}
    admin = make_user(app_metadata={"role": "admin"})  # an admin's token is still an authenticated user's
    for client in (anon, admin.client):
        with pytest.raises(APIError) as err:
            client.table("areas").insert(row).execute()
        assert err.value.code == "42501"
        with pytest.raises(APIError):
            client.table("areas").update({"name_en": "hacked"}).eq("id", GRIDS[0]).execute()
        with pytest.raises(APIError):
            client.table("areas").delete().eq("id", GRIDS[0]).execute()
    assert db.execute("select name_en from public.areas where id = %s", (GRIDS[0],)).fetchone()[0] != "hacked"
    try:
        created = service.table("areas").insert(row).execute().data[0]
        assert created["center"] == "(0.5,0.5)"
    finally:
        db.execute("delete from public.areas where code = %s", (code,))


def test_a_grid_needs_a_polygon_and_a_parent_one_level_up(db) -> None:
    code = "T-" + uuid.uuid4().hex[:8]
    with pytest.raises(psycopg.errors.CheckViolation):
        db.execute("insert into public.areas (parent_id, level, code, name_zh, name_en) values (%s, 'grid', %s, 'x', 'x')",
                   (COMMUNITIES[0], code))
    with pytest.raises(psycopg.errors.CheckViolation, match="one level up"):
        db.execute("insert into public.areas (parent_id, level, code, name_zh, name_en, polygon)"
                   " values (%s, 'grid', %s, 'x', 'x', '((0,0),(1,0),(1,1))')", (STREETS[0], code))
    with pytest.raises(psycopg.errors.CheckViolation):
        db.execute("insert into public.areas (level, code, name_zh, name_en) values ('street', %s, 'x', 'x')", (code,))
