"""client.reports (and the notifications it causes), allowed and denied, on the twin and on the stack."""

from __future__ import annotations

import asyncio
import io
import uuid

import pytest
from PIL import Image

from shared import errors
from shared.models import CaseEventPublic, RatingCreate, ReportCreate, ReportPublic, ReportStatus, TaskQueue, TaskStatus
from tests.backend.core_support import GRIDS
from tests.contract.conftest import LAMP, spot


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (640, 480), (200, 90, 40)).save(out, "JPEG")
    return out.getvalue()


def new_report(grid: int = 0, category: str = LAMP, at: tuple[float, float] | None = None) -> ReportCreate:
    lat, lon = at or spot(grid)
    return ReportCreate(category_code=category, description="路灯不亮", lat=lat, lon=lon)


async def eventually(check, seconds: float = 20) -> None:
    deadline = asyncio.get_running_loop().time() + seconds
    while not check():
        assert asyncio.get_running_loop().time() < deadline
        await asyncio.sleep(0.05)


async def test_a_report_is_dispatched_to_the_grids_worker_with_its_timeline_and_notices(world) -> None:
    worker = await world.sole_worker(GRIDS[0])
    alice = await world.person()
    filed = await alice.api.reports.submit_report(new_report(), [jpeg()])
    assert filed.status is ReportStatus.DISPATCHED and str(filed.grid_id) == GRIDS[0]
    assert filed.department_code == "city_mgmt" and filed.due_at is not None and len(filed.photos) == 1
    assert (await alice.api.reports.download_photo(filed.photos[0]))[:2] == b"\xff\xd8"
    events = await alice.api.reports.timeline(filed.id)
    assert [(e.from_status, e.to_status) for e in events] == [(None, ReportStatus.SUBMITTED),
                                                            (ReportStatus.SUBMITTED, ReportStatus.DISPATCHED)]
    [task] = (await alice.api.reports.report_detail(filed.id)).tasks
    assert (task.queue, str(task.assignee_id), task.status) == (TaskQueue.WORKER, worker.id, TaskStatus.OPEN)
    assert [t.report_id for t in await worker.api.worker.tasks()] == [filed.id]
    assert (await worker.api.worker.task_for(filed.id)).report.id == filed.id
    mine = [n for n in await alice.api.profile.notifications() if n.report_id == filed.id]
    assert [n.kind for n in mine] == ["report_dispatched"]
    assert [n.kind for n in await worker.api.profile.notifications() if n.report_id == filed.id] == ["task_assigned"]
    assert await alice.api.profile.mark_notifications_read() >= 1
    assert await alice.api.profile.notifications(unread_only=True) == []
    assert [r.id for r in await alice.api.reports.my_reports()] == [filed.id]


async def test_a_report_id_files_once_and_is_nobody_elses(world) -> None:
    alice = await world.person()
    bob = await world.person()
    report = new_report()
    first = await alice.api.reports.submit_report(report)
    again = await alice.api.reports.submit_report(report)  # a retry after a lost answer
    assert again.id == first.id and again.created_at == first.created_at
    assert [r.id for r in await alice.api.reports.my_reports()] == [first.id]
    with pytest.raises(errors.Conflict):
        await bob.api.reports.submit_report(report.model_copy(update={"description": "别人的"}))
    assert await bob.api.reports.my_reports() == []


async def test_a_bad_category_or_too_many_photos_files_nothing(world) -> None:
    alice = await world.person()
    with pytest.raises(errors.ValidationError):
        await alice.api.reports.submit_report(new_report(category="02.03"[:5] + ".999"))
    with pytest.raises(errors.ValidationError):
        await alice.api.reports.submit_report(new_report(), [jpeg()] * 10)
    assert await alice.api.reports.my_reports() == []


async def test_a_stranger_who_knows_the_id_sees_and_changes_nothing(world) -> None:
    await world.sole_worker(GRIDS[0])
    alice = await world.person()
    stranger = await world.person()
    filed = await alice.api.reports.submit_report(new_report(), [jpeg()])
    with pytest.raises(errors.NotFound):
        await stranger.api.reports.get_report(filed.id)
    assert await stranger.api.reports.timeline(filed.id) == []
    assert await stranger.api.reports.reports_by_ids([filed.id]) == []
    for call in (stranger.api.reports.accept_report(filed.id), stranger.api.reports.comment_report(filed.id, "hi"),
                 stranger.api.reports.rate_report(filed.id, RatingCreate(score=1))):
        with pytest.raises(errors.NotFound):
            await call
    with pytest.raises(errors.CityError):
        await stranger.api.reports.download_photo(filed.photos[0])
    assert (await alice.api.reports.get_report(filed.id)).status is ReportStatus.DISPATCHED
    assert len(await alice.api.reports.timeline(filed.id)) == 2


async def test_the_handler_works_the_case_and_the_reporter_rates_it(world) -> None:
    worker = await world.sole_worker(GRIDS[0])
    alice = await world.person()
    filed = await alice.api.reports.submit_report(new_report())
    with pytest.raises(errors.PermissionDenied):  # the reporter is not the handler
        await alice.api.reports.accept_report(filed.id)
    with pytest.raises(errors.InvalidTransition):  # the transition is checked first
        await worker.api.reports.resolve_report(filed.id, "done")
    assert (await worker.api.reports.accept_report(filed.id)).status is ReportStatus.ACCEPTED
    with pytest.raises(errors.InvalidTransition):
        await worker.api.reports.accept_report(filed.id)
    assert (await worker.api.reports.start_report(filed.id)).status is ReportStatus.IN_PROGRESS
    with pytest.raises(errors.ValidationError):
        await worker.api.reports.resolve_report(filed.id, "   ")
    resolved = await worker.api.reports.resolve_report(filed.id, "已更换灯泡")
    assert resolved.status is ReportStatus.RESOLVED and resolved.resolution_note == "已更换灯泡"
    assert await worker.api.worker.tasks() == []  # done: out of the inbox
    with pytest.raises(errors.PermissionDenied):
        await worker.api.reports.rate_report(filed.id, RatingCreate(score=5))
    rated = await alice.api.reports.rate_report(filed.id, RatingCreate(score=5, comment=" 很快 "))
    assert rated.status is ReportStatus.CLOSED
    detail = await alice.api.reports.report_detail(filed.id)
    assert (detail.rating.score, detail.rating.comment) == (5, "很快")
    assert detail.events[-1].note == "rated 5/5"
    with pytest.raises(errors.InvalidTransition):
        await alice.api.reports.rate_report(filed.id, RatingCreate(score=4))
    kinds = [n.kind for n in await alice.api.profile.notifications() if n.report_id == filed.id]
    assert kinds.count("report_status") == 3  # accepted, in progress, resolved; not the closing she did herself
    assert "report_status" not in [n.kind for n in await worker.api.profile.notifications()
                                   if n.report_id == filed.id and n.payload.get("to") == "accepted"]


async def test_only_the_reporter_answers_a_question_and_reopens(world) -> None:
    worker = await world.sole_worker(GRIDS[0])
    alice = await world.person()
    filed = await alice.api.reports.submit_report(new_report())
    await worker.api.reports.accept_report(filed.id)
    with pytest.raises(errors.PermissionDenied):
        await alice.api.reports.request_report_info(filed.id, "?")
    asked = await worker.api.reports.request_report_info(filed.id, "是哪一根灯杆？")
    assert asked.status is ReportStatus.NEEDS_INFO
    with pytest.raises(errors.PermissionDenied):
        await worker.api.reports.answer_report_info(filed.id, "我自己答")
    answered = await alice.api.reports.answer_report_info(filed.id, "小区南门第二根")
    assert answered.status is ReportStatus.IN_PROGRESS
    assert "info_answered" in [n.kind for n in await worker.api.profile.notifications() if n.report_id == filed.id]
    await worker.api.reports.resolve_report(filed.id, "修好了")
    with pytest.raises(errors.PermissionDenied):
        await worker.api.reports.reopen_report(filed.id, "我来重开")
    with pytest.raises(errors.ValidationError):
        await alice.api.reports.reopen_report(filed.id, " ")
    reopened = await alice.api.reports.reopen_report(filed.id, "灯又灭了")
    assert reopened.status is ReportStatus.REOPENED
    task = await worker.api.worker.task_for(filed.id)  # back to the same handler
    assert task is not None and str(task.assignee_id) == worker.id and task.status is TaskStatus.OPEN
    assert (await alice.api.reports.timeline(filed.id))[-1].note == "灯又灭了"


async def test_nearby_cases_are_followed_for_their_status_not_their_content(world) -> None:
    await world.sole_worker(GRIDS[0])
    alice = await world.person()
    bob = await world.person()
    at = spot()
    filed = await alice.api.reports.submit_report(new_report(at=at))
    near = (at[0] + 0.0001, at[1])  # about 11 m away
    [seen] = await bob.api.reports.nearby_open_reports(*near, category=LAMP)
    assert (seen.id, seen.mine, seen.distance_m) == (filed.id, False, 10)
    [own] = await alice.api.reports.nearby_open_reports(*near, category=LAMP)
    assert own.mine
    assert await bob.api.reports.nearby_open_reports(*near, category="02.03.002") == []
    with pytest.raises(errors.ValidationError):
        await bob.api.reports.nearby_open_reports(*near, radius_m=5000)
    with pytest.raises(errors.NotFound):
        await bob.api.reports.followed_report_status(filed.id)  # not followed yet
    assert await bob.api.reports.follow_report(filed.id)
    assert [f.id for f in await bob.api.reports.followed_reports()] == [filed.id]
    status = await bob.api.reports.followed_report_status(filed.id)
    assert [s.to_status for s in status.steps] == [ReportStatus.SUBMITTED, ReportStatus.DISPATCHED]
    assert (status.approx_lat, status.approx_lon) == (round(at[0], 3), round(at[1], 3))
    with pytest.raises(errors.NotFound):  # following gives the status, not the case
        await bob.api.reports.get_report(filed.id)
    with pytest.raises(errors.NotFound):
        await bob.api.reports.follow_report(uuid.uuid4())


async def test_the_reporter_sees_live_changes_of_her_case(world) -> None:
    worker = await world.sole_worker(GRIDS[0])
    alice = await world.person()
    filed = await alice.api.reports.submit_report(new_report())
    seen: list = []
    sub = await alice.api.reports.subscribe_report_changes(seen.append)
    await worker.api.reports.accept_report(filed.id)
    await eventually(lambda: any(getattr(c, "status", None) is ReportStatus.ACCEPTED and c.id == filed.id
                                 for c in seen))
    await eventually(lambda: any(getattr(c, "to_status", None) is ReportStatus.ACCEPTED for c in seen))
    await sub.unsubscribe()


async def test_the_own_cases_channel_carries_only_the_reports_i_filed(world) -> None:
    """subscribe_my_reports is filtered at the server (reporter_id=eq.<me> on reports and on their steps): a
    worker of the grid, who may see every report there, hears of her own report and its steps on it, and of
    another's only on the unfiltered channel."""
    worker = await world.sole_worker(GRIDS[0])
    colleague = await world.colleague(GRIDS[0], on_duty=False)
    alice = await world.person()
    mine = await colleague.api.reports.submit_report(new_report())
    theirs = await alice.api.reports.submit_report(new_report())
    own: list = []
    everything: list = []
    subs = [await colleague.api.reports.subscribe_my_reports(own.append),
            await colleague.api.reports.subscribe_report_changes(everything.append)]

    def accepted(seen: list, report_id) -> bool:
        return any(isinstance(c, ReportPublic) and c.id == report_id and c.status is ReportStatus.ACCEPTED
                   for c in seen)

    await worker.api.reports.accept_report(theirs.id)
    await worker.api.reports.accept_report(mine.id)
    await eventually(lambda: accepted(everything, theirs.id) and accepted(everything, mine.id))
    await eventually(lambda: accepted(own, mine.id))
    await eventually(lambda: any(isinstance(c, CaseEventPublic) and c.report_id == mine.id
                                 and c.to_status is ReportStatus.ACCEPTED for c in own))
    await eventually(lambda: any(isinstance(c, CaseEventPublic) and c.report_id == theirs.id
                                 and c.to_status is ReportStatus.ACCEPTED for c in everything))
    assert not [c for c in own if isinstance(c, ReportPublic) and c.id != mine.id]
    assert not [c for c in own if getattr(c, "report_id", None) == theirs.id]  # their steps: not on my channel
    for sub in subs:
        await sub.unsubscribe()
