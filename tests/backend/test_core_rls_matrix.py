"""The whole access policy as one matrix: every table in `public` and bucket x every kind of caller x every operation.

Callers: anon, citizen A, citizen B, the worker of grid 1, the worker of grid 5 (the other
street), staff of the `environment` department, the supervisor of grid 1's street, the
service role. One world, made once: R1 (A's city case in grid 1, worker 1's task), R2 (B's
environment case in grid 5, the department's queue), A's SOS in grid 1 (acknowledged by
worker 1, so escalation leaves it alone), a notification for A, A's rating of R1, A following
R1, a photo in A's folder attached to R1, A's avatar, a care subject in grid 1 whose account is
A (a row in every care table), a utility account A linked, its bill, A's payment of it and its
ledger entry.

Each cell runs one operation through supabase-py as that caller (see `rls_support.check_cell`):
select (is the target row visible?), insert (a valid row for the table), update (a harmless
column of the target row), delete (the target row; where only the service role may delete, a
scratch row it inserted itself). An allowed cell must take effect; a denied one must answer
empty or with SQLSTATE 42501 and change nothing, checked in SQL. What an allowed cell changes
is put back.

Adding a table is one line in TABLES: `Table(name, target SQL, select, insert, update, delete,
change, new row, ident, why)`. `test_every_table_in_public_is_in_the_matrix` fails until it is there.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any, Callable

import pytest
from postgrest.exceptions import APIError
from storage3.exceptions import StorageApiError
from supabase_auth.errors import AuthApiError

from shared.payments import new_idempotency_key
from tests.backend.care_support import CARE_TABLES, make_care_world
from tests.backend.core_support import (GRID_POINTS, GRIDS, STAFF_DEPARTMENT, STREETS, People, file_report, item,
                                        make_people, only_workers)
from tests.backend.payments_support import new_account
from tests.backend.rls_support import (ACTORS, ALL, MARK, NOBODY, SVC, Names, Table, Targets, attempt, cells,
                                       check_cell, rows, who)
from tests.backend.storage_support import object_row, tag, version_files

# Who may read the target rows that hang off R1 and off A's SOS.
R1_READERS = who("citizen_a", "worker_1", "supervisor")
SOS_READERS = who("citizen_a", "worker_1", "supervisor")
A_ONLY = who("citizen_a")
EPOCH = "2001-01-01T00:00:00+00:00"


def _code(n: Names) -> str:
    """A department code (letters only) nobody has."""
    return "zz_" + n.mark[-8:].translate(str.maketrans("0123456789", "ghijklmnop"))


# R1's hotspot: the one gathering put it in, else one made for the matrix.
R1_HOTSPOT = (
    "with known as (select hotspot_id, report_id from public.hotspot_members where report_id = %(r1)s and split_at is null),"
    " made as (insert into public.hotspots (category_code, lat, lon) select category_code, lat, lon from public.reports"
    "          where id = %(r1)s and not exists (select 1 from known) returning id),"
    " joined as (insert into public.hotspot_members (hotspot_id, report_id, likeness)"
    "            select id, %(r1)s, 1 from made returning hotspot_id, report_id),"
    " hs as (select * from known union all select * from joined)")


# One line per table in `public`: Table(name, target row (superuser SQL; the world's names as
# %(name)s; its columns are the key), select, insert, update, delete, update sent, new row
# (from the world's names, `me` and a unique `mark`), columns that find the new row, why).
CORE_TABLES = [
    Table("departments", "select code from public.departments where code = %(dept)s", ALL, SVC, SVC, SVC,
          {"name_en": MARK}, lambda n: {"code": _code(n), "name_zh": "测试", "name_en": n.mark}, ("code",),
          "reference data: everyone reads, only the service role writes"),
    Table("categories", "select code from public.categories where code = %(city)s", ALL, SVC, SVC, SVC,
          {"name_en": MARK}, lambda n: {"code": n.free_category, "level": 1, "name_zh": "测试", "name_en": n.mark},
          ("code",), "reference data"),
    Table("calendar_years", "select year from public.calendar_years where year = 2026", ALL, SVC, SVC, SVC,
          {"source": MARK}, lambda n: {"year": 2199, "source": n.mark}, ("year",),
          "reference data: the official years; loading one is load_calendar_year (service role)"),
    Table("calendar_days", "select day from public.calendar_days where day = '2026-10-01'", ALL, SVC, SVC, SVC,
          {"name": MARK}, lambda n: {"day": "2026-03-11", "is_working_day": False, "name": n.mark}, ("day",),
          "reference data: holidays and adjusted working days"),
    Table("areas", "select id from public.areas where id = %(grid_1)s", ALL, SVC, SVC, SVC, {"name_en": MARK},
          lambda n: {"level": "district", "code": n.mark, "name_zh": "测试", "name_en": n.mark}, ("code",),
          "reference data"),
    Table("profiles", "select id from public.profiles where id = %(citizen_a)s", A_ONLY, SVC, A_ONLY, SVC,
          {"display_name": MARK}, lambda n: {"id": n.me, "display_name": n.mark, "role": "admin"}, ("id",),
          "own profile only; made by the sign-up trigger; role is not a writable column"),
    Table("worker_grids", "select worker_id, grid_id from public.worker_grids"
          " where worker_id = %(worker_1)s and grid_id = %(grid_1)s", who("worker_1", "supervisor"), SVC, SVC, SVC,
          {"created_at": EPOCH}, lambda n: {"worker_id": n.me, "grid_id": n.grid_2}, (),
          "the worker and the street's supervisor read; assignments are the service role's"),
    Table("worker_duty", "select worker_id from public.worker_duty where worker_id = %(worker_1)s",
          who("worker_1"), who("worker_1", "worker_2"), who("worker_1"), SVC,
          {"on_duty": False}, lambda n: {"worker_id": n.me, "on_duty": True}, ("worker_id",),
          "grid workers keep their own duty record"),
    Table("department_staff", "select user_id, department_code from public.department_staff where user_id = %(staff)s",
          who("staff"), SVC, SVC, SVC, {"created_at": EPOCH},
          lambda n: {"user_id": n.me, "department_code": "city_mgmt"}, (), "own assignment only"),
    Table("supervisor_streets", "select user_id, street_id from public.supervisor_streets"
          " where user_id = %(supervisor)s", who("supervisor"), SVC, SVC, SVC, {"created_at": EPOCH},
          lambda n: {"user_id": n.me, "street_id": n.street_2}, (), "own assignment only"),
    Table("reports", "select id from public.reports where id = %(r1)s",
          R1_READERS, who("citizen_a", "citizen_b", "worker_1", "worker_2"), SVC, NOBODY, {"description": MARK},
          lambda n: {"category_code": n.city, "description": n.mark, "lat": n.lat, "lon": n.lon,
                     "source": "grid_app" if n.me in (n.worker_1, n.worker_2) else "citizen_app"}, ("description",),
          "reporter, grid's worker, street's supervisor read; citizens and workers file as themselves;"
          " nobody changes a report except through the RPCs; nobody deletes one, not even the service"
          " role: the cascade would delete its append-only timeline"),
    Table("tasks", "select id from public.tasks where report_id = %(r2)s and queue = 'department'",
          who("citizen_b", "worker_2", "staff"), SVC, SVC, SVC, {"note": MARK},
          lambda n: {"report_id": n.r1, "queue": "department", "department_code": n.dept, "note": n.mark,
                     "status": "cancelled"}, ("note",),  # cancelled: R1 already has its one active task
          "whoever reads the report; tasks change through the RPCs"),
    Table("case_events", "select min(id) as id from public.case_events where report_id = %(r1)s",
          R1_READERS, SVC, NOBODY, NOBODY, {"note": MARK},
          lambda n: {"report_id": n.r1, "actor_id": n.me, "actor_role": "system", "to_status": "closed",
                     "note": n.mark}, ("note",),
          "timeline of readable reports; nobody forges one; append-only even for the service role"),
    Table("supervision_orders",
          "insert into public.supervision_orders (report_id, supervisor_id, note, due_at)"
          " values (%(r1)s, %(supervisor)s, 'matrix', now() + interval '1 day') returning id",
          who("worker_1", "supervisor"), SVC, SVC, SVC, {"note": MARK},
          lambda n: {"report_id": n.r1, "supervisor_id": n.supervisor, "note": n.mark,
                     "due_at": "2030-01-01T00:00:00+00:00"}, ("note",),
          "the staff who read the case (not its reporter); opened by supervise_report, escalated by the pass"),
    Table("job_runs", "select job from public.job_runs where job = 'care_scan'", who("supervisor"), SVC, SVC, SVC,
          {"max_silence_seconds": 99999},
          lambda n: {"job": "care_scan", "max_silence_seconds": 1}, ("job",),
          "the jobs' health: supervisors read it (and admins); written by record_job_run and the service role"),
    Table("notifications", "select id from public.notifications where id = %(notification)s",
          A_ONLY, SVC, A_ONLY, SVC, {"read_at": "2026-11-21T09:00:00+00:00"},
          lambda n: {"user_id": n.me, "kind": "test", "title_zh": "测试", "title_en": n.mark}, ("title_en",),
          "own notifications; only read_at is writable"),
    Table("report_followers", "select report_id, user_id from public.report_followers"
          " where report_id = %(r1)s and user_id = %(citizen_a)s", A_ONLY, SVC, SVC, SVC, {"created_at": EPOCH},
          lambda n: {"report_id": n.r2, "user_id": n.citizen_a if n.me == n.citizen_b else n.me}, (),
          "own rows; following is an RPC"),
    Table("ratings", "select report_id from public.ratings where report_id = %(r1)s",
          R1_READERS, SVC, SVC, SVC, {"comment": MARK},
          lambda n: {"report_id": n.r2, "rater_id": n.me, "score": 5, "comment": n.mark}, ("report_id",),
          "whoever reads the report; rating is an RPC"),
    Table("hotspots", R1_HOTSPOT + " select hotspot_id as id from hs",
          who("worker_1", "supervisor"), SVC, SVC, SVC, {"lon": 117.19375},
          lambda n: {"category_code": n.city, "lat": n.lat, "lon": n.lon}, ("category_code", "lat", "lon"),
          "staff who may read a member; residents see their own case, not the hotspot; written only by the"
          " database (gathered at filing, merge_hotspot, split_hotspot_member)"),
    Table("hotspot_members", R1_HOTSPOT + " select hotspot_id, report_id from hs",
          who("worker_1", "supervisor"), SVC, SVC, SVC, {"likeness": 1},
          lambda n: {"hotspot_id": n.free_hotspot, "report_id": n.r2, "likeness": 1, "split_at": EPOCH},
          ("hotspot_id", "report_id"),
          "as the hotspot, and only members the caller may read; written only by the database"),
    Table("sos_alerts", "select id from public.sos_alerts where id = %(sos)s", SOS_READERS, SVC, SVC, SVC,
          {"note": MARK}, lambda n: {"caller_id": n.me, "lat": n.lat, "lon": n.lon, "note": n.mark}, ("note",),
          "caller, grid's (notified) worker, street's supervisor; every change is an RPC"),
    Table("sos_locations", "select min(id) as id from public.sos_locations where alert_id = %(sos)s",
          SOS_READERS, SVC, SVC, SVC, {"accuracy_m": 4321.5},
          lambda n: {"alert_id": n.sos, "lat": n.lat, "lon": n.lon, "accuracy_m": 9876.5}, ("alert_id", "accuracy_m"),
          "as the alert"),
    Table("sos_events", "select min(id) as id from public.sos_events where alert_id = %(sos)s",
          SOS_READERS, SVC, NOBODY, NOBODY, {"note": MARK},
          lambda n: {"alert_id": n.sos, "actor_role": "system", "to_status": "resolved", "note": n.mark}, ("note",),
          "as the alert; append-only"),
    Table("emergency_contact_invitations",
          "insert into public.emergency_contact_invitations (inviter_id, phone, name)"
          " values (%(citizen_a)s, '13800001111', 'matrix') returning id", A_ONLY, SVC, SVC, SVC,
          {"name": MARK}, lambda n: {"inviter_id": n.me, "phone": "13800002222", "name": n.mark[-40:]}, ("name",),
          "the inviter reads their own; the invitee answers through RPCs, never the table"),
    Table("sms_outbox",
          "insert into public.sms_outbox (phone, body, kind) values ('13800003333', 'matrix', 'test') returning id",
          SVC, SVC, SVC, SVC, {"body": MARK}, lambda n: {"phone": "13800004444", "body": n.mark, "kind": "test"},
          ("body",), "phone numbers and who needed help: the SMS job (service role) only"),
    Table("client_commands",
          "insert into public.client_commands (id, user_id, action, report_id)"
          " values (gen_random_uuid(), %(citizen_a)s, 'comment_report', %(r1)s) returning id",
          SVC, SVC, SVC, SVC, {"created_at": EPOCH},
          lambda n: {"id": str(uuid.uuid4()), "user_id": n.me, "action": n.mark, "report_id": n.r1},
          ("action",), "which case actions a device sent: reached only through run_case_command, which"
          " answers a person's own ids and refuses another's"),
]

PAYMENT_TABLES = [
    Table("provider_accounts", "select provider, account_no from public.provider_accounts"
          " where account_no = %(account_no)s", SVC, SVC, SVC, SVC, {"address": MARK},
          lambda n: {"provider": n.provider, "account_no": n.mark, "kind": "water", "holder_name": "测试",
                     "address": "测试路 2 号"}, ("provider", "account_no"),
          "the providers' data: the service role only, never enumerable"),
    Table("utility_accounts", "select id from public.utility_accounts where user_id = %(citizen_a)s"
          " and account_no = %(account_no)s", A_ONLY, SVC, SVC, A_ONLY, {"label": MARK},
          lambda n: {"user_id": n.me, "provider": n.provider, "account_no": n.account_no, "kind": "water",
                     "address": n.mark}, ("user_id", "provider", "account_no", "address"),
          "own links: read and unlink; linking is link_utility_account"),
    Table("bills", "select id from public.bills where id = %(bill)s", A_ONLY, SVC, SVC, SVC,
          {"due_date": "2030-01-01"},
          lambda n: {"provider": n.provider, "account_no": n.account_no, "kind": "water", "period": "2001-01",
                     "amount_fen": 100, "due_date": "2001-02-01"}, ("account_no", "period"),
          "the holders' and payers' bills; only settle_payment marks one paid"),
    Table("payments", "select id from public.payments where id = %(payment)s", A_ONLY, SVC, SVC, SVC,
          {"failure_reason": MARK},
          lambda n: {"bill_id": n.bill, "payer_id": n.me, "amount_fen": 1, "idempotency_key": n.mark},
          ("idempotency_key",), "own payments; written by the payment RPCs"),
    Table("payment_ledger", "select id from public.payment_ledger where payment_id = %(payment)s",
          A_ONLY, SVC, NOBODY, NOBODY, {"provider_ref": MARK},
          lambda n: {"payment_id": n.payment, "bill_id": n.bill, "payer_id": n.me, "kind": "charge", "amount_fen": 1,
                     "provider": "sandbox", "provider_ref": n.mark}, ("provider_ref",),
          "own entries; append-only money movements, even for the service role"),
]

TABLES: dict[str, Table] = {t.name: t for t in CORE_TABLES + PAYMENT_TABLES + CARE_TABLES}

PHOTOS, AVATARS = "report-photos", "avatars"
# bucket: (upload into own folder, overwrite A's object, download A's object, list A's folder,
#          remove A's object, why)
STORAGE: dict[str, tuple[frozenset, frozenset, frozenset, frozenset, frozenset, str]] = {
    PHOTOS: (ALL - {"anon"}, SVC, R1_READERS, R1_READERS, A_ONLY,
             "own-folder uploads, never replaced; read by the uploader and by whoever reads R1 which carries"
             " it; the uploader removes an unattached photo"),
    AVATARS: (ALL - {"anon"}, A_ONLY, ALL, ALL, A_ONLY, "public reads, own-folder writes"),
}

STORAGE_OPS = ("upload", "overwrite", "download", "list", "remove")
STORAGE_ROWS = [(b, a, op, a in spec[STORAGE_OPS.index(op)]) for b, spec in STORAGE.items()
                for op in STORAGE_OPS for a in ACTORS]

JPEG = b"\xff\xd8\xff\xe0" + b"jpeg-ish" * 16
PNG = b"\x89PNG\r\n\x1a\n" + b"png-ish" * 16


@dataclass
class World:
    people: People
    clients: dict[str, Any]
    ids: dict[str, str | None]  # actor -> user id (anon: None)
    targets: Targets  # the world's names, which the lines' target queries and new rows refer to
    photo: str
    avatar: str


@pytest.fixture(scope="module")
def world(db, make_user, stack, service) -> World:
    p = make_people(db, make_user)
    only_workers(db, GRIDS[0], (p.worker_1.id, True))
    only_workers(db, GRIDS[4], (p.worker_2.id, True))
    a, b = p.citizen_a, p.citizen_b
    city, dept = item(db, "city_mgmt")["code"], item(db, STAFF_DEPARTMENT)["code"]
    photo = f"{a.id}/{tag()}/pothole.jpg"
    a.client.storage.from_(PHOTOS).upload(photo, JPEG, {"content-type": "image/jpeg"})
    avatar = f"{a.id}/avatar.png"
    a.client.storage.from_(AVATARS).upload(avatar, PNG, {"content-type": "image/png"})
    r1 = file_report(a, city, GRID_POINTS[0], photos=[photo])["id"]
    r2 = file_report(b, dept, GRID_POINTS[4])["id"]
    lat, lon = GRID_POINTS[0]
    sos = a.client.rpc("raise_sos", {"lat": lat, "lon": lon}).execute().data["id"]
    a.client.rpc("update_sos_location", {"alert_id": sos, "lat": lat, "lon": lon, "accuracy_m": 8}).execute()
    p.worker_1.client.rpc("acknowledge_sos", {"alert_id": sos}).execute()
    db.execute("insert into public.report_followers (report_id, user_id) values (%s, %s) on conflict do nothing",
               (r1, a.id))
    db.execute("insert into public.ratings (report_id, rater_id, score, comment) values (%s, %s, 4, 'ok')", (r1, a.id))
    notification = db.execute(
        "insert into public.notifications (user_id, kind, title_zh, title_en, report_id)"
        " values (%s, 'test', '测试', 'test', %s) returning id", (a.id, r1)).fetchone()[0]
    free_hotspot = db.execute("insert into public.hotspots (category_code, lat, lon) values (%s, %s, %s) returning id",
                              (city, *GRID_POINTS[4])).fetchone()[0]
    free = db.execute("select c from generate_series(10, 99) c where not exists"
                      " (select 1 from public.categories where code = c::text) order by c desc limit 1").fetchone()[0]
    account = new_account(service)
    link = {"kind": account.kind, "provider": account.provider, "account_no": account.account_no,
            "holder_name": account.holder_name}
    a.client.rpc("link_utility_account", link).execute()
    pay = {"bill": account.bill_id, "idempotency_key": new_idempotency_key()}
    payment = a.client.rpc("create_payment", pay).execute().data["id"]
    db.execute("insert into public.payment_ledger (payment_id, bill_id, payer_id, kind, amount_fen, provider)"
               " values (%s, %s, %s, 'charge', %s, 'sandbox')", (payment, account.bill_id, a.id, account.amount_fen))

    people = ("citizen_a", "citizen_b", "worker_1", "worker_2", "staff", "supervisor")
    clients = {"anon": stack.client(), "service": service, **{n: getattr(p, n).client for n in people}}
    ids = {"anon": None, "service": None, **{n: getattr(p, n).id for n in people}}
    names = {**{n: getattr(p, n).id for n in people}, "r1": r1, "r2": r2, "sos": sos, "city": city,
             "dept": STAFF_DEPARTMENT, "free_category": str(free), "notification": str(notification), "free_hotspot": str(free_hotspot),
             "grid_1": GRIDS[0], "grid_2": GRIDS[1], "street_2": STREETS[1], "lat": lat, "lon": lon,
             "provider": account.provider, "account_no": account.account_no, "bill": account.bill_id,
             "payment": payment, **make_care_world(db, GRIDS[0], a.id)}
    return World(p, clients, ids, Targets(db, names), photo, avatar)


# -- the table matrix -------------------------------------------------------------------------

def test_every_table_in_public_is_in_the_matrix(db) -> None:
    """A new table gets its line in TABLES (who may select, insert, update, delete) or this fails."""
    present = {r[0] for r in db.execute("select tablename from pg_tables where schemaname = 'public'")}
    missing = sorted(present - set(TABLES))
    assert missing == [], f"tables in public without a line in the RLS matrix (TABLES): {missing}"
    assert sorted(set(TABLES) - present) == [], "the matrix lists tables that do not exist"


@pytest.mark.parametrize("table,actor,op", cells(list(TABLES.values())))
def test_table_matrix(world: World, db, table: Table, actor: str, op: str) -> None:
    me = world.ids[actor] or world.people.citizen_b.id  # anon and the service role write for B
    check_cell(db, world.clients[actor], table, world.targets, me, op, table.allows(op, actor))


# -- the bucket matrix ------------------------------------------------------------------------
# Upstream's answers to a refusal by RLS on storage.objects, and nothing else counts as one:
# a write the policies refuse is 403 "new row violates row-level security policy"; an object
# the caller may not select is 404 "Object not found" (both in a body under HTTP 400); a list
# leaves out what the caller may not see, and a remove silently skips it.
RLS_REFUSED = ("403", "new row violates row-level security policy")
NOT_FOUND = ("404", "Object not found")


def refused(call: Callable[[], Any], shape: tuple[str, str]) -> None:
    with pytest.raises(StorageApiError) as caught:
        call()
    assert (str(caught.value.status), caught.value.message) == shape, caught.value.to_dict()


def stored(stack, db, bucket: str, name: str) -> tuple:
    """The object's row and the bytes of its version files: equal before and after means untouched."""
    return object_row(db, bucket, name), [f.read_bytes() for f in version_files(stack, bucket, name)]


@pytest.mark.parametrize("bucket,actor,op,allowed", STORAGE_ROWS,
                         ids=[f"{b}-{op}-{a}-{'allow' if ok else 'deny'}" for b, a, op, ok in STORAGE_ROWS])
def test_bucket_matrix(world: World, db, stack, bucket: str, actor: str, op: str, allowed: bool) -> None:
    store = world.clients[actor].storage.from_(bucket)
    service = world.clients["service"].storage.from_(bucket)
    a_id = world.people.citizen_a.id
    data, ctype = (JPEG, "image/jpeg") if bucket == PHOTOS else (PNG, "image/png")

    if op == "upload":
        folder = world.ids[actor] or a_id  # anon and the service role write into A's folder
        name = f"{folder}/{tag()}/matrix.jpg"
        try:
            if allowed:
                store.upload(name, data, {"content-type": ctype})
                assert stored(stack, db, bucket, name)[1] == [data], f"{actor} could not upload to {bucket}"
            else:
                refused(lambda: store.upload(name, data, {"content-type": ctype}), RLS_REFUSED)
                assert stored(stack, db, bucket, name) == (None, []), f"{actor} left an object in {bucket}"
        finally:
            if object_row(db, bucket, name):
                service.remove([name])
        return

    if op in ("download", "list"):
        target = world.photo if bucket == PHOTOS else world.avatar
        folder, _, file = target.rpartition("/")
        if op == "download" and allowed:
            assert store.download(target) == data, f"{actor} could not download A's {bucket} object"
        elif op == "download":
            refused(lambda: store.download(target), NOT_FOUND)
        else:
            listed = [e["name"] for e in store.list(folder)]
            assert (file in listed) == allowed, f"{actor} list of A's {bucket} folder: {listed}"
        return

    # overwrite and remove: a fresh object in A's folder, so that an allowed change is undoable.
    name = f"{a_id}/{tag()}/scratch.jpg"
    world.people.citizen_a.client.storage.from_(bucket).upload(name, data, {"content-type": ctype})
    before = stored(stack, db, bucket, name)
    other = data + b"-replaced"
    try:
        if op == "overwrite" and allowed:
            store.upload(name, other, {"content-type": ctype, "upsert": "true"})
            assert stored(stack, db, bucket, name)[1] == [other], f"{actor} could not replace A's {bucket} object"
        elif op == "overwrite":
            refused(lambda: store.upload(name, other, {"content-type": ctype, "upsert": "true"}), RLS_REFUSED)
            assert stored(stack, db, bucket, name) == before, f"{actor} replaced A's {bucket} object"
        elif allowed:
            assert [o["name"] for o in store.remove([name])] == [name]
            assert stored(stack, db, bucket, name) == (None, []), f"{actor} could not remove from {bucket}"
        else:
            assert store.remove([name]) == [], f"{actor} removed A's {bucket} object"
            assert stored(stack, db, bucket, name) == before, f"{actor} removed A's {bucket} object"
    finally:
        if object_row(db, bucket, name):
            service.remove([name])
    # The object A's report carries stays put for everyone but the service role.
    if op == "remove" and bucket == PHOTOS and actor != "service":
        kept = stored(stack, db, PHOTOS, world.photo)
        assert store.remove([world.photo]) == []
        assert stored(stack, db, PHOTOS, world.photo) == kept, f"{actor} removed the photo R1 carries"


# -- the three promises of the issue, spelled out ---------------------------------------------

@pytest.mark.parametrize("actor", [a for a in ACTORS if a not in ("anon", "service")])
def test_nobody_raises_their_own_role(world: World, db, actor: str) -> None:
    me = world.ids[actor]
    before = rows(db, "profiles", {"id": me})
    client = world.clients[actor]
    assert not attempt(lambda: client.table("profiles").update({"role": "admin"}).eq("id", me).execute())
    # app_metadata is the service role's; user_metadata may say anything and changes nothing.
    client.auth.update_user({"data": {"role": "admin"}})
    with pytest.raises(AuthApiError) as refused_meta:
        client.auth.update_user({"app_metadata": {"role": "admin"}})  # type: ignore[typeddict-unknown-key]
    assert (refused_meta.value.status, refused_meta.value.code) == (403, "not_admin")
    assert rows(db, "profiles", {"id": me})[0]["role"] == before[0]["role"]
    role = db.execute("select raw_app_meta_data->>'role' from auth.users where id = %s", (me,)).fetchone()[0]
    assert role != "admin"



# -- the figures (rpc/performance, rpc/city_summary, migration 1150): each scope allowed and denied --------

FIGURE_ROLES = {"worker_1": "grid_worker", "worker_2": "grid_worker", "staff": "dept_staff",
                "supervisor": "supervisor", "service": "service"}
# Whose figures count R1 (A's city case held by worker 1, street 1) and R2 (B's environment case in its queue).
R1_COUNTED, R2_COUNTED = who("worker_1", "supervisor", "service"), who("staff", "service")

SCOPED_CASES = """
with c as (
  select r.id, r.grid_id, r.street_id, first.created_at as received_at, latest.to_status,
         case when fr.id is not null then fr.department_code else latest.department_code end as dept,
         case when fr.id is not null then fr.assignee_id else latest.assignee_id end as worker
  from public.reports r
  join lateral (select * from public.case_events e where e.report_id = r.id order by e.id limit 1) first on true
  join lateral (select * from public.case_events e where e.report_id = r.id order by e.id desc limit 1) latest on true
  left join lateral (select * from public.case_events e where e.report_id = r.id and e.kind = 'resolved'
                     order by e.id limit 1) fr on true
)
select a.code, count(*) filter (where c.received_at >= (now() at time zone 'Asia/Shanghai')::date::timestamp
                                                      at time zone 'Asia/Shanghai'),
       count(*) filter (where c.to_status not in ('resolved', 'closed', 'rejected', 'withdrawn'))
from c join public.areas a on a.id = c.grid_id
where %(role)s = 'service'
   or (%(role)s = 'supervisor' and (c.street_id is null or c.street_id in
         (select s.street_id from public.supervisor_streets s where s.user_id = %(me)s::uuid)))
   or (%(role)s = 'dept_staff' and c.dept in (select d.department_code from public.department_staff d
                                             where d.user_id = %(me)s::uuid))
   or (%(role)s = 'grid_worker' and c.worker = %(me)s::uuid)
group by a.code
"""


@pytest.mark.parametrize("actor", ACTORS)
def test_figures_matrix(world: World, db, actor: str) -> None:
    client = world.clients[actor]
    today = db.execute("select (now() at time zone 'Asia/Shanghai')::date::text").fetchone()[0]
    args = {"from_date": today, "to_date": today, "group_by": "grid"}
    if actor not in FIGURE_ROLES:  # anon may not call; residents are refused
        for name, call_args in (("performance", args), ("city_summary", {})):
            with pytest.raises(APIError) as err:
                client.rpc(name, call_args).execute()
            assert err.value.code == ("42501" if actor == "anon" else "PT403"), f"{actor} read {name}"
        return
    expected = db.execute(SCOPED_CASES, {"role": FIGURE_ROLES[actor], "me": world.ids[actor]}).fetchall()
    rows = client.rpc("performance", args).execute().data
    got = {r["group_code"]: r["received"] for r in rows if r["group_code"] and r["received"]}
    assert got == {code: received for code, received, _ in expected if received}, actor
    summary = client.rpc("city_summary", {}).execute().data
    assert {g["grid_code"]: g["open"] for g in summary["grids"]} == {code: n for code, _, n in expected if n}, actor
    grid_codes = dict(db.execute("select id::text, code from public.areas where id in (%s, %s)",
                                 (GRIDS[0], GRIDS[4])).fetchall())
    if actor in R1_COUNTED:
        assert grid_codes[GRIDS[0]] in got, f"{actor} does not count R1"
    if actor in R2_COUNTED:
        assert grid_codes[GRIDS[4]] in got, f"{actor} does not count R2"
