"""Sign-in never goes dead: after every failure (wrong password, a resident in the grid app, no network)
the button is usable again with the reason in plain words, and a double press runs one sign-in.

The grid view is driven with a page that records what each `update()` would send to the browser:
Flet skips its own redraw after a handler that called `page.update()`, so the state the browser
last received is what counts, not the control's value in memory.
"""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

from citizen_app.views.account import AccountForm
from grid_app.state.app import AppState as GridState
from grid_app.views.sign_in import SignInView
from shared.config import BackendConfig
from tests.apps.citizen_support import new_state
from tests.conftest import free_port


class RecordingPage:
    """What the browser last received from the sign-in view, one snapshot per update()."""

    def __init__(self, view: SignInView) -> None:
        self.view = view
        self.sent: list[dict] = []

    def update(self) -> None:
        v = self.view
        self.sent.append({"button_disabled": bool(v.button.disabled), "progress": bool(v.progress.visible),
                          "error": v.error.value})

    @property
    def last(self) -> dict:
        return self.sent[-1]


def grid_view(url: str, key: str, tmp_path, locale: str = "zh-CN") -> tuple[SignInView, RecordingPage, list]:
    app = GridState(BackendConfig(url, key, "environment"), folder=tmp_path, locale=locale)
    signed_in: list = []

    async def on_signed_in() -> None:
        signed_in.append(app.user)

    view = SignInView(app, on_signed_in=on_signed_in)
    return view, RecordingPage(view), signed_in


async def press(view: SignInView, page: RecordingPage, account: str, password: str) -> bool:
    view.account.value, view.password.value = account, password
    return await view.submit(SimpleNamespace(page=page))


def closed_port_url() -> str:
    return f"http://127.0.0.1:{free_port()}"  # nothing listens there: connection refused


async def test_grid_wrong_password_then_right_one_without_reload(stack, tmp_path, make_user) -> None:
    worker = make_user(app_metadata={"role": "grid_worker"})
    view, page, signed_in = grid_view(stack.url, stack.anon_key, tmp_path)
    assert not await press(view, page, worker.email, "wrong-password")
    assert page.sent[0]["button_disabled"] and page.sent[0]["progress"]  # busy while it runs
    assert page.last == {"button_disabled": False, "progress": False, "error": "账号或密码不正确"}
    assert await press(view, page, worker.email, worker.password)
    assert signed_in and str(signed_in[0].id) == str(worker.id)
    await view.app.client.aclose()


async def test_grid_a_resident_is_told_to_use_the_citizen_app_and_can_try_again(stack, tmp_path, make_user) -> None:
    resident = make_user(app_metadata={"role": "citizen"})
    worker = make_user(app_metadata={"role": "grid_worker"})
    view, page, signed_in = grid_view(stack.url, stack.anon_key, tmp_path, locale="en")
    assert not await press(view, page, resident.email, resident.password)
    assert page.last["error"] == "This is a resident account: please use the citizen app. The grid app is for staff only."
    assert not page.last["button_disabled"] and not page.last["progress"] and not signed_in
    assert await press(view, page, worker.email, worker.password) and signed_in
    await view.app.client.aclose()


async def test_grid_no_network_says_so_and_the_button_comes_back(stack, tmp_path) -> None:
    view, page, signed_in = grid_view(closed_port_url(), stack.anon_key, tmp_path)
    assert not await press(view, page, "worker@example.org", "any-password")
    assert not page.last["button_disabled"] and not page.last["progress"] and not signed_in
    assert "网络" in page.last["error"], page.last


async def test_grid_an_unexpected_failure_still_gives_the_button_back(stack, tmp_path) -> None:
    view, page, _ = grid_view(stack.url, stack.anon_key, tmp_path)

    async def broken(identifier: str, password: str):
        raise RuntimeError("a bug")

    view.app.sign_in = broken
    assert not await press(view, page, "a@example.org", "pw")
    assert page.last == {"button_disabled": False, "progress": False, "error": "登录没有成功，请重试"}


async def test_grid_a_double_press_signs_in_once(stack, tmp_path, make_user) -> None:
    worker = make_user(app_metadata={"role": "grid_worker"})
    view, page, signed_in = grid_view(stack.url, stack.anon_key, tmp_path)
    calls: list[str] = []
    real = view.app.sign_in

    async def counted(identifier: str, password: str):
        calls.append(identifier)
        return await real(identifier, password)

    view.app.sign_in = counted
    view.account.value, view.password.value = worker.email, worker.password
    event = SimpleNamespace(page=page)
    first, second = await asyncio.gather(view.submit(event), view.submit(event))
    assert (first, second) == (True, False) and calls == [worker.email] and len(signed_in) == 1
    await view.app.client.aclose()


# --- citizen app ----------------------------------------------------------------------------------


async def test_citizen_a_double_clicked_sign_up_runs_once_and_leaves_no_error(stack, tmp_path) -> None:
    state = new_state(stack.url, stack.anon_key, tmp_path)
    form = AccountForm(state, sign_up=True)
    email = f"double-{free_port()}@example.org"
    form.identifier.value, form.password.value, form.name.value = email, "secret-123", "双击"
    first, second = await asyncio.gather(form.submit(), form.submit())
    assert (first, second) == (True, False)
    assert state.shell.routes == ["/"] and not [m for m in state.shell.messages if m[1]], state.shell.messages
    await state.close()


async def test_citizen_sign_in_failures_each_leave_the_button_usable(stack, tmp_path, make_user) -> None:
    person = make_user(app_metadata={"role": "citizen"})
    for url, password, words in ((stack.url, "wrong-password", "账号或密码不正确"),
                                 (closed_port_url(), person.password, "网络")):
        state = new_state(url, stack.anon_key, tmp_path)
        form = AccountForm(state, sign_up=False)
        form.identifier.value, form.password.value = person.email, password
        assert not await form.submit()
        assert not form.submit_button.disabled and words in state.shell.messages[-1][0], state.shell.messages
        await state.close()
    state = new_state(stack.url, stack.anon_key, tmp_path)
    form = AccountForm(state, sign_up=False)
    form.identifier.value, form.password.value = person.email, person.password
    assert await form.submit() and state.shell.routes == ["/"]
    await state.close()


async def test_citizen_an_unexpected_failure_still_gives_the_button_back(tmp_path) -> None:
    state = new_state("http://127.0.0.1:9", "anon", tmp_path)
    form = AccountForm(state, sign_up=False)

    calls: list[str] = []

    async def broken(identifier: str, password: str) -> bool:
        calls.append(identifier)
        raise RuntimeError("a bug")

    state.sign_in = broken
    form.identifier.value, form.password.value = "a@example.org", "pw"
    assert not await form.submit()
    assert not form.submit_button.disabled and state.shell.messages[-1][1] and state.shell.messages[-1][0]
    assert not await form.submit() and len(calls) == 2  # pressable again, not ignored as a double press
