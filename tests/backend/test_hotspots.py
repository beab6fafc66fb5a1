"""Migration 20261201001300: hotspots gathered at filing, merged, resolved together, split, through the HTTP API.

Alike open reports of one sub-category within 150 m and 72 h form one hotspot; different words
at the same place, the same words 400 m away, or another sub-category stay apart. Staff who may
read a member see the hotspot (residents, another street's worker and anon do not); a handler
of every member or their supervisor merges it; resolving the parent resolves every member,
each on its own timeline; a member split out is routed again and never rejoins.
"""

from __future__ import annotations

import pytest
from postgrest.exceptions import APIError

from tests.backend.case_fixtures import city, people  # noqa: F401 - fixtures
from tests.backend.core_support import file_report
from tests.backend.test_core_case_rpcs import call, statuses

# Spots in grid 1, each at least 300 m from the others and from the grid point other tests use.
SPOTS = {"gather": (39.1282, 117.1911), "merge": (39.1218, 117.1911), "split": (39.1282, 117.1966),
         "withdraw": (39.1218, 117.1966)}
M_PER_DEG_LAT = 111_000


def near(spot: tuple[float, float], metres_north: float) -> tuple[float, float]:
    return spot[0] + metres_north / M_PER_DEG_LAT, spot[1]


@pytest.fixture(scope="module")
def other_city(db, city) -> str:
    row = db.execute("select code from public.categories where level = 3 and department_code = 'city_mgmt'"
                     " and code <> %s order by code limit 1", (city,)).fetchone()
    return row[0]


def hotspot_of(db, rid: str) -> str | None:
    row = db.execute("select hotspot_id::text from public.hotspot_members where report_id = %s and split_at is null",
                     (rid,)).fetchone()
    return row[0] if row else None


def active_tasks(db, rid: str) -> int:
    return db.execute("select count(*) from public.tasks where report_id = %s and status in ('open','accepted','in_progress')",
                      (rid,)).fetchone()[0]


def test_alike_neighbours_gather_and_different_ones_stay_apart(db, people, city, other_city) -> None:
    spot = SPOTS["gather"]
    a = file_report(people.citizen_a, city, spot, description="3号楼东侧堆了一大堆装修垃圾，好几天没人清理")["id"]
    b = file_report(people.citizen_b, city, near(spot, 60), description="三号楼东边的装修垃圾堆了好几天了，没人清")["id"]
    c = file_report(people.citizen_a, city, near(spot, -80), description="东侧装修垃圾一大堆，臭")["id"]
    other_words = file_report(people.citizen_b, city, near(spot, 20), description="小区北门的路灯坏了晚上很黑")["id"]
    far = file_report(people.citizen_b, city, near(spot, 400), description="3号楼东侧堆了一大堆装修垃圾")["id"]
    other_item = file_report(people.citizen_b, other_city, near(spot, 10), description="3号楼东侧堆了一大堆装修垃圾")["id"]

    spot_id = hotspot_of(db, a)
    assert spot_id is not None and hotspot_of(db, b) == spot_id and hotspot_of(db, c) == spot_id
    assert hotspot_of(db, other_words) != spot_id
    assert hotspot_of(db, far) != spot_id
    assert hotspot_of(db, other_item) != spot_id
    # Gathering changes nobody's case: every member keeps its own task until a person merges them.
    assert [active_tasks(db, r) for r in (a, b, c)] == [1, 1, 1]


def test_staff_in_scope_see_the_hotspot_and_nobody_else_does(db, people, city, anon) -> None:
    spot = near(SPOTS["gather"], 150)  # the hotspot of the test above (it runs first), seen from here
    rid = db.execute("select report_id::text from public.hotspot_members m join public.reports r on r.id = m.report_id"
                     " where r.description like '3号楼东侧堆了一大堆装修垃圾%%' and r.category_code = %s"
                     " order by r.created_at limit 1", (city,)).fetchone()
    assert rid, "the gathering test files the hotspot this test reads"
    spot_id = hotspot_of(db, rid[0])
    seen = {who: {h["id"] for h in call(getattr(people, who), "hotspots")}
            for who in ("worker_1", "supervisor", "citizen_a", "citizen_b", "worker_2", "staff")}
    assert spot_id in seen["worker_1"] and spot_id in seen["supervisor"]
    assert spot_id not in seen["citizen_a"] and spot_id not in seen["citizen_b"]  # reporters: their own case only
    assert spot_id not in seen["worker_2"] and spot_id not in seen["staff"]
    row = next(h for h in call(people.worker_1, "hotspots") if h["id"] == spot_id)
    assert row["member_count"] == 3 and row["open_count"] == 3 and len(row["report_ids"]) == 3
    # The tables: staff in scope read them, others get no rows, nobody writes them.
    assert people.worker_1.client.table("hotspots").select("id").eq("id", spot_id).execute().data
    assert not people.worker_2.client.table("hotspots").select("id").eq("id", spot_id).execute().data
    assert not people.citizen_a.client.table("hotspot_members").select("report_id").eq("hotspot_id", spot_id).execute().data
    for client in (people.supervisor.client, people.citizen_a.client):
        with pytest.raises(APIError) as err:
            client.table("hotspots").update({"lat": spot[0]}).eq("id", spot_id).execute()
        assert err.value.code == "42501"
    with pytest.raises(APIError) as err:
        anon.rpc("hotspots", {}).execute()
    assert err.value.code == "42501"
    for who in ("citizen_a", "worker_2"):
        with pytest.raises(APIError) as err:
            call(getattr(people, who), "merge_hotspot", hotspot=spot_id)
        assert err.value.code == "PT404"
    assert db.execute("select parent_report_id from public.hotspots where id = %s", (spot_id,)).fetchone()[0] is None


def _cluster(people, city, spot, words: str, n: int = 3) -> list[str]:
    reporters = (people.citizen_a, people.citizen_b)
    return [file_report(reporters[i % 2], city, near(spot, 40 * i), description=f"{words}{'，' * i}")["id"]
            for i in range(n)]


def test_merged_hotspot_is_handled_once_and_resolved_for_every_member(db, people, city) -> None:
    members = _cluster(people, city, SPOTS["merge"], "5号楼下水道井盖丢了，很危险")
    spot_id = hotspot_of(db, members[0])
    assert all(hotspot_of(db, r) == spot_id for r in members)

    merged = call(people.worker_1, "merge_hotspot", hotspot=spot_id)
    parent = members[0]  # the oldest open member
    assert merged["parent_report_id"] == parent
    assert call(people.worker_1, "merge_hotspot", hotspot=spot_id)["parent_report_id"] == parent  # twice = once
    assert [active_tasks(db, r) for r in members] == [1, 0, 0]
    for rid in members[1:]:
        assert db.execute("select parent_report_id::text from public.reports where id = %s", (rid,)).fetchone()[0] == parent
        kinds = [k for (k,) in db.execute("select kind from public.notifications where report_id = %s", (rid,))]
        assert "report_merged" in kinds

    # A newcomer to a merged hotspot is handled with the others from the start.
    late = file_report(people.citizen_b, city, near(SPOTS["merge"], 30), description="5号楼下水道井盖丢了")["id"]
    assert hotspot_of(db, late) == spot_id and active_tasks(db, late) == 0

    call(people.worker_1, "accept_report", report=parent)
    call(people.worker_1, "resolve_report", report=parent, note="已补装井盖")
    for rid in members + [late]:
        assert statuses(db, rid)[-1] == "resolved"
        assert db.execute("select resolution_note from public.reports where id = %s", (rid,)).fetchone()[0] == "已补装井盖"
    # Each reporter rates their own case.
    owner_b = members[1]
    call(people.citizen_b, "rate_report", report=owner_b, score=4)
    assert db.execute("select score from public.ratings where report_id = %s", (owner_b,)).fetchone()[0] == 4
    assert db.execute("select count(*) from public.ratings where report_id = %s", (parent,)).fetchone()[0] == 0


def test_a_member_split_out_is_routed_again_and_never_rejoins(db, people, city) -> None:
    members = _cluster(people, city, SPOTS["split"], "7号楼门口的共享单车乱停堵住了消防通道")
    spot_id = hotspot_of(db, members[0])
    call(people.supervisor, "merge_hotspot", hotspot=spot_id)
    with pytest.raises(APIError) as err:
        call(people.worker_2, "split_hotspot_member", report=members[2])
    assert err.value.code == "PT404"
    with pytest.raises(APIError) as err:  # the parent keeps its members
        call(people.worker_1, "split_hotspot_member", report=members[0])
    assert err.value.code == "PT409"

    call(people.worker_1, "split_hotspot_member", report=members[2])
    assert hotspot_of(db, members[2]) is None and active_tasks(db, members[2]) == 1
    assert db.execute("select parent_report_id from public.reports where id = %s", (members[2],)).fetchone()[0] is None
    assert "split out" in db.execute("select note from public.case_events where report_id = %s order by id desc limit 1",
                                     (members[2],)).fetchone()[0]
    # A newcomer alike to both neither pulls the split report back in nor is lost.
    late = file_report(people.citizen_b, city, near(SPOTS["split"], 20), description="7号楼门口共享单车乱停堵住消防通道")["id"]
    assert hotspot_of(db, late) == spot_id and hotspot_of(db, members[2]) is None
    call(people.worker_1, "accept_report", report=members[0])
    call(people.worker_1, "resolve_report", report=members[0], note="已清理")
    assert statuses(db, members[1])[-1] == "resolved" and statuses(db, members[2])[-1] != "resolved"


def test_a_withdrawn_parent_hands_its_members_back(db, people, city) -> None:
    members = _cluster(people, city, SPOTS["withdraw"], "9号楼电梯间的消防栓漏水了")
    spot_id = hotspot_of(db, members[0])
    call(people.supervisor, "merge_hotspot", hotspot=spot_id)
    assert [active_tasks(db, r) for r in members] == [1, 0, 0]
    call(people.citizen_a, "withdraw_report", report=members[0], reason="已经自己修好了")
    assert [active_tasks(db, r) for r in members[1:]] == [1, 1]
    assert db.execute("select count(*) from public.reports where parent_report_id = %s", (members[0],)).fetchone()[0] == 0


def test_a_newcomer_bridges_two_wordings_of_one_problem(db, people, city) -> None:
    spot = (39.1250, 117.1990)
    a = file_report(people.citizen_a, city, spot, description="11号楼后门污水横流")["id"]
    b = file_report(people.citizen_b, city, near(spot, 30), description="十一号楼后边化粪池冒了臭气熏天")["id"]
    assert hotspot_of(db, a) is None or hotspot_of(db, a) != hotspot_of(db, b)
    c = file_report(people.citizen_a, city, near(spot, 15), description="11号楼后门化粪池冒了，污水横流")["id"]
    assert hotspot_of(db, c) is not None and hotspot_of(db, a) == hotspot_of(db, b) == hotspot_of(db, c)


def test_the_city_summary_counts_the_open_hotspots_in_scope(db, people, city) -> None:
    _cluster(people, city, (39.1195, 117.1990), "13号楼前面的井盖松动了一踩就响")
    for who in ("worker_1", "supervisor"):
        user = getattr(people, who)
        assert call(user, "city_summary")["hotspots_open"] == len(call(user, "hotspots")) > 0
    assert call(people.worker_2, "city_summary")["hotspots_open"] == len(call(people.worker_2, "hotspots"))
