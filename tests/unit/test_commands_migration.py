"""shared.commands on first start: the older outbox folder and action-queue file become queue entries,
nothing lost and nothing sent twice (files written here exactly as the older modules wrote them)."""

from __future__ import annotations

import asyncio
import json
import shutil
import uuid
from pathlib import Path

from shared.commands import CommandKind, CommandQueue, CommandState, migrate_legacy
from shared.models import ReportCreate

USER = str(uuid.uuid4())


def old_outbox_entry(root: Path, photos: list[bytes], queued_at: str, **extra) -> ReportCreate:
    """As shared/outbox.py kept a report: `<root>/<id>/report.json` and `photo-<n>.bin`."""
    report = ReportCreate(category_code="02.03.001", description="路灯不亮", lat=39.125, lon=117.19)
    folder = root / str(report.id)
    folder.mkdir(parents=True)
    for n, data in enumerate(photos):
        (folder / f"photo-{n}.bin").write_bytes(data)
    body = {"report": report.model_dump(mode="json"), "queued_at": queued_at, "attempts": 0, "last_error": None,
            "photo_count": len(photos), **extra}
    (folder / "report.json").write_text(json.dumps(body, ensure_ascii=False), encoding="utf-8")
    return report


def old_action(folder: Path, action: str, report_id: str, state: str, created_at: str, photos=(), **args) -> dict:
    """As shared/action_queue.py kept an action; after-photos in `<folder>/photos/<id>/<n>.img`."""
    item_id = str(uuid.uuid4())
    if photos:
        paths = []
        (folder / "photos" / item_id).mkdir(parents=True)
        for n, data in enumerate(photos):
            path = folder / "photos" / item_id / f"{n}.img"
            path.write_bytes(data)
            paths.append(str(path))
        args["photo_files"] = paths
    return {"action": action, "report_id": report_id, "args": args, "id": item_id, "state": state,
            "error_zh": "不能这样操作" if state == "failed" else None,
            "error_en": "Not allowed" if state == "failed" else None, "created_at": created_at}


class Server:
    """Answers by command id, as the reports table and run_case_command do: a second send is not a second act."""

    def __init__(self) -> None:
        self.applied: dict[uuid.UUID, tuple[str, list[bytes]]] = {}
        self.calls = 0

    async def send(self, command, photos: list[bytes]):
        self.calls += 1
        self.applied.setdefault(command.id, (command.action or "report", photos))
        return command.id


def test_an_old_outbox_folder_becomes_waiting_reports_once(tmp_path) -> None:
    old = tmp_path / "outbox" / USER
    second = old_outbox_entry(old, [], "2026-11-30T10:05:00+00:00", attempts=2, last_error="请先登录")
    first = old_outbox_entry(old, [b"p0", b"p1"], "2026-11-30T10:00:00+00:00")
    (old / str(uuid.uuid4())).mkdir()  # half-written by the old outbox (no report.json): it ignored it too

    queue = CommandQueue.for_person(tmp_path, USER, legacy=[old])
    waiting = queue.waiting_reports()
    assert [c.id for c in waiting] == [first.id, second.id]  # the old order (queued_at)
    assert waiting[0].report == first and queue.photos(first.id) == [b"p0", b"p1"]
    assert waiting[1].attempts == 2 and waiting[1].error("zh-CN") == "请先登录"
    assert not old.exists()

    again = CommandQueue(queue.root)  # the next start reads the new file alone
    assert [c.id for c in again.waiting_reports()] == [first.id, second.id]
    server = Server()
    result = asyncio.run(again.flush(server.send))
    assert result.sent == [first.id, second.id] and server.applied[first.id][1] == [b"p0", b"p1"]
    assert asyncio.run(again.flush(server.send)).sent == [] and server.calls == 2


def test_an_old_action_file_keeps_ids_states_order_and_photos(tmp_path) -> None:
    rid = str(uuid.uuid4())
    items = [old_action(tmp_path, "accept_report", rid, "sent", "2026-11-30T09:00:00+00:00"),
             old_action(tmp_path, "start_report", rid, "failed", "2026-11-30T09:01:00+00:00"),
             old_action(tmp_path, "resolve_report", rid, "pending", "2026-11-30T09:02:00+00:00", photos=[b"after"],
                        note="修好了"),
             old_action(tmp_path, "comment_report", rid, "pending", "2026-11-30T09:03:00+00:00", note="路过")]
    old = tmp_path / f"actions-{USER}.json"
    old.write_text(json.dumps(items, ensure_ascii=False, indent=1), encoding="utf-8")

    queue = CommandQueue.for_person(tmp_path, USER, legacy=[old])
    taken = queue.for_report(rid)
    assert [str(c.id) for c in taken] == [i["id"] for i in items]
    assert [c.state for c in taken] == [CommandState.SENT, CommandState.FAILED, CommandState.PENDING,
                                        CommandState.PENDING]
    assert all(c.kind is CommandKind.CASE_ACTION for c in taken)
    assert taken[1].error("en") == "Not allowed" and taken[2].args == {"note": "修好了"}
    assert queue.photos(taken[2].id) == [b"after"]
    assert not old.exists() and (tmp_path / f"actions-{USER}.migrated").exists()
    assert not (tmp_path / "photos" / items[2]["id"]).exists()

    server = Server()
    result = asyncio.run(CommandQueue(queue.root).flush(server.send))
    assert [str(i) for i in result.sent] == [items[2]["id"], items[3]["id"]]  # the sent and failed ones stay put
    assert server.applied[taken[2].id] == ("resolve_report", [b"after"])


def test_a_crash_after_saving_but_before_removing_the_old_files_adds_nothing_twice(tmp_path) -> None:
    old = tmp_path / "outbox" / USER
    report = old_outbox_entry(old, [b"p"], "2026-11-30T10:00:00+00:00")
    kept = tmp_path / "kept"
    shutil.copytree(old, kept)
    queue = CommandQueue.for_person(tmp_path, USER, legacy=[old])
    shutil.copytree(kept, old)  # as if the app died after writing queue.json, before deleting the folder
    assert migrate_legacy(queue, [old]) == 0
    assert [c.id for c in queue.waiting_reports()] == [report.id] and not old.exists()
    server = Server()
    asyncio.run(queue.flush(server.send))
    asyncio.run(queue.flush(server.send))
    assert server.calls == 1


def test_no_old_files_is_a_plain_start(tmp_path) -> None:
    queue = CommandQueue.for_person(tmp_path, USER, legacy=[tmp_path / "outbox" / USER, tmp_path / "x.json"])
    assert queue.items == [] and not queue.path.exists()


def test_a_field_a_later_version_adds_does_not_make_the_file_damaged(tmp_path) -> None:
    queue = CommandQueue(tmp_path)
    kept = queue.add_case_action("comment_report", uuid.uuid4(), {"note": "x"})
    body = json.loads(queue.path.read_text(encoding="utf-8"))
    body[0]["priority"] = "high"
    queue.path.write_text(json.dumps(body), encoding="utf-8")
    assert [c.id for c in CommandQueue(tmp_path).pending()] == [kept.id]
    assert not (tmp_path / "queue.damaged").exists()
