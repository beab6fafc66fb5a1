"""The local stack's SMS provider: texts go to the stack's SMS sink, where tests and people read them."""

from __future__ import annotations

import httpx

from .sms import SmsError

SINK_PATH = "/sink/sms/messages"


class LocalSinkSms:
    """POSTs `{"phone", "body", "sender"}` to `{url}/sink/sms/messages` with the service-role key."""

    def __init__(self, url: str, service_key: str, *, sender: str = "CityLoop", timeout_s: float = 10.0,
                 transport: httpx.AsyncBaseTransport | None = None):
        self.endpoint = url.rstrip("/") + SINK_PATH
        self.sender = sender
        self._headers = {"apikey": service_key, "Authorization": f"Bearer {service_key}"}
        self._timeout_s = timeout_s
        self._transport = transport

    async def send(self, phone: str, body: str) -> str:
        try:
            async with httpx.AsyncClient(timeout=self._timeout_s, transport=self._transport) as client:
                response = await client.post(self.endpoint, headers=self._headers,
                                             json={"phone": phone, "body": body, "sender": self.sender})
        except httpx.HTTPError as exc:
            raise SmsError(f"SMS sink unreachable: {type(exc).__name__}: {exc}") from exc
        if response.status_code >= 300:
            raise SmsError(f"SMS sink answered {response.status_code}: {response.text[:200]}")
        try:
            answer = response.json()
        except ValueError:
            answer = {}
        reference = answer.get("id") if isinstance(answer, dict) else None
        return str(reference) if reference is not None else ""
