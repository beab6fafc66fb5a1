"""What CityLoop needs from an SMS provider: one call that sends one text.

The database decides who gets a text and what it says (`public.sms_outbox`, filled by the SOS
triggers of migration 20261201000100); the job `backend/jobs/send_sms.py` hands each row to a
`SmsProvider`. Two adapters:

- `LocalSinkSms` (local stack): POSTs to the stack's SMS sink, `POST {SUPABASE_URL}/sink/sms/messages`.
- production, in mainland China, an approved-template provider (Aliyun SMS `SendSms`, Tencent Cloud
  SMS `SendSms`): texts go out only from a registered signature (签名, e.g. 【城市网格】) and an
  approved template whose variables carry the name. Write the adapter next to `local_sink.py`: map
  each `sms_outbox.kind` (sos_raised, sos_acknowledged, sos_resolved, sos_cancelled) to the template
  code, keep the access key in the scheduler's secret store (never in the repository), and return
  the provider's message id (Aliyun `BizId`, Tencent `SerialNo`) as the reference.
"""

from __future__ import annotations

from typing import Protocol


class SmsError(Exception):
    """The provider did not take the text (refused, unreachable); the job retries it later."""


class SmsProvider(Protocol):
    """One SMS provider."""

    async def send(self, phone: str, body: str) -> str:
        """Send one text to `phone` (E.164, e.g. +8613800000000); the provider's reference, or SmsError."""
