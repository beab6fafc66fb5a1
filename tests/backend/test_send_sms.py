"""The SMS job: texts of the outbox go through the provider once, failures are retried with backoff;
the local provider speaks the stack's SMS sink (here a small HTTP server of the test on loopback)."""

from __future__ import annotations

import json
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from supabase import AsyncClientOptions, acreate_client

from backend.jobs.send_sms import SmsJobService, send_due_sms
from backend.local_supabase.config import Settings
from backend.notify import LocalSinkSms, SmsError
from backend.payments.settlement import client_rpc
from tests.backend.core_support import GRID_POINTS


class Sink:
    """Records each POST; answers the statuses queued in `fail_next` first, then 201 with an id."""

    def __init__(self) -> None:
        self.received: list[tuple[str, dict, dict]] = []
        self.fail_next: list[int] = []
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                sink.received.append((self.path, dict(self.headers), body))
                status = sink.fail_next.pop(0) if sink.fail_next else 201
                answer = json.dumps({"id": f"msg-{len(sink.received)}"} if status < 300 else {"error": "down"}).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture()
def sink():
    s = Sink()
    yield s
    s.server.shutdown()
    s.server.server_close()


@pytest.fixture()
async def service_rpc(stack):
    client = await acreate_client(stack.url, stack.service_key,
                                  options=AsyncClientOptions(persist_session=False, auto_refresh_token=False))
    return client_rpc(client)


def raise_with_a_pending_contact(make_user, db) -> tuple[str, str]:
    caller = make_user(app_metadata={"role": "citizen"})
    caller.client.table("profiles").update({"display_name": "王奶奶"}).eq("id", caller.id).execute()
    mobile = "139" + str(uuid.uuid4().int % 10**8).zfill(8)
    caller.client.rpc("invite_emergency_contact", {"phone": mobile, "name": "张三"}).execute()
    lat, lon = GRID_POINTS[0]
    alert = caller.client.rpc("raise_sos", {"lat": lat, "lon": lon}).execute().data["id"]
    caller.client.rpc("cancel_sos", {"alert_id": alert}).execute()
    # Only this test's texts are due: older ones (other tests) wait.
    db.execute("update public.sms_outbox set next_attempt_at = now() + interval '1 hour'"
               " where sent_at is null and sos_id is distinct from %s", (alert,))
    return alert, "+86" + mobile


def rows(db, alert: str) -> list[tuple]:
    return [tuple(r) for r in db.execute(
        "select kind, sent_at is not null, attempts, provider_ref, last_error is not null,"
        " next_attempt_at > now() + interval '20 seconds' from public.sms_outbox where sos_id = %s order by id",
        (alert,)).fetchall()]


async def test_the_job_sends_each_text_once_through_the_sink(stack, sink, service_rpc, make_user, db) -> None:
    alert, phone = raise_with_a_pending_contact(make_user, db)
    provider = LocalSinkSms(sink.url, stack.service_key)
    assert await send_due_sms(service_rpc, provider) == {"sent": 2, "failed": 0}
    assert [(path, body["phone"], body["sender"]) for path, _, body in sink.received] == [
        ("/sink/sms/messages", phone, "CityLoop")] * 2
    _, headers, first = sink.received[0]
    assert headers["apikey"] == stack.service_key and headers["Authorization"] == f"Bearer {stack.service_key}"
    assert "王奶奶" in first["body"] and "110" in first["body"]
    assert [r[:5] for r in rows(db, alert)] == [("sos_raised", True, 1, "msg-1", False),
                                                ("sos_cancelled", True, 1, "msg-2", False)]
    # Sent is sent: another pass sends nothing again.
    assert await send_due_sms(service_rpc, provider) == {"sent": 0, "failed": 0}
    assert len(sink.received) == 2


async def test_a_failure_is_retried_later_with_backoff(stack, sink, service_rpc, make_user, db) -> None:
    alert, _ = raise_with_a_pending_contact(make_user, db)
    provider = LocalSinkSms(sink.url, stack.service_key)
    sink.fail_next = [503, 503]
    assert await send_due_sms(service_rpc, provider) == {"sent": 0, "failed": 2}
    assert [r[1:] for r in rows(db, alert)] == [(False, 1, None, True, True)] * 2  # not due again for a while
    assert await send_due_sms(service_rpc, provider) == {"sent": 0, "failed": 0}  # backing off: nothing due
    db.execute("update public.sms_outbox set next_attempt_at = now() where sos_id = %s", (alert,))
    assert await send_due_sms(service_rpc, provider) == {"sent": 2, "failed": 0}
    assert [r[1:4] for r in rows(db, alert)] == [(True, 2, "msg-3"), (True, 2, "msg-4")]
    # After five attempts a text is given up (never sent in a loop).
    db.execute("update public.sms_outbox set sent_at = null, attempts = 5, next_attempt_at = now() where sos_id = %s",
               (alert,))
    assert await send_due_sms(service_rpc, provider) == {"sent": 0, "failed": 0}


async def test_an_unreachable_sink_is_an_sms_error() -> None:
    provider = LocalSinkSms("http://127.0.0.1:9", "key", timeout_s=2)  # discard port: nothing listens
    with pytest.raises(SmsError):
        await provider.send("+8613900000000", "测试")


def test_the_gateway_runs_the_job_every_sms_interval() -> None:
    from backend.functions.config import FunctionsSettings
    from backend.functions.local import functions_for
    from backend.local_supabase.config import Secrets

    def settings_of(**env: str) -> FunctionsSettings:
        return FunctionsSettings.from_environ({"SUPABASE_URL": "http://x", "SUPABASE_SERVICE_ROLE_KEY": "k", **env})

    assert settings_of(CITYLOOP_SMS_INTERVAL="3").sms_interval_s == 3 and settings_of().sms_interval_s == 10
    assert settings_of(CITYLOOP_SMS_INTERVAL="-1").sms_interval_s == 0
    environ = {"CITYLOOP_HOME": "/nonexistent", "CITYLOOP_SMS_INTERVAL": "3"}
    job = functions_for(Settings.from_environ(environ), Secrets("s" * 48, "p", "a", "b", "c"), environ).sms
    assert isinstance(job, SmsJobService) and job.interval_s == 3
