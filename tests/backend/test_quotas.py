"""Quotas (migration 20261201000400_quotas): reports per citizen, link_utility_account misses per
account number and per client address. Each refusal is a PT429 naming its limit and changes nothing."""

from __future__ import annotations

import dataclasses
import uuid

import httpx
import pytest
from postgrest.exceptions import APIError

from shared import errors
from shared.client import CityClient
from shared.limits import LIMITS
from shared.models import ReportCreate
from tests.backend.core_support import GRID_POINTS, GRIDS, file_report, item, ensure_demo_city, only_workers
from tests.backend.gateway_support import extra_gateway
from tests.backend.payments_support import city_client, new_account

PER_HOUR = LIMITS["reports_per_hour"].value
PER_DAY = LIMITS["reports_per_day"].value


@pytest.fixture(scope="module")
def city(db, make_user) -> str:
    ensure_demo_city(db)
    worker = make_user(app_metadata={"role": "grid_worker"})
    only_workers(db, GRIDS[0], (worker.id, True))
    return item(db, "city_mgmt")["code"]


def backfill(db, user_id: str, category: str, n: int, age: str, source: str = "citizen_app") -> None:
    """`n` reports by `user_id`, `age` old, written straight into the table (no dispatch) to reach a quota cheaply;
    closed, so that no other test's nearby_open_reports sees them."""
    lat, lon = GRID_POINTS[0]
    with db.transaction():
        db.execute("set local session_replication_role = replica")  # no triggers: neither dispatch nor the quota
        # Filing gives each case its number; without the trigger the test gives one nobody else uses.
        db.execute("insert into public.reports (reporter_id, category_code, description, lat, lon, source, status,"
                   " created_at, case_number) select %s, %s, 'backfill', %s, %s, %s::public.report_source, 'closed',"
                   " now() - %s::interval, 'TEST-' || gen_random_uuid() from generate_series(1, %s)",
                   (user_id, category, lat, lon, source, age, n))


def filed(db, user_id: str) -> int:
    return db.execute("select count(*) from public.reports where reporter_id = %s", (user_id,)).fetchone()[0]


def test_the_21st_report_in_an_hour_is_refused_with_a_clear_message(stack, db, make_user, city) -> None:
    citizen = make_user(app_metadata={"role": "citizen"})
    backfill(db, citizen.id, city, PER_HOUR - 1, "10 minutes")
    last = file_report(citizen, city, GRID_POINTS[0])  # the 20th of the hour
    with pytest.raises(APIError) as err:
        file_report(citizen, city, GRID_POINTS[0])
    assert (err.value.code, err.value.hint) == ("PT429", "reports_per_hour")
    assert f"at most {PER_HOUR} an hour" in err.value.message
    assert filed(db, citizen.id) == PER_HOUR
    # A retry of a report already filed is not a new one: it fails on its key, not on the quota.
    with pytest.raises(APIError) as again:
        file_report(citizen, city, GRID_POINTS[0], id=last["id"])
    assert again.value.code == "23505"
    # An hour later the citizen may report again.
    db.execute("update public.reports set created_at = created_at - interval '1 hour' where reporter_id = %s",
               (citizen.id,))
    assert file_report(citizen, city, GRID_POINTS[0])["status"] == "dispatched"


def test_the_app_shows_the_quota_in_plain_words(stack, db, make_user, city) -> None:
    import asyncio

    citizen = make_user(app_metadata={"role": "citizen"})
    backfill(db, citizen.id, city, PER_HOUR, "5 minutes")

    async def submit() -> errors.CityError:
        client = await CityClient.connect(url=stack.url, key=stack.anon_key)
        await client.auth.sign_in(citizen.email, citizen.password)
        lat, lon = GRID_POINTS[0]
        try:
            with pytest.raises(errors.CityError) as err:
                await client.reports.submit_report(ReportCreate(id=uuid.uuid4(), category_code=city, description="路灯不亮",
                                                        lat=lat, lon=lon))
            return err.value
        finally:
            await client.aclose()

    refusal = asyncio.run(submit())
    assert isinstance(refusal, errors.HourlyReportQuota) and isinstance(refusal, errors.RateLimited)
    assert refusal.message("zh-CN") == f"上报太频繁：每小时最多 {PER_HOUR} 件，请稍后再报"
    assert refusal.message("en") == f"Too many reports: at most {PER_HOUR} an hour. Please try again later."
    assert filed(db, citizen.id) == PER_HOUR


def test_a_day_holds_at_most_100_reports(db, make_user, city) -> None:
    citizen = make_user(app_metadata={"role": "citizen"})
    backfill(db, citizen.id, city, PER_DAY, "3 hours")  # none in the last hour
    with pytest.raises(APIError) as err:
        file_report(citizen, city, GRID_POINTS[0])
    assert (err.value.code, err.value.hint) == ("PT429", "reports_per_day")
    assert filed(db, citizen.id) == PER_DAY


def test_staff_filing_for_residents_are_exempt(db, make_user, city) -> None:
    worker = make_user(app_metadata={"role": "grid_worker"})
    backfill(db, worker.id, city, PER_DAY, "10 minutes", source="grid_app")
    row = file_report(worker, city, GRID_POINTS[0], source="grid_app", resident_name="张大爷",
                      resident_phone="13800000123")
    assert row["status"] == "dispatched" and filed(db, worker.id) == PER_DAY + 1
    # As a resident (the citizen app's source), a worker counts like anyone else.
    with pytest.raises(APIError) as err:
        file_report(worker, city, GRID_POINTS[0], source="citizen_app")
    assert err.value.code == "PT429"
    assert filed(db, worker.id) == PER_DAY + 1


# ---------------------------------------------------------------- link_utility_account


@pytest.fixture()
def no_misses(db):
    """The per-address count sees every test's misses from this machine: start and end without any."""
    db.execute("delete from private.utility_link_misses")
    yield
    db.execute("delete from private.utility_link_misses")


def link(stack, user, account, name: str, address: str | None = None) -> httpx.Response:
    headers = {"apikey": stack.anon_key, "Authorization": f"Bearer {user.access_token}"}
    if address:
        headers["X-Forwarded-For"] = address
    return httpx.post(f"{stack.url}/rest/v1/rpc/link_utility_account", headers=headers, timeout=30,
                      json={"kind": account.kind, "provider": account.provider, "account_no": account.account_no,
                            "holder_name": name})


def linked(db, account) -> int:
    return db.execute("select count(*) from public.utility_accounts where account_no = %s",
                      (account.account_no,)).fetchone()[0]


def test_misses_on_one_account_number_by_several_people_hit_its_limit(stack, service, db, make_user, no_misses) -> None:
    account = new_account(service, holder_name="孙九")
    most = LIMITS["link_misses_per_account"].value
    per_person = LIMITS["link_misses_per_person"].value
    guessers = [make_user(app_metadata={"role": "citizen"}) for _ in range(-(-most // (per_person - 1)))]
    misses = 0
    for guesser in guessers:  # each stays under the per-person limit
        for _ in range(per_person - 1):
            if misses == most:
                break
            answer = link(stack, guesser, account, f"猜{misses}")
            assert answer.status_code == 200 and answer.json()["id"] is None  # "no match"
            misses += 1
    fresh = make_user(app_metadata={"role": "citizen"})
    refused = link(stack, fresh, account, "孙九")  # even the right name: a refusal must not tell right from wrong
    assert refused.status_code == 429
    body = refused.json()
    assert (body["code"], body["hint"]) == ("PT429", "link_misses_per_account") and "on this account number: at most 10 in 60 minutes" in body["message"]
    assert linked(db, account) == 0
    # Another account number is not held back.
    other = new_account(service, holder_name="孙九")
    assert link(stack, fresh, other, "孙九").json()["account_no"] == other.account_no


@pytest.fixture()
def behind_app_server(stack):
    """The stack as an app server reaches it: a gateway that believes X-Forwarded-For from 127.0.0.1."""
    with extra_gateway(stack, CITYLOOP_TRUSTED_PROXIES="127.0.0.1") as url:
        yield dataclasses.replace(stack, url=url)


def test_a_forged_address_is_not_believed(stack, service, db, make_user, no_misses) -> None:
    guesser = make_user(app_metadata={"role": "citizen"})
    link(stack, guesser, new_account(service, holder_name="周十"), "不是他", "203.0.113.99")
    assert db.execute("select client_address from private.utility_link_misses order by missed_at desc limit 1"
                      ).fetchone()[0] == "127.0.0.1"


async def test_misses_from_one_address_hit_its_limit(behind_app_server, service, db, make_user, no_misses) -> None:
    stack = behind_app_server
    most = LIMITS["link_misses_per_address"].value
    per_person = LIMITS["link_misses_per_person"].value
    address = "203.0.113.77"
    misses = 0
    while misses < most:  # a new person and a new account number for every few tries
        guesser = make_user(app_metadata={"role": "citizen"})
        for _ in range(min(per_person - 1, most - misses)):
            account = new_account(service, holder_name="周十")
            assert link(stack, guesser, account, "不是他", address).json()["id"] is None
            misses += 1
    assert db.execute("select count(*) from private.utility_link_misses where client_address = %s",
                      (address,)).fetchone()[0] == most
    account = new_account(service, holder_name="周十")
    refused = link(stack, make_user(app_metadata={"role": "citizen"}), account, "周十", address)
    assert refused.status_code == 429 and refused.json()["hint"] == "link_misses_per_address"
    assert linked(db, account) == 0
    # The app words it in plain zh/en.
    client = await city_client(stack, make_user(app_metadata={"role": "citizen"}))
    client_headers = client.supabase.postgrest.session.headers
    client_headers["X-Forwarded-For"] = address
    with pytest.raises(errors.LinkThrottledForAddress) as err:
        await client.payments.link_utility_account(account.kind, account.provider, account.account_no, "周十")
    assert err.value.message("zh-CN") == "当前网络的绑定尝试失败次数过多，请 15 分钟后再试"
    await client.aclose()
    # Another address is not held back.
    assert link(stack, make_user(app_metadata={"role": "citizen"}), account, "周十", "198.51.100.5").json()["account_no"] \
        == account.account_no
