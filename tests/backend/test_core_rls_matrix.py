"""The whole access policy as one matrix: every table and app bucket x every kind of caller x every operation.

Callers: anon, citizen A, citizen B, the worker of grid 1, the worker of grid 5 (the other
street), staff of the `environment` department, the supervisor of grid 1's street, the
service role. One world, made once: R1 (A's city case in grid 1, worker 1's task), R2 (B's
environment case in grid 5, the department's queue), A's SOS in grid 1 (acknowledged by
worker 1, so escalation leaves it alone), a notification for A, A's rating of R1, A following
R1, a photo in A's folder attached to R1, A's avatar.

Each cell runs one operation through supabase-py as that caller: select (is the target row
visible?), insert (a valid row for the table), update (a harmless column of the target row),
delete (the target row; the service role deletes a scratch row it inserted itself). An allowed
cell must take effect; a denied one must answer empty or with an error and change nothing,
checked in SQL. What an allowed cell changes is put back.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any, Callable

import psycopg
import pytest
from postgrest.exceptions import APIError
from psycopg import sql

from tests.backend.core_support import (GRID_POINTS, GRIDS, STAFF_DEPARTMENT, STREETS, People, file_report, item,
                                        make_people, only_workers)
from tests.backend.storage_support import object_row, tag

ACTORS = ("anon", "citizen_a", "citizen_b", "worker_1", "worker_2", "staff", "supervisor", "service")
ALL = frozenset(ACTORS)
SVC = frozenset({"service"})
NOBODY: frozenset[str] = frozenset()


def who(*names: str) -> frozenset[str]:
    return frozenset(names) | SVC


# Who may read the target rows that hang off R1 and off A's SOS.
R1_READERS = who("citizen_a", "worker_1", "supervisor")
SOS_READERS = who("citizen_a", "worker_1", "supervisor")

# table: (target row, select, insert, update, delete, why)
MATRIX: dict[str, tuple[str, frozenset, frozenset, frozenset, frozenset, str]] = {
    "departments": ("environment", ALL, SVC, SVC, SVC, "reference data: everyone reads, only the service role writes"),
    "categories": ("an item", ALL, SVC, SVC, SVC, "reference data"),
    "areas": ("grid 1", ALL, SVC, SVC, SVC, "reference data"),
    "profiles": ("A's profile", who("citizen_a"), SVC, who("citizen_a"), SVC,
                 "own profile only; made by the sign-up trigger; role is not a writable column"),
    "worker_grids": ("worker 1 in grid 1", who("worker_1", "supervisor"), SVC, SVC, SVC,
                     "the worker and the street's supervisor read; assignments are the service role's"),
    "worker_duty": ("worker 1's duty", who("worker_1"), who("worker_1", "worker_2"), who("worker_1"), SVC,
                    "grid workers keep their own duty record"),
    "department_staff": ("staff's department", who("staff"), SVC, SVC, SVC, "own assignment only"),
    "supervisor_streets": ("supervisor's street", who("supervisor"), SVC, SVC, SVC, "own assignment only"),
    "reports": ("R1", R1_READERS, who("citizen_a", "citizen_b", "worker_1", "worker_2"), SVC, NOBODY,
                "reporter, grid's worker, street's supervisor read; citizens and workers file as themselves;"
                " nobody changes a report except through the RPCs; nobody deletes one, not even the service"
                " role: the cascade would delete its append-only timeline"),
    "tasks": ("R2's department task", who("citizen_b", "worker_2", "staff"), SVC, SVC, SVC,
              "whoever reads the report; tasks change through the RPCs"),
    "case_events": ("R1's first event", R1_READERS, SVC, NOBODY, NOBODY,
                    "timeline of readable reports; nobody forges one; append-only even for the service role"),
    "notifications": ("A's notification", who("citizen_a"), SVC, who("citizen_a"), SVC,
                      "own notifications; only read_at is writable"),
    "report_followers": ("A follows R1", who("citizen_a"), SVC, SVC, SVC, "own rows; following is an RPC"),
    "ratings": ("A's rating of R1", R1_READERS, SVC, SVC, SVC, "whoever reads the report; rating is an RPC"),
    "sos_alerts": ("A's SOS", SOS_READERS, SVC, SVC, SVC,
                   "caller, grid's (notified) worker, street's supervisor; every change is an RPC"),
    "sos_locations": ("A's SOS trail point", SOS_READERS, SVC, SVC, SVC, "as the alert"),
    "sos_events": ("A's SOS first event", SOS_READERS, SVC, NOBODY, NOBODY, "as the alert; append-only"),
}

PHOTOS, AVATARS = "report-photos", "avatars"
# bucket: (upload into own folder, download A's object, list A's folder, remove A's object, why)
STORAGE: dict[str, tuple[frozenset, frozenset, frozenset, frozenset, str]] = {
    PHOTOS: (ALL - {"anon"}, R1_READERS, R1_READERS, who("citizen_a"),
             "own-folder uploads; read by the uploader and by whoever reads R1 which carries it;"
             " the uploader removes an unattached photo"),
    AVATARS: (ALL - {"anon"}, ALL, ALL, who("citizen_a"), "public reads, own-folder writes"),
}

OPS = ("select", "insert", "update", "delete")
ROWS = [(t, a, op, a in spec[1 + OPS.index(op)]) for t, spec in MATRIX.items() for op in OPS for a in ACTORS]
STORAGE_OPS = ("upload", "download", "list", "remove")
STORAGE_ROWS = [(b, a, op, a in spec[STORAGE_OPS.index(op)]) for b, spec in STORAGE.items()
                for op in STORAGE_OPS for a in ACTORS]

JPEG = b"\xff\xd8\xff\xe0" + b"jpeg-ish" * 16
PNG = b"\x89PNG\r\n\x1a\n" + b"png-ish" * 16
MARK = "rls-matrix"


@dataclass
class World:
    people: People
    clients: dict[str, Any]
    ids: dict[str, str | None]  # actor -> user id (anon: None)
    keys: dict[str, dict[str, Any]]  # table -> equality filters of the target row
    r1: str
    r2: str
    sos: str
    city: str
    free_category: str
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

    def first(q: str, *args) -> Any:
        row = db.execute(q, args).fetchone()
        assert row, q
        return row[0]

    keys = {
        "departments": {"code": STAFF_DEPARTMENT},
        "categories": {"code": city},
        "areas": {"id": GRIDS[0]},
        "profiles": {"id": a.id},
        "worker_grids": {"worker_id": p.worker_1.id, "grid_id": GRIDS[0]},
        "worker_duty": {"worker_id": p.worker_1.id},
        "department_staff": {"user_id": p.staff.id, "department_code": STAFF_DEPARTMENT},
        "supervisor_streets": {"user_id": p.supervisor.id, "street_id": STREETS[0]},
        "reports": {"id": r1},
        "tasks": {"id": str(first("select id from public.tasks where report_id = %s and queue = 'department'", r2))},
        "case_events": {"id": first("select min(id) from public.case_events where report_id = %s", r1)},
        "notifications": {"id": str(notification)},
        "report_followers": {"report_id": r1, "user_id": a.id},
        "ratings": {"report_id": r1},
        "sos_alerts": {"id": sos},
        "sos_locations": {"id": first("select min(id) from public.sos_locations where alert_id = %s", sos)},
        "sos_events": {"id": first("select min(id) from public.sos_events where alert_id = %s", sos)},
    }
    free = first("select c from generate_series(10, 99) c where not exists"
                 " (select 1 from public.categories where code = c::text) order by c desc limit 1")
    names = ("citizen_a", "citizen_b", "worker_1", "worker_2", "staff", "supervisor")
    clients = {"anon": stack.client(), "service": service, **{n: getattr(p, n).client for n in names}}
    ids = {"anon": None, "service": None, **{n: getattr(p, n).id for n in names}}
    return World(p, clients, ids, keys, r1, r2, sos, city, str(free), photo, avatar)


# -- SQL helpers (superuser) ------------------------------------------------------------------

def where(filters: dict[str, Any]) -> sql.Composable:
    return sql.SQL(" and ").join(sql.SQL("{} = {}").format(sql.Identifier(k), sql.Literal(str(v)))
                                 for k, v in filters.items())


def rows(db: psycopg.Connection, table: str, filters: dict[str, Any]) -> list[dict]:
    q = sql.SQL("select to_jsonb(t) from public.{} t where {} order by 1").format(sql.Identifier(table),
                                                                                  where(filters))
    return [r[0] for r in db.execute(q).fetchall()]


def remove_rows(db: psycopg.Connection, table: str, filters: dict[str, Any]) -> None:
    """Delete without triggers (append-only timelines, cascades): test clean-up only."""
    with db.transaction():
        db.execute("set local session_replication_role = replica")
        if table == "reports":  # what filing made, which the (disabled) cascade would have removed
            for child in ("case_events", "tasks", "notifications", "ratings", "report_followers"):
                db.execute(sql.SQL("delete from public.{} where report_id in (select id from public.reports where {})")
                           .format(sql.Identifier(child), where(filters)))
        db.execute(sql.SQL("delete from public.{} where {}").format(sql.Identifier(table), where(filters)))


def put_back(db: psycopg.Connection, table: str, saved: list[dict]) -> None:
    with db.transaction():
        db.execute("set local session_replication_role = replica")
        for row in saved:
            db.execute(sql.SQL("insert into public.{t} overriding system value"
                               " select * from jsonb_populate_record(null::public.{t}, %s::jsonb)")
                       .format(t=sql.Identifier(table)), (psycopg.types.json.Jsonb(row),))


def restore_columns(db: psycopg.Connection, table: str, filters: dict[str, Any], row: dict, cols: list[str]) -> None:
    with db.transaction():
        db.execute("set local session_replication_role = replica")
        db.execute(sql.SQL("update public.{t} set ({c}) = (select {c} from jsonb_populate_record(null::public.{t},"
                           " %s::jsonb)) where {w}").format(
            t=sql.Identifier(table), c=sql.SQL(", ").join(map(sql.Identifier, cols)), w=where(filters)),
            (psycopg.types.json.Jsonb(row),))


# -- what each operation sends ----------------------------------------------------------------

UPDATES: dict[str, dict[str, Any]] = {
    "departments": {"name_en": MARK}, "categories": {"name_en": MARK}, "areas": {"name_en": MARK},
    "profiles": {"display_name": MARK}, "worker_grids": {"created_at": "2001-01-01T00:00:00+00:00"},
    "worker_duty": {"on_duty": False}, "department_staff": {"created_at": "2001-01-01T00:00:00+00:00"},
    "supervisor_streets": {"created_at": "2001-01-01T00:00:00+00:00"}, "reports": {"description": MARK},
    "tasks": {"note": MARK}, "case_events": {"note": MARK}, "notifications": {"read_at": "2026-11-21T09:00:00+00:00"},
    "report_followers": {"created_at": "2001-01-01T00:00:00+00:00"}, "ratings": {"comment": MARK},
    "sos_alerts": {"note": MARK}, "sos_locations": {"accuracy_m": 4321.5}, "sos_events": {"note": MARK},
}


def new_row(w: World, table: str, actor: str) -> tuple[dict, dict]:
    """A valid row for `table` as `actor` would send it, and the filters that find it."""
    me = w.ids[actor] or w.people.citizen_b.id  # anon and the service role write for B
    m = f"{MARK}-{uuid.uuid4().hex[:8]}"
    lat, lon = GRID_POINTS[0]
    row: dict[str, Any]
    match table:
        case "departments":
            row = {"code": "zz_" + uuid.uuid4().hex[:8].translate(str.maketrans("0123456789", "ghijklmnop")),
                   "name_zh": "测试", "name_en": m}
            return row, {"code": row["code"]}
        case "categories":
            row = {"code": w.free_category, "level": 1, "name_zh": "测试", "name_en": m}
            return row, {"code": row["code"]}
        case "areas":
            row = {"level": "district", "code": m, "name_zh": "测试", "name_en": m}
            return row, {"code": m}
        case "profiles":
            row = {"id": me, "display_name": m, "role": "admin"}
            return row, {"id": me}
        case "worker_grids":
            row = {"worker_id": me, "grid_id": GRIDS[1]}
            return row, dict(row)
        case "worker_duty":
            return {"worker_id": me, "on_duty": True}, {"worker_id": me}
        case "department_staff":
            row = {"user_id": me, "department_code": "city_mgmt"}
            return row, dict(row)
        case "supervisor_streets":
            row = {"user_id": me, "street_id": STREETS[1]}
            return row, dict(row)
        case "reports":
            row = {"category_code": w.city, "description": m, "lat": lat, "lon": lon,
                   "source": "grid_app" if actor.startswith("worker") else "citizen_app"}
            return row, {"description": m}
        case "tasks":
            row = {"report_id": w.r1, "queue": "department", "department_code": STAFF_DEPARTMENT, "note": m,
                   "status": "cancelled"}  # R1 already has its one active task
            return row, {"note": m}
        case "case_events":
            row = {"report_id": w.r1, "actor_id": me, "actor_role": "system", "to_status": "closed", "note": m}
            return row, {"note": m}
        case "notifications":
            row = {"user_id": me, "kind": "test", "title_zh": "测试", "title_en": m}
            return row, {"title_en": m}
        case "report_followers":
            row = {"report_id": w.r2, "user_id": w.people.citizen_a.id if me == w.people.citizen_b.id else me}
            return row, dict(row)
        case "ratings":
            row = {"report_id": w.r2, "rater_id": me, "score": 5, "comment": m}
            return row, {"report_id": w.r2}
        case "sos_alerts":
            row = {"caller_id": me, "lat": lat, "lon": lon, "note": m}
            return row, {"note": m}
        case "sos_locations":
            row = {"alert_id": w.sos, "lat": lat, "lon": lon, "accuracy_m": 9876.5}
            return row, {"alert_id": w.sos, "accuracy_m": 9876.5}
        case "sos_events":
            row = {"alert_id": w.sos, "actor_role": "system", "to_status": "resolved", "note": m}
            return row, {"note": m}
    raise AssertionError(table)


def tried(call: Callable[[], Any]) -> Any:
    """What a call answered, or None when it was refused with an error."""
    try:
        return call()
    except Exception:  # noqa: BLE001 - APIError (42501, 23xxx...), StorageApiError
        return None


def attempt(call: Callable[[], Any]) -> list | None:
    """The rows a REST call answered, or None when it was refused for lack of privilege (42501).

    Any other error (a bad row, a constraint) fails the cell: a denial must come from the policy.
    """
    try:
        return call().data
    except APIError as err:
        assert err.code == "42501", f"refused for another reason than privilege: {err.code} {err.message}"
        return None


# -- the table matrix -------------------------------------------------------------------------

@pytest.mark.parametrize("table,actor,op,allowed", ROWS,
                         ids=[f"{t}-{op}-{a}-{'allow' if ok else 'deny'}" for t, a, op, ok in ROWS])
def test_table_matrix(world: World, db, table: str, actor: str, op: str, allowed: bool) -> None:
    client = world.clients[actor]
    key = world.keys[table]
    before = rows(db, table, key)
    assert len(before) == 1, f"target row of {table} missing"

    if op == "select":
        got = attempt(lambda: client.table(table).select("*").match(key).execute())
        assert bool(got) == allowed, f"{actor} {'cannot' if allowed else 'can'} read {MATRIX[table][0]}: {got}"
        return

    if op == "update":
        change = UPDATES[table]
        got = attempt(lambda: client.table(table).update(change).match(key).execute())
        after = rows(db, table, key)
        try:
            if allowed:
                assert got, f"{actor} could not update {table}"
                assert all(after[0][c] == v or str(after[0][c]).startswith(str(v)[:10]) for c, v in change.items())
            else:
                assert not got, f"{actor} updated {MATRIX[table][0]}: {got}"
                assert after == before, f"{actor} changed {MATRIX[table][0]}"
        finally:
            if after != before:
                restore_columns(db, table, key, before[0], list(change) + [c for c in ("updated_at", "since")
                                                                            if c in before[0]])
        return

    if op == "insert" or (op == "delete" and actor == "service" and allowed):
        row, ident = new_row(world, table, actor)
        saved = rows(db, table, ident)
        if saved:
            remove_rows(db, table, ident)
        try:
            got = attempt(lambda: client.table(table).insert(row).execute())
            made = rows(db, table, ident)
            if op == "insert":
                if allowed:
                    assert got and len(made) == 1, f"{actor} could not insert into {table}"
                else:
                    assert not got and made == [], f"{actor} inserted into {table}: {got}"
                    if table == "profiles":  # nobody makes themselves an admin
                        assert all(r["role"] != "admin" for r in rows(db, "profiles", ident))
            else:  # the service role deletes a scratch row it made
                assert len(made) == 1, f"service role could not make a scratch {table} row"
                gone = attempt(lambda: client.table(table).delete().match(ident).execute())
                assert gone and rows(db, table, ident) == [], f"service role could not delete from {table}"
        finally:
            remove_rows(db, table, ident)
            put_back(db, table, saved)
        return

    assert op == "delete" and not allowed
    got = attempt(lambda: client.table(table).delete().match(key).execute())
    assert not got, f"{actor} deleted {MATRIX[table][0]}: {got}"
    assert rows(db, table, key) == before, f"{actor} deleted {MATRIX[table][0]}"


# -- the bucket matrix ------------------------------------------------------------------------

def storage_object(w: World, bucket: str) -> str:
    return w.photo if bucket == PHOTOS else w.avatar


@pytest.mark.parametrize("bucket,actor,op,allowed", STORAGE_ROWS,
                         ids=[f"{b}-{op}-{a}-{'allow' if ok else 'deny'}" for b, a, op, ok in STORAGE_ROWS])
def test_bucket_matrix(world: World, db, bucket: str, actor: str, op: str, allowed: bool) -> None:
    store = world.clients[actor].storage.from_(bucket)
    service = world.clients["service"].storage.from_(bucket)
    a_id = world.people.citizen_a.id
    data, ctype = (JPEG, "image/jpeg") if bucket == PHOTOS else (PNG, "image/png")

    if op == "upload":
        folder = world.ids[actor] or a_id  # anon and the service role write into A's folder
        name = f"{folder}/{tag()}/matrix.jpg"
        ok = tried(lambda: store.upload(name, data, {"content-type": ctype}))
        try:
            assert (object_row(db, bucket, name) is not None) == allowed, f"{actor} upload to {bucket}: {ok}"
        finally:
            if object_row(db, bucket, name):
                service.remove([name])
        return

    if op in ("download", "list"):
        target = storage_object(world, bucket)
        if op == "download":
            got = tried(lambda: store.download(target))
            seen = got == data
        else:
            folder, _, file = target.rpartition("/")
            got = tried(lambda: store.list(folder))
            seen = bool(got) and file in [e["name"] for e in got]
        assert seen == allowed, f"{actor} {op} of A's {bucket} object: {got}"
        return

    assert op == "remove"
    # A fresh unattached object in A's folder, so that an allowed removal is undoable.
    name = f"{a_id}/{tag()}/scratch.jpg"
    world.people.citizen_a.client.storage.from_(bucket).upload(name, data, {"content-type": ctype})
    before = object_row(db, bucket, name)
    try:
        tried(lambda: store.remove([name]))
        after = object_row(db, bucket, name)
        if allowed:
            assert after is None, f"{actor} could not remove from {bucket}"
        else:
            assert after == before, f"{actor} removed A's {bucket} object"
    finally:
        if object_row(db, bucket, name):
            service.remove([name])
    # The object A's report carries stays put for everyone but the service role.
    if bucket == PHOTOS and actor != "service":
        tried(lambda: store.remove([world.photo]))
        assert object_row(db, PHOTOS, world.photo) is not None, f"{actor} removed the photo R1 carries"


# -- the three promises of the issue, spelled out ---------------------------------------------

@pytest.mark.parametrize("actor", [a for a in ACTORS if a not in ("anon", "service")])
def test_nobody_raises_their_own_role(world: World, db, actor: str) -> None:
    me = world.ids[actor]
    before = rows(db, "profiles", {"id": me})
    client = world.clients[actor]
    assert not attempt(lambda: client.table("profiles").update({"role": "admin"}).eq("id", me).execute())
    # app_metadata is the service role's; user_metadata may say anything and changes nothing.
    client.auth.update_user({"data": {"role": "admin"}})
    tried(lambda: client.auth.update_user({"app_metadata": {"role": "admin"}}))  # type: ignore[typeddict-unknown-key]
    assert rows(db, "profiles", {"id": me})[0]["role"] == before[0]["role"]
    role = db.execute("select raw_app_meta_data->>'role' from auth.users where id = %s", (me,)).fetchone()[0]
    assert role != "admin"

