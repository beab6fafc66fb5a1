"""Staff handling a case beyond the plain steps: contacts, transfer, re-categorising, escalating,
department and supervisor queues, reporting for a resident; the reporter withdrawing and adding
information. Allowed and denied, on the twin and on the stack."""

from __future__ import annotations

import io
import uuid

import pytest
from PIL import Image

from shared import errors
from shared.models import ProfileUpdate, ReportCreate, ReportSource, ReportStatus, TaskQueue, TaskStatus
from shared.worker import ResidentContact
from tests.backend.core_support import GRIDS, STREETS
from tests.contract.conftest import LAMP, spot

MUDDY_TRUCKS = "03.03.005"  # 工地车辆带泥上路: the environment department


def report(grid: int = 0, category: str = LAMP, **extra) -> ReportCreate:
    lat, lon = spot(grid)
    return ReportCreate(category_code=category, description="路灯不亮", lat=lat, lon=lon, **extra)


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (320, 240), (20, 90, 200)).save(out, "JPEG")
    return out.getvalue()


async def test_staff_see_the_reporters_contact_residents_do_not(world) -> None:
    worker = await world.sole_worker(GRIDS[0])
    alice = await world.person(display_name="王丽")
    await alice.api.profile.update_profile(ProfileUpdate(phone="13800001234"))
    bob = await world.person()
    filed = await alice.api.reports.submit_report(report())
    contact = await worker.api.worker.report_contact(filed.id)
    assert (contact.display_name, contact.phone, contact.on_behalf) == ("王丽", "13800001234", False)
    with pytest.raises(errors.PermissionDenied):
        await alice.api.worker.report_contact(filed.id)
    with pytest.raises(errors.PermissionDenied):
        await bob.api.worker.report_contact(filed.id)
    far = await world.sole_worker(GRIDS[6])
    with pytest.raises(errors.NotFound):  # staff, but not of this case
        await far.api.worker.report_contact(filed.id)


async def test_a_worker_reports_for_a_resident_once(world) -> None:
    worker = await world.sole_worker(GRIDS[0])
    alice = await world.person()
    on_behalf = report(source=ReportSource.GRID_APP)
    resident = ResidentContact(name=" 赵大爷 ", phone="13900005678")
    filed = await worker.api.worker.report_for_resident(on_behalf, resident)
    again = await worker.api.worker.report_for_resident(on_behalf, resident)
    assert filed.id == again.id and filed.source is ReportSource.GRID_APP
    contact = await worker.api.worker.report_contact(filed.id)
    assert (contact.display_name, contact.phone, contact.on_behalf) == ("赵大爷", "13900005678", True)
    with pytest.raises(errors.PermissionDenied):  # residents file as themselves, from the citizen app
        await alice.api.worker.report_for_resident(report(source=ReportSource.GRID_APP), resident)


async def test_transfer_to_a_worker_of_the_street_and_not_to_anyone(world) -> None:
    worker = await world.sole_worker(GRIDS[0])
    colleague = await world.colleague(GRIDS[1], on_duty=True, display_name="同事")  # same street
    alice = await world.person()
    filed = await alice.api.reports.submit_report(report())
    listed = {str(w.id): w for w in await worker.api.worker.transfer_workers(filed.id)}
    assert colleague.id in listed and worker.id not in listed
    assert listed[colleague.id].on_duty and listed[colleague.id].grid_codes == ["120101001001-02"]
    with pytest.raises(errors.PermissionDenied):
        await alice.api.worker.transfer_workers(filed.id)
    with pytest.raises(errors.ValidationError):
        await worker.api.reports.transfer_report(filed.id, "他负责", to_worker=alice.id)  # not a grid worker
    with pytest.raises(errors.ValidationError):
        await worker.api.reports.transfer_report(filed.id, "他负责")  # neither a department nor a worker
    with pytest.raises(errors.PermissionDenied):
        await alice.api.reports.transfer_report(filed.id, "我想换人", to_worker=colleague.id)
    moved = await worker.api.reports.transfer_report(filed.id, "他负责这栋楼", to_worker=colleague.id)
    assert moved.status is ReportStatus.TRANSFERRED
    task = await colleague.api.worker.task_for(filed.id)
    assert str(task.assignee_id) == colleague.id and task.status is TaskStatus.OPEN
    assert "task_assigned" in [n.kind for n in await colleague.api.profile.notifications() if n.report_id == filed.id]
    with pytest.raises(errors.PermissionDenied):  # no longer the handler
        await worker.api.reports.accept_report(filed.id)
    assert (await colleague.api.reports.accept_report(filed.id)).status is ReportStatus.ACCEPTED


async def test_a_new_category_routes_the_case_again(world) -> None:
    worker = await world.sole_worker(GRIDS[0])
    staff = await world.staff("environment")
    alice = await world.person()
    filed = await alice.api.reports.submit_report(report())
    with pytest.raises(errors.ValidationError):
        await worker.api.worker.change_report_category(filed.id, LAMP, "同一个")
    with pytest.raises(errors.ValidationError):
        await worker.api.worker.change_report_category(filed.id, "01.01", "不是条目")
    with pytest.raises(errors.PermissionDenied):
        await alice.api.worker.change_report_category(filed.id, MUDDY_TRUCKS, "我觉得")
    changed = await worker.api.worker.change_report_category(filed.id, MUDDY_TRUCKS, "其实是环境问题")
    assert (changed.category_code, changed.department_code, changed.status) == (MUDDY_TRUCKS, "environment",
                                                                                 ReportStatus.TRANSFERRED)
    assert (await alice.api.reports.timeline(filed.id))[-1].note == f"category {LAMP} -> {MUDDY_TRUCKS}: 其实是环境问题"
    task = await staff.api.worker.task_for(filed.id)
    assert task.queue is TaskQueue.DEPARTMENT and task.department_code == "environment"
    assert filed.id in {t.report_id for t in await staff.api.worker.inbox_tasks()}
    assert (await staff.api.reports.accept_report(filed.id)).status is ReportStatus.ACCEPTED


async def test_escalation_tells_the_streets_supervisor_and_keeps_the_status(world) -> None:
    worker = await world.sole_worker(GRIDS[0])
    boss = await world.supervisor(STREETS[0])
    other_boss = await world.supervisor(STREETS[1])
    alice = await world.person()
    filed = await alice.api.reports.submit_report(report())
    with pytest.raises(errors.ValidationError):
        await worker.api.worker.escalate_report(filed.id, "  ")
    with pytest.raises(errors.PermissionDenied):
        await alice.api.worker.escalate_report(filed.id, "快点")
    kept = await worker.api.worker.escalate_report(filed.id, "需要执法")
    assert kept.status is ReportStatus.DISPATCHED
    assert (await alice.api.reports.timeline(filed.id))[-1].note == "escalated to the supervisor: 需要执法"
    assert "case_escalated" in [n.kind for n in await boss.api.profile.notifications() if n.report_id == filed.id]
    assert [n for n in await other_boss.api.profile.notifications() if n.report_id == filed.id] == []
    # The street's supervisor oversees: may resolve a case a worker holds; the other street's may not see it.
    await worker.api.reports.accept_report(filed.id)
    assert (await boss.api.reports.resolve_report(filed.id, "督办完成")).status is ReportStatus.RESOLVED
    with pytest.raises(errors.NotFound):
        await other_boss.api.reports.get_report(filed.id)


async def test_the_reporter_adds_information_then_withdraws(world) -> None:
    worker = await world.sole_worker(GRIDS[0])
    alice = await world.person()
    bob = await world.person()
    filed = await alice.api.reports.submit_report(report())
    with pytest.raises(errors.PermissionDenied):
        await worker.api.reports.add_report_info(filed.id, "我来补充")
    with pytest.raises(errors.NotFound):
        await bob.api.reports.add_report_info(filed.id, "路人补充")
    added = await alice.api.reports.add_report_info(filed.id, "灯杆上有编号 17", [jpeg()])
    assert added.status is ReportStatus.DISPATCHED
    step = (await worker.api.reports.timeline(filed.id))[-1]
    assert (step.kind, step.note, len(step.photos), step.from_status) == ("info_added", "灯杆上有编号 17", 1,
                                                                          step.to_status)
    assert "info_added" in [n.kind for n in await worker.api.profile.notifications() if n.report_id == filed.id]
    with pytest.raises(errors.PermissionDenied):
        await worker.api.reports.withdraw_report(filed.id, "不是你的")
    gone = await alice.api.reports.withdraw_report(filed.id, "已经修好了")
    assert gone.status is ReportStatus.WITHDRAWN
    assert await worker.api.worker.task_for(filed.id) is None
    with pytest.raises(errors.InvalidTransition):
        await alice.api.reports.withdraw_report(filed.id, "再撤一次")
    with pytest.raises(errors.NotFound):  # withdrawn is closed: nothing to follow
        await bob.api.reports.follow_report(filed.id)


async def test_a_case_command_is_applied_once_by_its_id_and_only_for_its_sender(world) -> None:
    worker = await world.sole_worker(GRIDS[0])
    alice = await world.person()
    other = await world.colleague(GRIDS[0], on_duty=False)
    filed = await alice.api.reports.submit_report(report())
    command = str(uuid.uuid4())
    with pytest.raises(errors.PermissionDenied):  # refused: nothing recorded, the id stays free
        await alice.api.worker.run_case_command(command, "accept_report", filed.id)
    first = await worker.api.worker.run_case_command(command, "accept_report", filed.id)
    again = await worker.api.worker.run_case_command(command, "accept_report", filed.id)  # a resend
    assert first.status is again.status is ReportStatus.ACCEPTED
    assert [e.to_status for e in await alice.api.reports.timeline(filed.id)].count(ReportStatus.ACCEPTED) == 1
    with pytest.raises(errors.InvalidTransition):
        await worker.api.worker.run_case_command(command, "start_report", filed.id)
    with pytest.raises(errors.PermissionDenied):  # a stranger who knows the id
        await other.api.worker.run_case_command(command, "accept_report", filed.id)
    with pytest.raises(errors.ValidationError):
        await worker.api.worker.run_case_command(str(uuid.uuid4()), "drop_table", filed.id)
    noted = await worker.api.worker.run_case_command(str(uuid.uuid4()), "comment_report", filed.id,
                                                     {"note": "到现场了"})
    assert noted.status is ReportStatus.ACCEPTED
    assert (await alice.api.reports.timeline(filed.id))[-1].note == "到现场了"
