"""Paying a bill in Chromium on a phone (390x844) against the real stack and its sandbox provider.

Sign in; link a water account (number + holder's name); the bill shows as due; one tap opens
the sandbox checkout page in a new tab; pay there; the app shows the bill paid without a
reload; the receipt image opens and downloads; next month's bill appears; the elderly mode
draws the screen larger (targets measured).
"""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import expect

from tests.backend.payments_support import new_account

from .conftest import SCREENSHOTS
from .flutter import by_id, type_into
from .test_citizen_app import PHONE, WAIT

pytestmark = pytest.mark.timeout(300)


def test_link_pay_in_the_sandbox_and_see_it_paid(stack, service, serve_app, open_app, make_user, tmp_path) -> None:
    citizen = make_user(app_metadata={"role": "citizen"}, display_name="王女士")
    account = new_account(service, amount_fen=4630, holder_name="王丽")
    acct = account.account_no
    url = serve_app("citizen_app", SUPABASE_URL=stack.url, SUPABASE_ANON_KEY=stack.anon_key,
                    CITYLOOP_HOME=str(tmp_path / "app-data"))
    page = open_app(url, *PHONE, accept_downloads=True)
    page.set_default_timeout(WAIT)

    by_id(page, "account-submit").wait_for()
    type_into(page, "手机号或邮箱", citizen.email)
    type_into(page, "密码", citizen.password)
    by_id(page, "account-submit").click()
    by_id(page, "action-pay").click()

    # Nothing linked yet: the screen opens on the link form
    by_id(page, "link-account").wait_for()
    type_into(page, "户号", acct)
    type_into(page, "户主姓名", "王丽")
    page.screenshot(path=str(SCREENSHOTS / "citizen-pay-link.png"))
    by_id(page, "link-account").click()
    expect(by_id(page, f"bill-{acct}-due")).to_be_visible(timeout=WAIT)
    expect(by_id(page, f"bill-{acct}-due")).to_contain_text("¥46.30", timeout=WAIT)
    page.screenshot(path=str(SCREENSHOTS / "citizen-pay-bills.png"))

    # One tap: the sandbox checkout opens in a new tab; pay there
    with page.context.expect_page() as opened:
        by_id(page, f"pay-{acct}").click()
    checkout = opened.value
    checkout.wait_for_load_state()
    assert "/sandbox-pay/checkout/" in checkout.url
    expect(checkout.locator("#amount")).to_have_text("¥46.30", timeout=WAIT)
    checkout.screenshot(path=str(SCREENSHOTS / "citizen-pay-checkout.png"))
    checkout.locator("#pay").click()
    expect(checkout.locator("#result")).to_contain_text("支付成功", timeout=WAIT)
    checkout.close()

    # Back in the app: paid, live (no reload), with the in-app message
    expect(by_id(page, f"bill-{acct}-paid")).to_be_visible(timeout=WAIT)
    expect(by_id(page, "message")).to_contain_text("缴费成功", timeout=WAIT)
    page.screenshot(path=str(SCREENSHOTS / "citizen-pay-paid.png"))

    # History -> receipt image -> download
    page.get_by_role("button", name="缴费记录").first.click()
    page.locator('[flt-semantics-identifier^="receipt-"]').first.click()
    by_id(page, "receipt-image").wait_for()
    page.wait_for_timeout(500)  # the image decodes after its node appears
    page.screenshot(path=str(SCREENSHOTS / "citizen-pay-receipt.png"))
    with page.expect_download() as download:
        by_id(page, "save-receipt").click()
    assert download.value.suggested_filename.startswith("cityloop-receipt-R")
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    assert saved.read_bytes().startswith(b"\x89PNG")

    # Next month's bill arrives from the provider; the elderly mode shows it larger
    service.rpc("import_bills", {"rows": [{"provider": account.provider, "kind": "water", "account_no": acct,
                                           "holder_name": "王丽", "address": "测试路 1 号", "period": "2026-11",
                                           "amount_fen": 5120, "due_date": "2026-12-26"}]}).execute()
    page.go_back()  # receipt -> pay
    by_id(page, "pay-tabs").wait_for()
    page.go_back()  # pay -> home
    by_id(page, "elderly-switch").click()
    _until_taller(by_id(page, "action-pay"), 110)  # the home is redrawn in the elderly sizes (120 px actions)
    by_id(page, "action-pay").click()
    expect(by_id(page, f"bill-{acct}-paid")).to_be_visible(timeout=WAIT)
    page.get_by_role("button", name="户号").first.click()
    box = by_id(page, "link-account").bounding_box()
    assert box and box["height"] >= 60, box
    page.get_by_role("button", name="账单").first.click()
    expect(by_id(page, f"bill-{acct}-paid")).to_be_visible(timeout=WAIT)
    expect(by_id(page, f"bill-{acct}-due")).to_contain_text("¥51.20", timeout=WAIT)
    box = by_id(page, f"pay-{acct}").bounding_box()
    assert box and box["height"] >= 60 and box["width"] >= 60, box
    page.screenshot(path=str(SCREENSHOTS / "citizen-pay-elderly.png"))


def _until_taller(locator, height: float, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while True:
        box = locator.bounding_box()
        if box and box["height"] >= height:
            return
        assert time.monotonic() < deadline, f"never taller than {height}: {box}"
        time.sleep(0.2)
