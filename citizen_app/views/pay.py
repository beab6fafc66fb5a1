"""Pay: bills (due, overdue, paid) with one-tap paying, payment history, linked accounts.

Everything it decides is in citizen_app/state/payments.py; this view draws the state and
forwards taps. Paying opens the provider's checkout page (ft.UrlLauncher); the result
comes back live and redraws the bill as paid.
"""

from __future__ import annotations

import flet as ft

from shared.localtime import local_text
from shared.single_flight import SingleFlight
from shared.payments import BillPublic, PaymentPublic, PaymentStatus, UtilityAccountPublic, UtilityKind, format_yuan

from ..state.app import AppState
from ..routes import Screen
from ..state.payments import PaymentsState, bill_state
from ..theme import BRAND, MUTED_TEXT, button, field, sizes, tabs, text
from .load_error import load_error

KIND_ICON = {UtilityKind.WATER: ft.Icons.WATER_DROP, UtilityKind.ELECTRICITY: ft.Icons.BOLT,
             UtilityKind.GAS: ft.Icons.LOCAL_FIRE_DEPARTMENT}
STATE_COLOUR = {"due": ft.Colors.BLUE_900, "overdue": ft.Colors.RED_900, "paid": ft.Colors.GREEN_900,
                "cancelled": MUTED_TEXT}
TABS = ("bills", "history", "accounts")


class PayView:
    def __init__(self, state: AppState, pay: PaymentsState) -> None:
        self.once = SingleFlight()  # one tap at a time: a double tap opens one checkout, links one account
        self.state, self.pay = state, pay
        pay.on_redraw = self.render
        t, elderly = state.t, state.elderly
        self.tab = "bills"
        self.tabs = tabs([(v, t(f"pay.tab_{v}")) for v in TABS], "bills", elderly=elderly, on_change=self.on_tab)
        # Short names here ("Power", not "Electricity"): three must fit one line on a phone.
        self.kind = tabs([(k.value, t(f"pay.kind_short_{k.value}")) for k in UtilityKind], UtilityKind.WATER.value,
                         elderly=elderly, icons={k.value: KIND_ICON[k] for k in UtilityKind})
        self.account_no = field(t("pay.account_no"), elderly)
        self.holder = field(t("pay.holder"), elderly)
        self.summary = ft.Container()
        self.body = ft.Column(spacing=12)
        self.root = ft.Column(spacing=12, controls=[self.summary, ft.Semantics(identifier="pay-tabs", content=self.tabs),
                                                    self.body])

    # ------------------------------------------------------------ drawing

    def render(self) -> None:
        t, elderly = self.state.t, self.state.elderly
        due = self.pay.amount_due()
        self.summary.content = text(t("pay.total_due", amount=format_yuan(due)), elderly, title=True,
                                    color=BRAND if due else MUTED_TEXT)
        if self.tab in ("bills", "history") and self.pay.failed:  # what is known stays below the notice
            rows = ([self.bill_card(b) for b in self.pay.shown_bills] if self.tab == "bills"
                    else [self.payment_row(p) for p in self.pay.payments])
            self.body.controls = [load_error(self.state, self.reload, identifier="pay-load-error"), *rows]
        elif self.tab == "bills":
            rows = [self.bill_card(b) for b in self.pay.shown_bills]
            self.body.controls = rows or [text(t("pay.no_bills"), elderly, muted=True)]
        elif self.tab == "history":
            rows = [self.payment_row(p) for p in self.pay.payments]
            self.body.controls = rows or [text(t("pay.no_history"), elderly, muted=True)]
        else:
            self.body.controls = [*(self.account_row(a) for a in self.pay.accounts), self.link_form()]

    def kind_name(self, kind: UtilityKind) -> str:
        return self.state.t(f"pay.kind_{kind.value}")

    def bill_card(self, bill: BillPublic) -> ft.Control:
        t, elderly = self.state.t, self.state.elderly
        which = bill_state(bill)
        account = self.pay.account_of(bill)
        lines: list[ft.Control] = [
            ft.Row([ft.Icon(KIND_ICON[bill.kind], color=BRAND, size=sizes(elderly).title),
                    text(f"{self.kind_name(bill.kind)} · {t('pay.period', period=bill.period)}", elderly,
                         weight=ft.FontWeight.BOLD, expand=True)]),
            text(f"{t('pay.account_no')} {bill.account_no}" + (f" · {account.address}" if account else ""), elderly,
                 small=True, muted=True),
            ft.Row([text(format_yuan(bill.amount_fen), elderly, title=True),
                    text(t(f"pay.state_{which}", date=bill.due_date.strftime("%m-%d")), elderly,
                         color=STATE_COLOUR[which], weight=ft.FontWeight.W_600)],
                   alignment=ft.MainAxisAlignment.SPACE_BETWEEN, wrap=True),
        ]
        if which in ("due", "overdue"):
            if self.pay.is_waiting(bill):
                lines.append(ft.Row([ft.ProgressRing(width=24, height=24), text(t("pay.waiting"), elderly, expand=True)]))
                lines.append(button(t("pay.check_again"), self.on_check_again, elderly=elderly, primary=False,
                                    identifier=f"check-{bill.account_no}"))
            else:
                lines.append(button(t("pay.pay_now", amount=format_yuan(bill.amount_fen)),
                                    lambda _e, b=bill: self.state.page.run_task(self.on_pay, b), elderly=elderly,
                                    icon=ft.Icons.PAYMENT, identifier=f"pay-{bill.account_no}", expand=True))
        border = ft.Colors.RED_800 if which == "overdue" else ft.Colors.GREY_400
        return ft.Semantics(identifier=f"bill-{bill.account_no}-{which}", content=ft.Container(
            padding=14, border=ft.Border.all(2, border), border_radius=12, content=ft.Column(lines, spacing=6)))

    def payment_row(self, payment: PaymentPublic) -> ft.Control:
        t, elderly = self.state.t, self.state.elderly
        bill = self.pay.bill_of(payment)
        title = f"{self.kind_name(bill.kind)} · {bill.period}" if bill else t("pay.title")
        when = local_text(payment.settled_at or payment.created_at, "%Y-%m-%d %H:%M")
        colour = ft.Colors.GREEN_900 if payment.status == PaymentStatus.SUCCEEDED else MUTED_TEXT
        lines: list[ft.Control] = [
            ft.Row([text(title, elderly, weight=ft.FontWeight.BOLD, expand=True),
                    text(format_yuan(payment.amount_fen), elderly, weight=ft.FontWeight.BOLD)]),
            text(f"{t(f'pay.status_{payment.status.value}')} · {when}", elderly, small=True, color=colour),
        ]
        if payment.status == PaymentStatus.SUCCEEDED:
            lines.append(button(t("pay.receipt"), lambda _e, p=payment: self.state.page.run_task(
                self.state.shell.go, f"/pay/receipt/{p.id}"), elderly=elderly, primary=False,
                icon=ft.Icons.RECEIPT_LONG, identifier=f"receipt-{payment.id}"))
        return ft.Container(padding=12, border=ft.Border.all(1, ft.Colors.GREY_400), border_radius=12,
                            content=ft.Column(lines, spacing=4))

    def account_row(self, account: UtilityAccountPublic) -> ft.Control:
        t, elderly = self.state.t, self.state.elderly
        return ft.Container(padding=12, border=ft.Border.all(1, ft.Colors.GREY_400), border_radius=12, content=ft.Row([
            ft.Icon(KIND_ICON[account.kind], color=BRAND),
            ft.Column([text(f"{self.kind_name(account.kind)} · {account.account_no}", elderly, weight=ft.FontWeight.BOLD),
                       text(account.address, elderly, small=True, muted=True)], spacing=2, expand=True),
            button(t("pay.unlink"), lambda _e, a=account: self.state.page.run_task(self.pay.unlink, a),
                   elderly=elderly, primary=False)]))

    def link_form(self) -> ft.Control:
        t, elderly = self.state.t, self.state.elderly
        return ft.Container(padding=12, bgcolor=ft.Colors.GREY_100, border_radius=12, content=ft.Column([
            text(t("pay.link"), elderly, title=True),
            text(t("pay.link_hint"), elderly, small=True, muted=True),
            ft.Semantics(identifier="link-kind", content=self.kind),
            self.account_no, self.holder,
            button(t("pay.link"), self.on_link, elderly=elderly, icon=ft.Icons.LINK, identifier="link-account",
                   expand=True)], spacing=10))

    # ------------------------------------------------------------ taps

    async def on_tab(self, _e=None) -> None:
        self.tab = (self.tabs.selected or ["bills"])[0]
        self.render()

    async def on_pay(self, bill: BillPublic) -> None:
        async def pay() -> None:
            await self.pay.pay(bill)
            self.render()

        await self.once.run(pay, ignored=None)

    async def on_check_again(self, _e=None) -> None:
        await self.pay.refresh_waiting()
        self.render()

    async def on_link(self, _e=None) -> None:
        await self.once.run(self._link, ignored=None)

    async def _link(self) -> None:
        kind = (self.kind.selected or [UtilityKind.WATER.value])[0]
        if await self.pay.link(kind, self.account_no.value or "", self.holder.value or ""):
            self.account_no.value, self.holder.value = "", ""
            self.tab = "bills"
            self.tabs.selected = ["bills"]
        self.render()

    async def load(self) -> None:
        await self.pay.load()
        if not self.pay.accounts and not self.pay.failed:  # nothing linked yet: start where the person can act
            self.tab = "accounts"
            self.tabs.selected = ["accounts"]
        self.render()

    async def reload(self) -> None:
        await self.load()
        self.state.shell.updated()

    def speak(self) -> str:
        t = self.state.t
        parts = [t("pay.total_due", amount=format_yuan(self.pay.amount_due()))]
        for bill in self.pay.shown_bills:
            which = bill_state(bill)
            parts.append(f"{self.kind_name(bill.kind)} {format_yuan(bill.amount_fen)} "
                         f"{t(f'pay.state_{which}', date=bill.due_date.strftime('%m-%d'))}")
        return "。".join(parts)


def _launcher(state: AppState):
    launcher = ft.UrlLauncher()  # a service: registers itself with the current page

    async def open_url(url: str) -> None:
        await launcher.launch_url(url)

    return open_url


def build(state: AppState, params: dict[str, str]) -> Screen:
    pay = PaymentsState(state, open_url=_launcher(state))
    view = PayView(state, pay)

    def dispose() -> None:
        pay.on_redraw = None
        if state.page is not None:
            state.page.run_task(pay.close)

    return Screen(content=view.root, title=state.t("pay.title"), show=view.load, hide=dispose, speak=view.speak)
