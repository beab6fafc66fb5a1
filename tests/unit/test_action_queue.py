"""shared.action_queue: offline case actions are kept on disk and sent in order, with their state."""

from __future__ import annotations

import asyncio

from shared import errors
from shared.action_queue import ActionQueue, QueueState


def test_actions_survive_a_restart_and_are_sent_in_order(tmp_path) -> None:
    path = tmp_path / "actions-me.json"
    q = ActionQueue(path)
    q.add("accept_report", "r1")
    q.add("resolve_report", "r1", note="修好了", photo_files=[])
    q.add("comment_report", "r2", note="路过看了")
    again = ActionQueue(path)  # the app was closed and opened again
    assert [i.action for i in again.pending()] == ["accept_report", "resolve_report", "comment_report"]

    sent = []

    async def send(item):
        sent.append((item.action, item.report_id))

    result = asyncio.run(again.flush(send))
    assert sent == [("accept_report", "r1"), ("resolve_report", "r1"), ("comment_report", "r2")]
    assert (result.sent, result.failed, result.left) == (3, 0, 0)
    assert all(i.state is QueueState.SENT for i in ActionQueue(path).items)


def test_network_failure_stops_the_flush_and_keeps_the_order(tmp_path) -> None:
    q = ActionQueue(tmp_path / "q.json")
    first, second = q.add("accept_report", "r1"), q.add("start_report", "r1")
    calls = []

    async def offline(item):
        calls.append(item.action)
        raise errors.NetworkError("down")

    result = asyncio.run(q.flush(offline))
    assert calls == ["accept_report"]  # the second is not tried before the first got through
    assert result.left == 2 and first.state is QueueState.PENDING and second.state is QueueState.PENDING


def test_a_refused_action_is_marked_with_the_reason_and_the_rest_go_on(tmp_path) -> None:
    q = ActionQueue(tmp_path / "q.json")
    q.add("start_report", "r1")
    q.add("comment_report", "r1", note="x")

    async def send(item):
        if item.action == "start_report":
            raise errors.InvalidTransition("cannot start a report that is resolved", code="PT409", status=409)

    result = asyncio.run(q.flush(send))
    assert (result.sent, result.failed) == (1, 1)
    refused = ActionQueue(tmp_path / "q.json").items[0]
    assert refused.state is QueueState.FAILED
    assert refused.error("zh-CN") == errors.InvalidTransition.zh and refused.error("en") == errors.InvalidTransition.en
    q.dismiss(refused.id)
    assert [i.action for i in q.items] == ["comment_report"]


def test_a_damaged_file_is_set_aside_not_fatal(tmp_path) -> None:
    path = tmp_path / "q.json"
    path.write_text("{not json", encoding="utf-8")
    assert ActionQueue(path).items == []
    assert (tmp_path / "q.damaged").exists()
