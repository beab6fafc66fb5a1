"""Reading codes the local stack sent, from its SMS sink (`GET /sink/sms/messages`)."""

from __future__ import annotations

import re

import httpx

from tests.conftest import StackInfo

_CODE = re.compile(r"\b(\d{6})\b")


def messages(stack: StackInfo, phone: str | None = None, url: str | None = None) -> list[dict]:
    params = {"phone": phone} if phone else {}
    answer = httpx.get(f"{url or stack.url}/sink/sms/messages", params=params,
                       headers={"apikey": stack.service_key, "Authorization": f"Bearer {stack.service_key}"})
    answer.raise_for_status()
    return answer.json()


def latest_code(stack: StackInfo, phone: str, url: str | None = None) -> str:
    found = messages(stack, phone, url)
    assert found, f"no SMS for {phone}"
    match = _CODE.search(found[0]["body"])
    assert match, found[0]["body"]
    return match.group(1)


def wrong_code(code: str) -> str:
    return f"{(int(code) + 1) % 10**6:06d}"
