"""A payment receipt as a PNG image (Pillow, the shipped Chinese font): viewable and shareable.

Flet-free, so the app shows and saves it and a test can check it without a UI.
"""

from __future__ import annotations

import io
from datetime import datetime

from PIL import Image, ImageDraw, ImageFont

from shared.fonts import ASSETS_DIR, FONT_ASSET
from shared.localtime import local_text
from shared.payments import Receipt, format_yuan

WIDTH, HEIGHT = 720, 1020
KIND = {"water": ("水费", "Water"), "electricity": ("电费", "Electricity"), "gas": ("燃气费", "Gas")}
PROVIDER = {"sandbox": ("沙箱支付", "Sandbox"), "wechat_pay": ("微信支付", "WeChat Pay"), "alipay": ("支付宝", "Alipay"),
            "unionpay": ("云闪付", "UnionPay")}


def _font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(ASSETS_DIR / FONT_ASSET), size)


def _when(moment: datetime | None) -> str:
    return local_text(moment, "%Y-%m-%d %H:%M") if moment else "-"


def receipt_lines(receipt: Receipt) -> list[tuple[str, str]]:
    """(label, value) rows of the receipt, Chinese label first with English."""
    p, b = receipt.payment, receipt.bill
    kind = KIND.get(b.kind.value, (b.kind.value, b.kind.value))
    provider = PROVIDER.get(p.provider or "", (p.provider or "-", p.provider or "-"))
    return [
        ("缴费项目 Item", f"{kind[0]} {kind[1]}"),
        ("账期 Period", b.period),
        ("户号 Account", b.account_no),
        ("地址 Address", receipt.address or "-"),
        ("支付方式 Paid with", f"{provider[0]} {provider[1]}"),
        ("支付时间 Paid at", _when(p.settled_at)),
        ("凭证号 Receipt no.", p.receipt_no or "-"),
        ("交易号 Transaction", p.provider_ref or "-"),
    ]


def render_receipt_png(receipt: Receipt) -> bytes:
    image = Image.new("RGB", (WIDTH, HEIGHT), "white")
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, WIDTH, 150), fill="#0b6e4f")
    draw.text((40, 34), "CityLoop 缴费凭证", font=_font(44), fill="white")
    draw.text((40, 96), "Payment receipt", font=_font(28), fill="#d8f3dc")
    draw.text((40, 190), "支付金额 Amount", font=_font(26), fill="#6c757d")
    draw.text((40, 226), format_yuan(receipt.payment.amount_fen), font=_font(72), fill="#1b1f24")
    draw.text((40, 318), "支付成功 · Paid", font=_font(30), fill="#0b6e4f")
    y = 390
    label_font, value_font = _font(24), _font(28)
    for label, value in receipt_lines(receipt):
        draw.text((40, y), label, font=label_font, fill="#6c757d")
        draw.text((40, y + 30), value[:40], font=value_font, fill="#1b1f24")
        y += 68
    draw.line((40, HEIGHT - 70, WIDTH - 40, HEIGHT - 70), fill="#dee2e6", width=2)
    draw.text((40, HEIGHT - 56), "本凭证由 CityLoop 生成 · Issued by CityLoop", font=_font(22), fill="#6c757d")
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def receipt_file_name(receipt: Receipt) -> str:
    return f"cityloop-receipt-{receipt.payment.receipt_no or receipt.payment.id}.png"
