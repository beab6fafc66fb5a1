"""The receipt image: a PNG drawn with the shipped Chinese font, showing the money in yuan from integer fen."""

from __future__ import annotations

import io
import uuid
from datetime import date, datetime, timezone

from PIL import Image

from shared.payments import BillPublic, PaymentPublic, Receipt, format_yuan
from shared.receipts import HEIGHT, WIDTH, receipt_file_name, receipt_lines, render_receipt_png


def _receipt() -> Receipt:
    now = datetime(2026, 11, 21, 2, 30, tzinfo=timezone.utc)
    bill = BillPublic(id=uuid.uuid4(), provider="city_water", account_no="W10010101", kind="water", period="2026-10",
                      amount_fen=4630, due_date=date(2026, 11, 26), status="paid", paid_at=now)
    payment = PaymentPublic(id=uuid.uuid4(), bill_id=bill.id, payer_id=uuid.uuid4(), amount_fen=4630,
                            idempotency_key="k" * 16, provider="sandbox", provider_ref="sbx_1", status="succeeded",
                            receipt_no="R20261121-ABC", settled_at=now, created_at=now)
    return Receipt(payment=payment, bill=bill, address="和平路 12 号 3-502")


def test_money_is_formatted_from_integer_fen() -> None:
    assert [format_yuan(v) for v in (4630, 5, 100, 0, -250)] == ["¥46.30", "¥0.05", "¥1.00", "¥0.00", "-¥2.50"]


def test_the_receipt_lists_what_was_paid_in_china_time() -> None:
    lines = dict(receipt_lines(_receipt()))
    assert lines["缴费项目 Item"] == "水费 Water" and lines["户号 Account"] == "W10010101"
    assert lines["支付时间 Paid at"] == "2026-11-21 10:30" and lines["支付方式 Paid with"] == "沙箱支付 Sandbox"


def test_the_receipt_is_a_png_with_ink_on_it() -> None:
    receipt = _receipt()
    data = render_receipt_png(receipt)
    image = Image.open(io.BytesIO(data))
    assert image.format == "PNG" and image.size == (WIDTH, HEIGHT)
    dark = sum(1 for px in image.convert("L").getdata() if px < 100)
    assert dark > 2000  # the text was drawn (a missing font would have raised)
    assert receipt_file_name(receipt) == "cityloop-receipt-R20261121-ABC.png"
