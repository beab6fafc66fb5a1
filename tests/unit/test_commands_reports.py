"""shared.commands, reports (once shared.outbox): waiting reports survive restarts, are sent once, are never dropped."""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime, timezone

import pytest

from shared import errors
from shared.models import ReportCreate, ReportPublic
from shared.commands import CommandQueue as Outbox


def report(**extra) -> ReportCreate:
    return ReportCreate(category_code="02.03.001", description="路灯不亮", lat=39.125, lon=117.19, **extra)


def filed(r: ReportCreate) -> ReportPublic:
    now = datetime.now(timezone.utc)
    return ReportPublic(id=r.id, category_code=r.category_code, description=r.description, lat=r.lat, lon=r.lon,
                        source=r.source, status="dispatched", created_at=now, updated_at=now)


class Backend:
    """Files reports by id like the reports table does (a second insert of an id is not a second report)."""

    def __init__(self, fail: list[errors.CityError] | None = None) -> None:
        self.fail = list(fail or [])
        self.filed: dict[uuid.UUID, tuple[ReportCreate, list[bytes]]] = {}
        self.calls = 0

    async def submit(self, command, photos: list[bytes]) -> ReportPublic:
        r = command.report
        self.calls += 1
        if self.fail:
            raise self.fail.pop(0)
        self.filed.setdefault(r.id, (r, photos))
        return filed(r)


def test_a_waiting_report_keeps_its_id_and_photos_across_restarts(tmp_path) -> None:
    r = report()
    Outbox(tmp_path).add_report(r, [b"one", b"two"])
    again = Outbox(tmp_path)  # a new app start
    [entry] = again.waiting_reports()
    assert entry.report == r and entry.photo_count == 2
    assert again.photos(r.id) == [b"one", b"two"]


def test_offline_keeps_everything_and_later_sends_each_once(tmp_path) -> None:
    box = Outbox(tmp_path)
    first, second = report(), report()
    box.add_report(first, [b"p1"])
    box.add_report(second)
    backend = Backend(fail=[errors.NetworkError("down")])
    result = asyncio.run(box.flush(backend.submit))
    assert result.offline and result.sent == [] and len(box) == 2
    assert box.waiting_reports()[0].attempts == 1
    result = asyncio.run(box.flush(backend.submit))
    assert [r.id for r in result.sent] == [first.id, second.id]
    assert len(box) == 0 and set(backend.filed) == {first.id, second.id}
    assert backend.filed[first.id][1] == [b"p1"]
    assert asyncio.run(box.flush(backend.submit)).sent == []  # nothing is sent twice


def test_two_flushes_at_once_send_each_report_once(tmp_path) -> None:
    box = Outbox(tmp_path)
    box.add_report(report())
    backend = Backend()

    async def both():
        return await asyncio.gather(box.flush(backend.submit), box.flush(backend.submit))

    results = asyncio.run(both())
    assert sum(len(r.sent) for r in results) == 1 and backend.calls == 1


def test_a_refused_report_stays_with_the_reason_in_plain_words(tmp_path) -> None:
    box = Outbox(tmp_path)
    r = report()
    box.add_report(r)
    result = asyncio.run(box.flush(Backend(fail=[errors.PermissionDenied("rls")]).submit, "en"))
    assert result.failed == [r.id] and not result.offline
    [entry] = box.waiting_reports()
    assert entry.error("en") == errors.PermissionDenied.en


def test_a_half_written_entry_is_ignored_not_sent(tmp_path) -> None:
    (tmp_path / "photos" / str(uuid.uuid4())).mkdir(parents=True)  # photos written, the entry never was (crash)
    (tmp_path / "photos" / "not-a-uuid-file").write_text("x")
    (tmp_path / "queue.json.tmp-half").write_text("[{")  # a write that never reached its rename
    assert Outbox(tmp_path).waiting_reports() == []


@pytest.mark.parametrize("count", [0, 3])
def test_photo_count_round_trips(tmp_path, count) -> None:
    r = report()
    Outbox(tmp_path).add_report(r, [bytes([n]) for n in range(count)])
    assert Outbox(tmp_path).photos(r.id) == [bytes([n]) for n in range(count)]
