"""shared.commands, case actions (once shared.action_queue): kept on disk and sent in order, with their state."""

from __future__ import annotations

import asyncio

from shared import errors
from shared.commands import CommandQueue, CommandState as QueueState


class ActionQueue(CommandQueue):
    """The old queue's calls, spelled on the command queue."""

    def add(self, action, report_id, **args):
        return self.add_case_action(action, report_id, args)


def test_actions_survive_a_restart_and_are_sent_in_order(tmp_path) -> None:
    path = tmp_path / "me"
    q = ActionQueue(path)
    q.add("accept_report", "r1")
    q.add("resolve_report", "r1", note="修好了", photo_files=[])
    q.add("comment_report", "r2", note="路过看了")
    again = ActionQueue(path)  # the app was closed and opened again
    assert [i.action for i in again.pending()] == ["accept_report", "resolve_report", "comment_report"]

    sent = []

    async def send(item, photos):
        sent.append((item.action, item.report_id))

    result = asyncio.run(again.flush(send))
    assert sent == [("accept_report", "r1"), ("resolve_report", "r1"), ("comment_report", "r2")]
    assert (len(result.sent), len(result.failed), result.left) == (3, 0, 0)
    assert all(i.state is QueueState.SENT for i in ActionQueue(path).items)


def test_network_failure_stops_the_flush_and_keeps_the_order(tmp_path) -> None:
    q = ActionQueue(tmp_path / "q")
    first, second = q.add("accept_report", "r1"), q.add("start_report", "r1")
    calls = []

    async def offline(item, photos):
        calls.append(item.action)
        raise errors.NetworkError("down")

    result = asyncio.run(q.flush(offline))
    assert calls == ["accept_report"]  # the second is not tried before the first got through
    assert result.left == 2 and first.state is QueueState.PENDING and second.state is QueueState.PENDING


def test_a_refused_action_is_marked_with_the_reason_and_the_rest_go_on(tmp_path) -> None:
    q = ActionQueue(tmp_path / "q")
    q.add("start_report", "r1")
    q.add("comment_report", "r1", note="x")

    async def send(item, photos):
        if item.action == "start_report":
            raise errors.InvalidTransition("cannot start a report that is resolved", code="PT409", status=409)

    result = asyncio.run(q.flush(send))
    assert (len(result.sent), len(result.failed)) == (1, 1)
    refused = ActionQueue(tmp_path / "q").items[0]
    assert refused.state is QueueState.FAILED
    assert refused.error("zh-CN") == errors.InvalidTransition.zh and refused.error("en") == errors.InvalidTransition.en
    q.dismiss(refused.id)
    assert [i.action for i in q.items] == ["comment_report"]


def test_a_damaged_file_is_set_aside_not_fatal(tmp_path) -> None:
    (tmp_path / "queue.json").write_text("{not json", encoding="utf-8")
    assert ActionQueue(tmp_path).items == []
    assert (tmp_path / "queue.damaged").exists()
