"""The local SMS sink (backend/local_supabase/sms_sink/): its HTTP contract, persistence, isolation."""

from __future__ import annotations

import ast
import json
import uuid
from pathlib import Path

import httpx
import pytest

from backend.local_supabase import webhooks
from backend.local_supabase.config import load_secrets, Settings
from tests.backend.gateway_support import extra_gateway
from tests.conftest import StackInfo

SINK = Path(__file__).resolve().parents[2] / "backend" / "local_supabase" / "sms_sink"
APPLICATION = ("backend.jobs", "backend.payments", "backend.care", "backend.admin", "backend.notify",
               "citizen_app", "grid_app", "shared")


def fresh_mobile() -> str:
    return "+86139" + str(uuid.uuid4().int % 10**8).zfill(8)


def service_headers(stack: StackInfo) -> dict[str, str]:
    return {"apikey": stack.service_key, "Authorization": f"Bearer {stack.service_key}"}


def listed(stack: StackInfo, phone: str, url: str | None = None) -> list[dict]:
    answer = httpx.get(f"{url or stack.url}/sink/sms/messages", params={"phone": phone},
                       headers=service_headers(stack))
    assert answer.status_code == 200
    return answer.json()


def test_the_application_posts_and_reads_messages_with_the_service_key(stack: StackInfo) -> None:
    phone = fresh_mobile()
    for n in (1, 2):
        answer = httpx.post(f"{stack.url}/sink/sms/messages", headers=service_headers(stack),
                            json={"phone": phone, "body": f"账单提醒 {n}", "sender": "CityLoop 缴费"})
        assert answer.status_code == 201
    newest, oldest = listed(stack, phone)
    assert (newest["body"], oldest["body"]) == ("账单提醒 2", "账单提醒 1")
    assert set(newest) == {"id", "phone", "body", "sender", "created_at"} and newest["phone"] == phone
    # Any spelling of the number finds them.
    assert len(listed(stack, f"{phone[:3]} {phone[3:6]}-{phone[6:]}")) == 2


@pytest.mark.parametrize("key", ["anon", "none", "user"])
def test_without_the_service_key_nothing_is_read_or_written(stack: StackInfo, make_user, key: str) -> None:
    phone = fresh_mobile()
    headers = {"anon": {"apikey": stack.anon_key, "Authorization": f"Bearer {stack.anon_key}"}, "none": {},
               "user": {"apikey": stack.anon_key}}[key]
    if key == "user":
        headers["Authorization"] = f"Bearer {make_user().access_token}"
    posted = httpx.post(f"{stack.url}/sink/sms/messages", headers=headers, json={"phone": phone, "body": "x"})
    assert posted.status_code == 401 and posted.json()["code"] == "not_service_role"
    read = httpx.get(f"{stack.url}/sink/sms/messages", headers=headers)
    assert read.status_code == 401
    assert listed(stack, phone) == []


def test_bad_messages_are_refused_clearly(stack: StackInfo) -> None:
    phone = fresh_mobile()
    for body in ({"phone": phone}, {"phone": "abc", "body": "x"}, {"phone": phone, "body": "x" * 1001},
                 {"phone": phone, "body": "x", "sender": 5}, [1, 2]):
        answer = httpx.post(f"{stack.url}/sink/sms/messages", headers=service_headers(stack), json=body)
        assert answer.status_code == 400 and answer.json()["message"], body
    answer = httpx.post(f"{stack.url}/sink/sms/messages", headers=service_headers(stack), content=b"{not json")
    assert answer.status_code == 400
    assert listed(stack, phone) == []


def _hook(stack: StackInfo, payload: dict, secret: str, url: str | None = None) -> httpx.Response:
    body = json.dumps(payload).encode()
    return httpx.post(f"{url or stack.url}/sink/sms/hook", content=body,
                      headers={**webhooks.sign(secret, body), "Content-Type": "application/json"})


def test_the_hook_needs_the_stacks_webhook_signature(stack: StackInfo) -> None:
    secret = load_secrets(Settings.from_environ(), create=False).sms_hook_secret
    phone = fresh_mobile()
    payload = {"user": {"id": str(uuid.uuid4()), "phone": phone.removeprefix("+")}, "sms": {"otp": "424242"}}
    assert _hook(stack, payload, "v1,whsec_" + "QUJD" * 8).status_code == 401  # someone else's secret
    unsigned = httpx.post(f"{stack.url}/sink/sms/hook", json=payload)
    assert unsigned.status_code == 401 and unsigned.json()["error"]["message"]
    assert listed(stack, phone) == []
    assert _hook(stack, payload, secret).status_code == 200
    [message] = listed(stack, phone)
    assert "424242" in message["body"] and message["sender"]
    # A replayed old signature is refused.
    body = json.dumps(payload).encode()
    old = webhooks.sign(secret, body, now=1_000_000_000)
    assert httpx.post(f"{stack.url}/sink/sms/hook", content=body, headers=old).status_code == 401


def test_the_page_lists_messages_escaped_for_local_peers_only(stack: StackInfo) -> None:
    phone = fresh_mobile()
    httpx.post(f"{stack.url}/sink/sms/messages", headers=service_headers(stack),
               json={"phone": phone, "body": "<script>alert(1)</script> 验证码"})
    page = httpx.get(f"{stack.url}/sink/sms/", params={"phone": phone})
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "&lt;script&gt;" in page.text and "<script>" not in page.text
    with extra_gateway(stack, CITYLOOP_TRUSTED_PROXIES="127.0.0.1") as url:
        remote = httpx.get(f"{url}/sink/sms/", headers={"X-Forwarded-For": "203.0.113.9"})
        assert remote.status_code == 403
        # Messages live in the state folder: another gateway process (a restart) still has them.
        assert [m["phone"] for m in listed(stack, phone, url)] == [phone]


def test_the_sink_imports_nothing_from_the_application() -> None:
    for path in SINK.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) and node.level == 0 else []
            assert not [n for n in names if n.startswith(APPLICATION)], (path.name, names)
