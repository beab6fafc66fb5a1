"""Sign-in by SMS code in both apps, and the citizen app's phone sign-up, without a browser.

Against the real local stack; the codes are read from its SMS sink, as a person reads
their phone. The flow's rules (shared/code_flow.py) are also checked with a fake clock.
"""

from __future__ import annotations

import tomllib
import uuid

import flet as ft
import pytest

from citizen_app.views.account import AccountForm, CodeForm
from citizen_app.theme import ELDERLY
from grid_app.state.app import AppState as GridState
from grid_app.views.sign_in import SignInView
from shared import errors
from shared.app_core import RecordingNotifier
from shared.client import CityClient
from shared.code_flow import RESEND_WAIT_S, CodeFlow, CodePhase, CodePurpose
from shared.config import BackendConfig
from shared.models import UserPublic
from tests.apps.citizen_support import new_state
from tests.backend.gateway_support import ROOT, extra_gateway
from tests.backend.sms_support import latest_code, wrong_code


def fresh_mobile() -> str:
    return "+86139" + str(uuid.uuid4().int % 10**8).zfill(8)


def said(state) -> list[str]:
    return [text for text, _error in state.shell.messages]


def account_with_phone(service, role: str = "grid_worker") -> str:
    """An account with a confirmed phone (and a password nobody knows)."""
    phone = fresh_mobile()
    service.auth.admin.create_user({"phone": phone, "password": "pw-" + uuid.uuid4().hex, "phone_confirm": True,
                                    "app_metadata": {"role": role}})
    return phone


def test_the_resend_wait_mirrors_config_toml() -> None:
    with open(ROOT / "backend" / "supabase" / "config.toml", "rb") as fh:
        assert tomllib.load(fh)["auth"]["sms"]["max_frequency"] == f"{RESEND_WAIT_S}s"


class FakeBackend:
    def __init__(self, refuse: errors.CityError | None = None) -> None:
        self.refuse, self.calls = refuse, []

    async def send_sign_in_code(self, phone: str) -> None:
        self.calls.append(("send", phone))
        if self.refuse:
            raise self.refuse

    async def resend_code(self, phone: str) -> None:
        self.calls.append(("resend", phone))

    async def sign_in_with_code(self, phone: str, code: str) -> UserPublic:
        self.calls.append(("verify", phone, code))
        if self.refuse:
            raise self.refuse
        return UserPublic(id=uuid.uuid4(), phone=phone)


async def test_the_flow_counts_down_before_a_resend_and_names_each_problem() -> None:
    now = [100.0]
    flow, backend = CodeFlow(CodePurpose.SIGN_IN, clock=lambda: now[0]), FakeBackend()
    assert await flow.send(backend, "") == "code.need_phone"
    assert await flow.send(backend, "me@example.com") == "code.bad_phone"
    assert await flow.send(backend, "+86 139 0000 0000") is None and flow.phase is CodePhase.CODE_SENT
    assert flow.seconds_until_resend() == RESEND_WAIT_S
    assert await flow.send(backend) == "code.too_soon" and backend.calls == [("send", "+86 139 0000 0000")]
    now[0] += RESEND_WAIT_S
    assert await flow.send(backend) is None and backend.calls[-1][0] == "resend"
    assert await flow.verify(backend, "12a456") == "code.bad_code"
    for refusal, key in ((errors.CodeWrong(), "code.wrong"), (errors.CodeExpired(), "code.expired"),
                         (errors.CodeTooManyTries(), "code.too_many")):
        backend.refuse = refusal
        assert await flow.verify(backend, "123456") == key
    assert flow.seconds_until_resend() == 0  # an expired or spent code may be replaced at once
    backend.refuse = errors.ServerError()
    with pytest.raises(errors.ServerError):  # not the person's to fix: the app's general message
        await flow.verify(backend, "123456")
    backend.refuse = None
    assert await flow.verify(backend, "123 456") is None and flow.phase is CodePhase.SIGNED_IN


# --- citizen app ---------------------------------------------------------------------------------

async def test_a_phone_sign_up_asks_for_the_code_then_signs_in(stack, tmp_path, db) -> None:
    state, phone = new_state(stack.url, stack.anon_key, tmp_path), fresh_mobile()
    assert await state.sign_up(phone, "secret-pass-1", "李奶奶")
    assert state.user is None and state.code_flow is not None and state.code_flow.purpose is CodePurpose.SIGN_UP
    assert said(state)[-1] == state.t("code.sent")
    form = CodeForm(state)
    assert form.phone.value == phone and form.phone.read_only and form.resend.disabled
    form.code.value = wrong_code(latest_code(stack, phone))
    assert not await form.submit()
    assert said(state)[-1] == state.t("code.wrong") and state.user is None
    assert db.execute("select phone_confirmed_at from auth.users where phone = %s",
                      (phone.removeprefix("+"),)).fetchone()[0] is None
    form.code.value = latest_code(stack, phone)
    assert await form.submit()
    assert state.user is not None and state.code_flow is None and state.shell.routes[-1] == "/"
    assert db.execute("select phone_confirmed_at is not null from auth.users where phone = %s",
                      (phone.removeprefix("+"),)).fetchone()[0]
    await state.client.aclose()


async def test_forgot_password_sign_in_with_a_code(stack, tmp_path, service, db) -> None:
    phone = account_with_phone(service, role="citizen")
    state = new_state(stack.url, stack.anon_key, tmp_path)
    assert not await state.send_code("")
    assert said(state)[-1] == state.t("code.need_phone")
    assert not await state.send_code(fresh_mobile())  # no account: never creates one
    assert said(state)[-1] == state.t("code.no_account")
    state.code_flow = None
    assert await state.send_code(phone)
    assert not await state.send_code()  # the countdown runs
    assert said(state)[-1] == state.t("code.too_soon", n=state.code_flow.seconds_until_resend())
    db.execute("update auth.one_time_tokens set created_at = now() - interval '301 seconds' where relates_to = %s",
               (phone.removeprefix("+"),))
    assert not await state.verify_code(latest_code(stack, phone))
    assert said(state)[-1] == state.t("code.expired")
    assert await state.send_code()  # an expired code may be replaced at once
    for _ in range(4):
        assert not await state.verify_code(wrong_code(latest_code(stack, phone)))
    assert not await state.verify_code(wrong_code(latest_code(stack, phone)))
    assert said(state)[-1] == state.t("code.too_many")
    assert await state.send_code()
    assert await state.verify_code(latest_code(stack, phone))
    assert state.user is not None and state.user.phone == phone.removeprefix("+")
    await state.client.aclose()


def test_the_sign_in_screens_offer_the_code_in_both_languages_and_elderly_sizes(tmp_path) -> None:
    state = new_state("http://127.0.0.1:9", "anon", tmp_path)
    for locale in ("zh-CN", "en"):
        state.t.locale = locale
        form = AccountForm(state, sign_up=False)
        [link] = [c for c in form.root.controls if isinstance(c, ft.Semantics) and c.identifier == "account-code"]
        assert link.content.content == state.t("code.forgot")
        assert not [c for c in AccountForm(state, sign_up=True).root.controls
                    if isinstance(c, ft.Semantics) and c.identifier == "account-code" and c.visible]
    state.elderly, state.code_flow = True, None
    form = CodeForm(state)
    assert form.code.text_size == ELDERLY.body and form.phone.text_size == ELDERLY.body
    assert form.resend.content == state.t("code.send") and not form.resend.disabled


# --- grid app -------------------------------------------------------------------------------------

def new_grid(stack, tmp_path, client_ip: str | None = None, url: str | None = None) -> tuple[GridState, list]:
    messages: list = []

    class Page(RecordingNotifier):  # remembers the texts said
        def show_message(self, text: str, *, error: bool = False) -> None:
            messages.append(text)

    app = GridState(BackendConfig(url or stack.url, stack.anon_key, "environment"), folder=tmp_path,
                    client_ip=client_ip, notifier=Page())
    return app, messages


async def test_a_worker_signs_in_with_a_code_and_a_resident_is_still_refused(stack, tmp_path, service) -> None:
    worker_phone = account_with_phone(service)
    app, messages = new_grid(stack, tmp_path)
    view = SignInView(app, on_signed_in=_noop)
    view.toggle_code()
    assert view.code_panel.visible and not view.password.visible
    view.account.value = worker_phone
    assert await view.send_code()
    assert view.account.read_only and view.send.disabled
    view.code.value = wrong_code(latest_code(stack, worker_phone))
    assert not await view.submit_code() and view.error.value == app.t("code.wrong")
    view.code.value = latest_code(stack, worker_phone)
    assert await view.submit_code() and app.signed_in and app.code_flow is None
    await app.client.aclose()

    resident_phone = account_with_phone(service, role="citizen")
    app, messages = new_grid(stack, tmp_path)
    assert await app.send_code(resident_phone)
    assert not await app.sign_in_with_code(latest_code(stack, resident_phone))
    assert not app.signed_in and "市民端" in messages[-1]


async def _noop() -> None:
    return None


async def test_the_browsers_address_travels_as_x_forwarded_for(stack, tmp_path, make_user, db) -> None:
    person = make_user()
    with extra_gateway(stack, CITYLOOP_TRUSTED_PROXIES="127.0.0.1") as url:
        client = await CityClient.connect(url=url, key=stack.anon_key, client_ip="203.0.113.77")
        await client.auth.sign_in(person.email, person.password)
        ips = {str(r[0]) for r in db.execute("select ip from auth.sessions where user_id = %s", (person.id,))}
        assert "203.0.113.77" in ips
        assert client.supabase.options.headers["X-Forwarded-For"] == "203.0.113.77"
        assert client.supabase.postgrest.session.headers["X-Forwarded-For"] == "203.0.113.77"
        assert client.supabase.storage._client.headers["X-Forwarded-For"] == "203.0.113.77"
        await client.aclose()
