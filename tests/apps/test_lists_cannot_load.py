"""With the backend out of reach, a list says "暂时无法加载，请检查网络后重试" with a retry, never
"暂无上报" / "没有符合条件的任务"; a retry once the backend is back shows the real list."""

from __future__ import annotations

import uuid
from types import SimpleNamespace

from citizen_app.state.payments import PaymentsState
from citizen_app.views.cases import CasesView
from citizen_app.views.home import HomeView
from citizen_app.views.notifications import NotificationsView
from citizen_app.views.pay import PayView
from grid_app.state.app import AppState as GridState
from grid_app.state.inbox import InboxState
from grid_app.views.inbox import InboxScreen
from shared.client import CityClient
from shared.config import BackendConfig
from shared.models import UserPublic
from tests.apps.citizen_support import new_state
from tests.apps.test_citizen_views import texts
from tests.conftest import free_port

CANNOT_LOAD = "暂时无法加载，请检查网络后重试"


def unreachable_state(tmp_path):
    state = new_state(f"http://127.0.0.1:{free_port()}", "anon", tmp_path)  # nothing listens: refused
    state.user = UserPublic(id=uuid.uuid4(), email="a@b.cn")
    return state


async def test_my_cases_home_and_messages_say_they_could_not_load(tmp_path) -> None:
    state = unreachable_state(tmp_path)
    cases = CasesView(state)
    await cases.load()
    shown = texts(cases.root)
    assert CANNOT_LOAD in shown and "暂无上报" not in shown and "重试" in shown, shown
    home = HomeView(state)
    await home.load()
    assert CANNOT_LOAD in texts(home.root) and "暂无上报" not in texts(home.root)
    notices = NotificationsView(state)
    await notices.load()
    assert CANNOT_LOAD in texts(notices.root) and "暂无消息" not in texts(notices.root)
    pay = PaymentsState(state)
    bills = PayView(state, pay)
    await bills.load()
    assert bills.tab == "bills" and CANNOT_LOAD in texts(bills.root) and not any("暂无账单" in x for x in texts(bills.root))
    await pay.close()
    assert not [m for m in state.shell.messages if m[1]]  # the list says it; no second banner
    await state.close()


async def test_my_cases_retry_shows_the_real_empty_list_once_the_backend_answers(stack, tmp_path, make_user) -> None:
    person = make_user(app_metadata={"role": "citizen"})
    state = new_state(stack.url, stack.anon_key, tmp_path)
    assert await state.sign_in(person.email, person.password)
    cases = CasesView(state)
    good = state.client
    state.client = await CityClient.connect(url=f"http://127.0.0.1:{free_port()}", key=stack.anon_key)
    await cases.load()
    assert CANNOT_LOAD in texts(cases.root)
    await state.client.aclose()
    state.client = good  # the network is back: the retry button's handler
    await cases.load()
    assert CANNOT_LOAD not in texts(cases.root) and "暂无上报" in texts(cases.root)
    await state.close()


async def test_the_grid_inbox_says_it_could_not_load(tmp_path) -> None:
    app = GridState(BackendConfig(f"http://127.0.0.1:{free_port()}", "anon", "environment"), folder=tmp_path)
    app.client = await CityClient.connect(app.config)
    app.user = UserPublic(id=uuid.uuid4(), email="w@b.cn")
    inbox = InboxState(app)
    screen = InboxScreen(app, inbox, SimpleNamespace(width=1280))
    await screen.show()
    shown = texts(screen.list)
    assert CANNOT_LOAD in shown and "没有符合条件的任务" not in shown and "重试" in shown, shown
    await app.client.aclose()
