"""shared.client.CityClient against the running stack: the whole case loop as the apps drive it."""

from __future__ import annotations

import asyncio
import io
import uuid

import pytest
from PIL import Image

from shared import errors
from shared.client import PHOTO_BUCKET, CityClient
from shared.models import (AreaLevel, CaseEventPublic, NotificationPublic, ProfileUpdate, RatingCreate, ReportCreate,
                           ReportPublic, ReportStatus, Role, SosStatus, TaskPublic, TaskStatus)
from tests.backend.core_support import GRID_POINTS, GRIDS, People, item, make_people, only_workers
from tests.backend.sms_support import latest_code, wrong_code
from tests.conftest import free_port


@pytest.fixture(scope="module")
def people(db, make_user) -> People:
    p = make_people(db, make_user)
    only_workers(db, GRIDS[0], (p.worker_1.id, True))
    return p


@pytest.fixture(scope="module")
def city(db) -> str:
    return item(db, "city_mgmt")["code"]


@pytest.fixture(scope="module")
def photo_bucket(service) -> str:
    """The private bucket migration 0900 creates, with its per-user folder policies."""
    assert any(b.id == PHOTO_BUCKET for b in service.storage.list_buckets())
    return PHOTO_BUCKET


@pytest.fixture()
async def connect(stack):
    clients: list[CityClient] = []

    async def make(user=None, url: str | None = None) -> CityClient:
        client = await CityClient.connect(url=url or stack.url, key=stack.anon_key, timeout=5)
        clients.append(client)
        if user is not None:
            await client.auth.sign_in(user.email, user.password)
        return client

    yield make
    for client in clients:
        await client.aclose()


def jpeg(color=(200, 40, 40), size=(640, 480)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, "JPEG")
    return out.getvalue()


def aside(point: tuple[float, float]) -> tuple[float, float]:
    """A point ~400 m from a grid's test point, still inside the grid: this module's open reports stay out of
    the other modules' 50 m nearby_open_reports checks."""
    return point[0] + 0.003, point[1] + 0.002


def new_report(category: str, point=aside(GRID_POINTS[0]), **extra) -> ReportCreate:
    lat, lon = point
    return ReportCreate(category_code=category, description="井盖缺失 manhole cover missing", lat=lat, lon=lon,
                        address="测试路1号", **extra)


async def test_sign_in_role_and_profile(connect, people) -> None:
    citizen = await connect(people.citizen_a)
    user = await citizen.auth.current_user()
    assert str(user.id) == people.citizen_a.id and user.role is Role.CITIZEN
    assert await (await connect(people.worker_1)).auth.current_role() is Role.GRID_WORKER
    profile = await citizen.profile.update_profile(ProfileUpdate(display_name="王阿姨", elderly_mode=True, locale="zh-CN"))
    assert profile.display_name == "王阿姨" and profile.elderly_mode and profile.role is Role.CITIZEN
    assert (await citizen.profile.get_profile()).display_name == "王阿姨"


async def test_reference_data(connect, people) -> None:
    client = await connect(people.citizen_a)
    assert "city_mgmt" in {d.code for d in await client.reference.departments()}
    grids = await client.reference.areas(AreaLevel.GRID)
    assert set(GRIDS) <= {str(g.id) for g in grids} and all(g.polygon for g in grids)
    assert len(await client.reference.categories(level=1)) == 9
    assert all(c.parent_code == "01" for c in await client.reference.categories(parent_code="01"))


async def test_bad_password_is_invalid_credentials(connect, people) -> None:
    client = await connect()
    with pytest.raises(errors.InvalidCredentials) as err:
        await client.auth.sign_in(people.citizen_a.email, "wrong-password")
    assert err.value.message("zh-CN") and err.value.message("en")


async def test_the_whole_loop_through_the_client(connect, people, city, photo_bucket, service) -> None:
    citizen, worker = await connect(people.citizen_a), await connect(people.worker_1)

    report = await citizen.reports.submit_report(new_report(city), photos=[jpeg()])
    assert report.status is ReportStatus.DISPATCHED and str(report.grid_id) == GRIDS[0]
    assert len(report.photos) == 1
    assert report.photos[0].startswith(f"{people.citizen_a.id}/{report.id}/") and report.photos[0].endswith(".jpg")
    stored = service.storage.from_(photo_bucket).download(report.photos[0])
    assert Image.open(io.BytesIO(stored)).format == "JPEG"
    assert await worker.reports.download_photo(report.photos[0]) == stored  # the handler sees the reporter's photo
    assert set(await citizen.reports.photo_urls(report.photos)) == set(report.photos)
    with pytest.raises((errors.NotFound, errors.PermissionDenied)):
        await (await connect(people.citizen_b)).reports.download_photo(report.photos[0])
    assert report.id in {r.id for r in await citizen.reports.my_reports()}

    inbox = await worker.worker.tasks()
    task = next(t for t in inbox if t.report_id == report.id)
    assert task.status is TaskStatus.OPEN and task.report is not None and task.report.id == report.id
    assert str(task.assignee_id) == people.worker_1.id

    assert (await worker.reports.accept_report(report.id)).status is ReportStatus.ACCEPTED
    assert (await worker.reports.start_report(report.id)).status is ReportStatus.IN_PROGRESS
    resolved = await worker.reports.resolve_report(report.id, "已更换井盖 Cover replaced")
    assert resolved.status is ReportStatus.RESOLVED and resolved.resolution_note == "已更换井盖 Cover replaced"
    assert report.id not in {t.report_id for t in await worker.worker.tasks()}  # done: out of the active inbox

    closed = await citizen.reports.rate_report(report.id, RatingCreate(score=5, comment="很快 quick"))
    assert closed.status is ReportStatus.CLOSED

    detail = await citizen.reports.report_detail(report.id)
    assert [e.to_status for e in detail.events] == [
        ReportStatus.SUBMITTED, ReportStatus.DISPATCHED, ReportStatus.ACCEPTED, ReportStatus.IN_PROGRESS,
        ReportStatus.RESOLVED, ReportStatus.CLOSED]
    assert [str(e.actor_id) if e.actor_id else None for e in detail.events] == [
        people.citizen_a.id, None, people.worker_1.id, people.worker_1.id, people.worker_1.id, people.citizen_a.id]
    assert detail.rating is not None and detail.rating.score == 5
    assert detail.report.status is ReportStatus.CLOSED and [t.status for t in detail.tasks] == [TaskStatus.DONE]

    # Illegal now: a closed case cannot be started; the refusal speaks both languages and changed nothing.
    with pytest.raises(errors.InvalidTransition) as err:
        await worker.reports.start_report(report.id)
    assert err.value.code == "PT409"
    assert "状态" in err.value.message("zh-CN") and "state" in err.value.message("en")
    assert len((await citizen.reports.report_detail(report.id)).events) == 6
    with pytest.raises(errors.PermissionDenied):
        await citizen.worker.set_my_duty(True)  # only grid workers go on duty


async def test_other_refusals_are_typed(connect, people, city) -> None:
    a, b = await connect(people.citizen_a), await connect(people.citizen_b)
    report = await a.reports.submit_report(new_report(city))
    with pytest.raises(errors.NotFound):
        await b.reports.accept_report(report.id)  # not even visible to B
    with pytest.raises(errors.PermissionDenied):
        await a.reports.accept_report(report.id)  # visible, but A is not the handler
    with pytest.raises(errors.ValidationError):
        await a.reports.comment_report(report.id, "   ")
    assert (await a.reports.comment_report(report.id, "还在 still there")).status is ReportStatus.DISPATCHED


async def test_submit_is_idempotent_with_the_same_id(connect, people, city, photo_bucket, db) -> None:
    citizen = await connect(people.citizen_a)
    report = new_report(city)
    first = await citizen.reports.submit_report(report, photos=[jpeg((10, 200, 10))])
    again = await citizen.reports.submit_report(report, photos=[jpeg((10, 200, 10))])  # a retry after a lost answer
    assert again.id == first.id == report.id and again.photos == first.photos
    assert db.execute("select count(*) from public.reports where id = %s", (str(report.id),)).fetchone()[0] == 1
    assert db.execute("select count(*) from public.tasks where report_id = %s", (str(report.id),)).fetchone()[0] == 1
    # Someone else's id is not theirs to read: the conflict stays a conflict.
    with pytest.raises(errors.Conflict):
        await (await connect(people.citizen_b)).reports.submit_report(report)


async def test_worker_duty_follow_and_nearby(connect, people, city) -> None:
    worker, a, b = await connect(people.worker_1), await connect(people.citizen_a), await connect(people.citizen_b)
    duty = await worker.worker.set_my_duty(True)
    assert duty.on_duty and str(duty.worker_id) == people.worker_1.id
    report = await a.reports.submit_report(new_report(city, point=aside(GRID_POINTS[1])))
    lat, lon = aside(GRID_POINTS[1])
    nearby = await b.reports.nearby_open_reports(lat, lon, category=city)
    assert report.id in {n.id for n in nearby} and all(n.distance_m <= 50 for n in nearby)
    assert all(n.mine is False for n in nearby)
    assert await b.reports.follow_report(report.id) is True
    with pytest.raises(errors.NotFound):  # following gives status, not the case
        await b.reports.get_report(report.id)
    [followed] = [f for f in await b.reports.followed_reports() if f.id == report.id]
    assert followed.status is ReportStatus.DISPATCHED and followed.steps == []
    status = await b.reports.followed_report_status(report.id)
    assert [s.to_status for s in status.steps] == [ReportStatus.SUBMITTED, ReportStatus.DISPATCHED]
    assert (status.approx_lat, status.approx_lon) == (round(lat, 3), round(lon, 3))
    assert [n.mine for n in await a.reports.nearby_open_reports(lat, lon, category=city) if n.id == report.id] == [True]


async def test_notifications_list_mark_read_and_realtime(connect, people, city) -> None:
    citizen, worker = await connect(people.citizen_a), await connect(people.worker_1)
    arrived: asyncio.Queue = asyncio.Queue()
    changes: list = []
    await citizen.profile.subscribe_notifications(arrived.put_nowait)
    await citizen.reports.subscribe_report_changes(changes.append)
    worker_tasks: asyncio.Queue = asyncio.Queue()

    async def on_task(task) -> None:  # a coroutine callback works too
        await worker_tasks.put(task)

    await worker.worker.subscribe_tasks(on_task)

    report = await citizen.reports.submit_report(new_report(city))
    task = await asyncio.wait_for(worker_tasks.get(), 10)
    assert isinstance(task, TaskPublic) and task.report_id == report.id and str(task.assignee_id) == people.worker_1.id
    note = await asyncio.wait_for(arrived.get(), 10)
    assert isinstance(note, NotificationPublic) and note.report_id == report.id
    assert note.kind == "report_dispatched" and note.title("en") and note.title("zh")

    await worker.reports.accept_report(report.id)
    status_note = await asyncio.wait_for(arrived.get(), 10)
    assert status_note.kind == "report_status" and status_note.payload["to"] == "accepted"
    for _ in range(50):
        report_seen = any(isinstance(c, ReportPublic) and c.id == report.id and c.status is ReportStatus.ACCEPTED
                          for c in changes)
        if report_seen and any(isinstance(c, CaseEventPublic) and c.to_status is ReportStatus.ACCEPTED
                               for c in changes):
            break
        await asyncio.sleep(0.1)
    else:
        raise AssertionError(f"report changes did not arrive: {changes}")

    unread = await citizen.profile.notifications(unread_only=True)
    assert {note.id, status_note.id} <= {n.id for n in unread}
    assert await citizen.profile.mark_notifications_read([note.id]) == 1
    assert note.id not in {n.id for n in await citizen.profile.notifications(unread_only=True)}
    assert await citizen.profile.mark_notifications_read() >= 1
    assert await citizen.profile.notifications(unread_only=True) == []


async def test_a_closed_port_is_a_network_error(connect, people, city) -> None:
    client = await connect(url=f"http://127.0.0.1:{free_port()}")
    with pytest.raises(errors.NetworkError) as err:
        await client.auth.sign_in(people.citizen_a.email, people.citizen_a.password)
    assert "网络" in err.value.message("zh-CN") and "network" in err.value.message("en")
    with pytest.raises(errors.NetworkError):
        await client.reports.nearby_open_reports(*GRID_POINTS[0])


async def test_sos_through_the_client(connect, people) -> None:
    caller, worker = await connect(people.citizen_b), await connect(people.worker_1)
    await worker.worker.set_my_duty(True)
    seen: list = []
    await caller.sos.subscribe_sos(seen.append)
    lat, lon = GRID_POINTS[0]
    alert = await caller.sos.raise_sos(lat, lon, note="摔倒了 fell")
    assert alert.status is SosStatus.SENT and str(alert.grid_id) == GRIDS[0] and alert.is_open
    assert (await caller.sos.raise_sos(lat, lon)).id == alert.id  # one open SOS each
    moved = await caller.sos.update_sos_location(alert.id, lat + 0.0001, lon, accuracy_m=8)
    assert moved.accuracy_m == 8 and moved.status is SosStatus.SENT
    assert alert.id in {a.id for a in await worker.sos.sos_alerts()}
    assert (await worker.sos.acknowledge_sos(alert.id)).status is SosStatus.ACKNOWLEDGED
    with pytest.raises(errors.InvalidTransition):
        await worker.sos.acknowledge_sos(alert.id)
    assert (await worker.sos.mark_sos_on_the_way(alert.id)).status is SosStatus.ON_THE_WAY
    done = await worker.sos.resolve_sos(alert.id, "已送医 taken to hospital")
    assert done.status is SosStatus.RESOLVED and not done.is_open
    assert [e.to_status for e in await caller.sos.sos_timeline(alert.id)] == [
        SosStatus.SENT, SosStatus.ACKNOWLEDGED, SosStatus.ON_THE_WAY, SosStatus.RESOLVED]
    for _ in range(50):
        if any(s.id == alert.id and s.status is SosStatus.RESOLVED for s in seen):
            break
        await asyncio.sleep(0.1)
    else:
        raise AssertionError(f"SOS changes did not arrive: {seen}")
    other = await caller.sos.raise_sos(lat, lon)
    assert other.id != alert.id
    assert (await caller.sos.cancel_sos(other.id, "误触 pressed by mistake")).status is SosStatus.CANCELLED


async def test_sign_up_with_email_or_phone_then_sign_in(connect, stack) -> None:
    email = f"new-{uuid.uuid4().hex[:10]}@test.cityloop.local"
    phone = "+86139" + str(uuid.uuid4().int)[:8]
    for identifier, needs_code in ((email, False), (phone, True)):
        client = await connect()
        result = await client.auth.register(identifier, "pw-" + uuid.uuid4().hex, display_name="新居民")
        assert result.user.role is Role.CITIZEN and result.needs_code is needs_code
        await client.auth.sign_out()
        assert await client.auth.current_user() is None
    client = await connect()
    with pytest.raises(errors.AccountExists):
        await client.auth.sign_up(email, "pw-" + uuid.uuid4().hex)
    password, phone = "pw-" + uuid.uuid4().hex, phone.replace("+86139", "+86137")
    other = await connect()
    await other.auth.sign_up(phone, password)
    with pytest.raises(errors.PhoneNotConfirmed):  # until the SMS code comes back
        await other.auth.sign_in(phone, password)
    with pytest.raises(errors.CodeWrong):
        await other.auth.sign_in_with_code(phone, wrong_code(latest_code(stack, phone)))
    assert (await other.auth.sign_in_with_code(phone, latest_code(stack, phone))).phone == phone.removeprefix("+")
    await other.auth.sign_out()
    signed = await other.auth.sign_in(phone, password)
    assert (await other.profile.get_profile()).id == signed.id and (await other.auth.current_role()) is Role.CITIZEN
    with pytest.raises(errors.ValidationError):
        await other.auth.sign_in("not an address", password)
