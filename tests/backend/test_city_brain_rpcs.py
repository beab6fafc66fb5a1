"""Migration 20261201001310: rpc/city_trend and rpc/city_ticker (the /brain screen's reads), allowed and denied.

city_trend counts as rpc/city_summary counts (its today equals received_today and resolved_today),
scoped by role; residents get PT403 and anon 42501. city_ticker answers with RLS: staff see the
steps of cases they may read, a resident those of their own cases, another street's worker none
of this street's.
"""

from __future__ import annotations

import pytest
from postgrest.exceptions import APIError

from tests.backend.case_fixtures import people  # noqa: F401 - fixtures
from tests.backend.core_support import GRID_POINTS, file_report, item
from tests.backend.test_core_case_rpcs import call


def test_the_trend_agrees_with_the_summary_and_is_scoped(db, people) -> None:
    rid = file_report(people.citizen_a, item(db, "city_mgmt")["code"], GRID_POINTS[0])["id"]
    for who in ("supervisor", "worker_1"):
        user = getattr(people, who)
        trend = call(user, "city_trend", days=7)
        assert len(trend) == 7 and trend == sorted(trend, key=lambda d: d["day"])
        summary = call(user, "city_summary")
        assert (trend[-1]["received"], trend[-1]["resolved"]) == (summary["received_today"], summary["resolved_today"])
    assert len(call(people.supervisor, "city_trend", days=1000)) == 92  # at most a quarter
    mine = call(people.supervisor, "city_ticker", max_rows=100)
    assert rid in {e["report_id"] for e in mine} and all(e["case_number"] for e in mine if e["report_id"] == rid)
    assert rid not in {e["report_id"] for e in call(people.worker_2, "city_ticker", max_rows=100)}
    own = {r for (r,) in db.execute("select id::text from public.reports where reporter_id = %s", (people.citizen_a.id,))}
    seen = {e["report_id"] for e in call(people.citizen_a, "city_ticker", max_rows=100)}
    assert rid in seen and seen <= own
    assert not {e["report_id"] for e in call(people.citizen_b, "city_ticker", max_rows=100)} & {rid}


def test_residents_and_anon_are_refused(people, anon) -> None:
    with pytest.raises(APIError) as err:
        call(people.citizen_a, "city_trend", days=7)
    assert err.value.code == "PT403"
    for name, args in (("city_trend", {"days": 7}), ("city_ticker", {"max_rows": 5})):
        with pytest.raises(APIError) as err:
            anon.rpc(name, args).execute()
        assert err.value.code == "42501"
