"""The report form's photo step in Chromium on a phone (390x844): a 12 MP photo and a PDF.

The PDF is refused at once, named, in the person's language, and the description already
typed stays. The 12 MP photo shows its upload progress (a ring with a percent) and then its
thumbnail. The upload is held back by the test until the ring has been looked at (Chromium's network
emulation does not slow a file sent from disk by the page's picker); how fast it is is
bench/app_report_e2e.py's job.
Runs in Chinese at normal size and in English in the elderly mode, with screenshots of both.
"""

from __future__ import annotations

import io
import re

import pytest
from PIL import Image
from playwright.sync_api import expect

from tests.backend.core_support import GRID_POINTS, ensure_demo_city

from .flutter import by_id, type_into
from .test_citizen_app import PHONE, WAIT, snap

POINT = GRID_POINTS[2]


def twelve_megapixels() -> bytes:
    """4000x3000 with grain and a gradient: compresses like a photo (~4 MB), unlike a flat colour."""
    size = (4000, 3000)
    grain = Image.effect_noise((1000, 750), 60).resize(size, Image.Resampling.BICUBIC)
    image = Image.merge("RGB", (grain, Image.linear_gradient("L").resize(size), Image.effect_noise(size, 20)))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90)
    return out.getvalue()


CASES = {  # locale, elderly mode, the description field's label, the refusal, the processing word
    "zh": ("zh-CN", False, "问题描述", "「账单.pdf」不是照片，请选择 JPG、PNG 或 HEIC 图片"),
    "en-elderly": ("en", True, "What is the problem?", "“账单.pdf” is not a photo. Please choose a JPG, PNG or HEIC image."),
}


def open_report_form(db, make_user, serve_app, open_app, stack, tmp_path, name: str, locale: str, elderly: bool):
    """A new resident in `locale` (elderly mode or not), signed in on a phone, on the report form."""
    ensure_demo_city(db)
    citizen = make_user(app_metadata={"role": "citizen"}, display_name=name)
    db.execute("update public.profiles set locale = %s, elderly_mode = %s where id = %s",
               (locale, elderly, citizen.id))
    url = serve_app("citizen_app", SUPABASE_URL=stack.url, SUPABASE_ANON_KEY=stack.anon_key,
                    CITYLOOP_HOME=str(tmp_path / "app-data"))
    page = open_app(url, *PHONE, geolocation={"latitude": POINT[0], "longitude": POINT[1]},
                    permissions=["geolocation"])
    page.set_default_timeout(WAIT)
    by_id(page, "account-submit").wait_for()
    type_into(page, "手机号或邮箱", citizen.email)
    type_into(page, "密码", citizen.password)
    by_id(page, "account-submit").click()
    by_id(page, "action-report").click()
    by_id(page, "add-photo").wait_for()
    return page


@pytest.mark.parametrize("case", list(CASES))
def test_a_pdf_is_refused_by_name_and_a_12_mp_photo_shows_progress_then_its_thumbnail(
        case, stack, db, serve_app, open_app, make_user, tmp_path) -> None:
    locale, elderly, description_label, refusal = CASES[case]
    page = open_report_form(db, make_user, serve_app, open_app, stack, tmp_path, "林先生", locale, elderly)
    type_into(page, description_label, "路灯不亮")

    pdf = tmp_path / "账单.pdf"
    pdf.write_bytes(b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n")
    with page.expect_file_chooser() as chooser:
        by_id(page, "add-photo").click()
    chooser.value.set_files(str(pdf))
    expect(by_id(page, "photo-refusal")).to_contain_text(refusal)
    expect(page.locator('[flt-semantics-identifier^="photo-0"]')).to_have_count(0)
    field = page.locator(f'textarea[aria-label="{description_label}"], input[aria-label="{description_label}"]')
    expect(field.first).to_have_value("路灯不亮")  # nothing else lost
    snap(page, f"citizen-photo-refused-{case}.png")

    photo = tmp_path / "IMG_4032.JPG"
    photo.write_bytes(twelve_megapixels())
    held = []  # the PUT, held back until the ring has been looked at (the photo's bytes wait in the browser)
    page.route("**/photo-upload/*", lambda route: held.append(route))
    with page.expect_file_chooser() as chooser:
        by_id(page, "add-photo").click()
    chooser.value.set_files(str(photo))
    uploading = by_id(page, "photo-0-uploading")
    expect(uploading).to_be_visible()
    # Flutter reads the ring out as a progress bar: its value, and the percent in its label.
    expect(uploading).to_have_attribute("role", "progressbar")
    expect(uploading).to_have_attribute("aria-label", re.compile(r"\d+%"))
    snap(page, f"citizen-photo-uploading-{case}.png")
    for _ in range(100):  # the route's handler runs while Playwright waits
        if held:
            break
        page.wait_for_timeout(100)
    assert len(held) == 1
    held[0].fallback()  # on to the context's own route (loopback only)
    expect(by_id(page, "photo-0-ready")).to_be_visible()
    expect(by_id(page, "photo-refusal")).to_have_count(0)  # the refusal was about the last choice
    expect(field.first).to_have_value("路灯不亮")
    snap(page, f"citizen-photo-ready-{case}.png")
    page.goto("about:blank")


def test_the_pages_own_picker_sends_a_12_mp_photo_from_disk_and_names_a_renamed_non_image(
        stack, db, serve_app, open_app, make_user, tmp_path) -> None:
    """The chooser is the page's native input (assets/web/photo-picker.js), not Flet's picker: the file
    goes from disk to its upload URL. A text file named .jpg passes the name check, is sent, and is
    refused by the server's decode, named, in Chinese; the 12 MP photo's thumbnail follows."""
    page = open_report_form(db, make_user, serve_app, open_app, stack, tmp_path, "周女士", "zh-CN", False)
    assert page.evaluate("JSON.parse(localStorage.getItem('flutter.cityloop.photo_picker'))") == "1"

    fake = tmp_path / "扫描件.jpg"
    fake.write_bytes(b"not a photo at all\n" * 100)
    with page.expect_file_chooser() as chooser:
        by_id(page, "add-photo").click()
    assert chooser.value.element.get_attribute("id") == "cityloop-photo-input"
    assert chooser.value.is_multiple()
    chooser.value.set_files(str(fake))
    expect(by_id(page, "photo-refusal")).to_contain_text("「扫描件.jpg」不是照片")
    expect(page.locator('[flt-semantics-identifier^="photo-0"]')).to_have_count(0)

    photo = tmp_path / "IMG_5120.JPG"
    photo.write_bytes(twelve_megapixels())
    with page.expect_file_chooser() as chooser:
        by_id(page, "add-photo").click()
    assert chooser.value.element.get_attribute("id") == "cityloop-photo-input"
    chooser.value.set_files(str(photo))
    expect(page.locator('[flt-semantics-identifier="photo-0-preview"], '
                        '[flt-semantics-identifier="photo-0-ready"]').first).to_be_visible()
    expect(by_id(page, "photo-0-ready")).to_be_visible()
    expect(by_id(page, "photo-refusal")).to_have_count(0)
    assert page.locator("#cityloop-photo-input").count() == 0  # the input goes once it has answered
    snap(page, "citizen-photo-page-picker-zh.png")
    page.goto("about:blank")
