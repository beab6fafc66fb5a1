"""One payment's receipt: the image (shared/receipts.py) on screen, and saved or shared as a PNG file."""

from __future__ import annotations

import logging

import flet as ft

from shared.payments import Receipt

from ..state.app import AppState
from ..routes import Screen
from ..state.payments import PaymentsState
from ..theme import button

log = logging.getLogger(__name__)


class ReceiptView:
    def __init__(self, state: AppState, payment_id: str) -> None:
        self.state, self.payment_id = state, payment_id
        self.receipt: Receipt | None = None
        self.png: bytes | None = None
        self.root = ft.Column(spacing=12, horizontal_alignment=ft.CrossAxisAlignment.STRETCH)

    async def load(self) -> None:
        self.receipt = await PaymentsState(self.state).receipt(self.payment_id)
        if self.receipt is None:
            return
        self.png = PaymentsState.receipt_png(self.receipt)
        t, elderly = self.state.t, self.state.elderly
        self.root.controls = [
            ft.Semantics(identifier="receipt-image", content=ft.Image(src=self.png, fit=ft.BoxFit.CONTAIN,
                                                                      border_radius=8)),
            button(t("pay.save_receipt"), self.on_save, elderly=elderly, icon=ft.Icons.DOWNLOAD,
                   identifier="save-receipt", expand=True),
        ]

    async def on_save(self, _e=None) -> None:
        """The browser downloads it (web); on a phone the system's save/share sheet opens."""
        if self.png is None or self.receipt is None:
            return
        from shared.receipts import receipt_file_name

        try:
            await ft.FilePicker().save_file(file_name=receipt_file_name(self.receipt), src_bytes=self.png,
                                            allowed_extensions=["png"], file_type=ft.FilePickerFileType.CUSTOM)
        except Exception as exc:  # noqa: BLE001 - a platform without a save dialog: say so plainly
            log.warning("receipt not saved: %r", exc)
            self.state.shell.show_message(self.state.t("app.coming"), error=True)
            return
        self.state.shell.show_message(self.state.t("pay.receipt_saved"))


def build(state: AppState, params: dict[str, str]) -> Screen:
    view = ReceiptView(state, params["id"])
    return Screen(content=view.root, title=state.t("pay.receipt_title"), show=view.load)
