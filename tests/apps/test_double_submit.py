"""A second submit while the first still runs is ignored: report, pay, link (sign-in and sign-up:
tests/apps/test_sign_in_recovers.py). Two taps reach the app server before the browser draws the
disabled button, so the view itself must refuse the second."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from citizen_app.state.payments import PaymentsState
from citizen_app.views.pay import PayView
from shared.ui.report_form import ReportForm
from shared.models import UserPublic
from shared.single_flight import SingleFlight
from tests.apps.citizen_support import new_state


@pytest.fixture()
def state(tmp_path):
    s = new_state("http://127.0.0.1:9", "anon", tmp_path)
    s.user = UserPublic(id=uuid.uuid4(), email="a@b.cn")
    return s


class SlowCall:
    """Counts its calls; each takes a moment, as a backend round trip does."""

    def __init__(self, result=None) -> None:
        self.calls = 0
        self.result = result

    async def __call__(self, *args, **kwargs):
        self.calls += 1
        await asyncio.sleep(0.05)
        return self.result


async def test_single_flight_ignores_a_second_run_and_is_free_again_after_a_failure() -> None:
    once = SingleFlight()
    slow = SlowCall("done")
    assert await asyncio.gather(once.run(slow, ignored="busy"), once.run(slow, ignored="busy")) == ["done", "busy"]

    async def broken():
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        await once.run(broken, ignored=None)
    assert await once.run(slow, ignored="busy") == "done" and slow.calls == 2


async def test_a_double_tapped_report_is_filed_once(state) -> None:
    form = ReportForm(state)
    form.flow.submit = SlowCall("invalid")
    await asyncio.gather(form.submit(), form.submit())
    assert form.flow.submit.calls == 1
    await form.submit()  # and the button works again afterwards
    assert form.flow.submit.calls == 2


async def test_a_double_tapped_pay_opens_one_checkout_and_one_link(state) -> None:
    pay = PaymentsState(state)
    view = PayView(state, pay)
    pay.pay, pay.link = SlowCall(), SlowCall(False)
    view.render = lambda: None
    bill = object()
    await asyncio.gather(view.on_pay(bill), view.on_pay(bill))
    assert pay.pay.calls == 1
    await asyncio.gather(view.on_link(), view.on_link())
    assert pay.link.calls == 1
