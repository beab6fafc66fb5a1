"""The report form's photo step without a browser (shared/photo_tray.py, through ReportFlow).

Chosen -> refused at once by name, or uploading (percent) -> processing -> ready with a small
thumbnail; the draft holds the prepared photo; refusals name the file in zh and en; nothing
else in the form changes; temporary files are gone after use.
"""

from __future__ import annotations

import asyncio
import io
import os

import pytest
from PIL import Image

from shared.report_flow import ReportFlow
from shared.media import MAX_BYTES, PreparedPhoto
from shared.photo_uploads import OwnerUploads, PhotoUploads, UploadRefused
from shared.reporting import MAX_PHOTOS, message

from .citizen_support import jpeg, new_state


@pytest.fixture()
def uploads(tmp_path):
    box = PhotoUploads(tmp_path / "uploads", max_bytes=MAX_BYTES)
    yield box
    box.close()


@pytest.fixture()
def flow(tmp_path, uploads):
    state = new_state("http://127.0.0.1:9", "anon", tmp_path)
    state.photo_uploads = OwnerUploads(uploads)
    return ReportFlow(state)


async def arrive(uploads: PhotoUploads, slot, data: bytes) -> None:
    """What the browser's PUT does (shared/web_serve.py calls the same method)."""
    async def body():
        for i in range(0, len(data), 65536):
            yield data[i:i + 65536]

    await uploads.receive(slot.token, body(), declared=len(data))


def grainy_jpeg() -> bytes:
    """A 12 MP JPEG of about 1.5 MB: enough bytes for several progress steps."""
    out = io.BytesIO()
    grain = Image.effect_noise((800, 600), 60).resize((4000, 3000))
    Image.merge("RGB", (grain, grain, grain)).save(out, "JPEG", quality=90)
    return out.getvalue()


def leftovers(uploads: PhotoUploads) -> list[str]:
    return os.listdir(uploads.folder)


async def test_a_big_photo_goes_uploading_processing_ready_with_a_small_thumbnail(flow, uploads) -> None:
    tray = flow.photos
    data = grainy_jpeg()
    received, moved = [], []
    [slot] = tray.choose([("IMG_0001.JPG", len(data))], on_received=received.append,
                         on_progress=lambda s: moved.append(s.percent))
    assert slot.stage == "uploading" and slot.percent == 0 and slot.upload_url.startswith("/photo-upload/")
    tray.progress(slot, 0.0)
    tray.progress(slot, 0.94)  # Flet's web client counts what it read, not what was sent: not shown
    assert slot.stage == "uploading" and slot.percent == 0
    assert flow.draft.problems(flow.taxonomy)[0] == "photos_pending"

    await arrive(uploads, slot, data)
    # The percent is what the server received, in steps, below 100 until the whole file is in.
    assert len(moved) >= 3 and moved == sorted(moved) and 0 < moved[0] and moved[-1] < 100
    assert received == [slot] and slot.stage == "processing"  # the server knew first
    assert await tray.finish(slot)
    assert slot.stage == "ready" and isinstance(slot.photo, PreparedPhoto)
    assert max(Image.open(io.BytesIO(slot.photo.thumbnail)).size) == 320  # what the page shows
    assert flow.draft.photos == [slot.photo] and flow.draft.photos_pending == 0
    assert "photos_pending" not in flow.draft.problems(flow.taxonomy)
    assert leftovers(uploads) == [] and uploads.pending() == 0
    tray.progress(slot, 1.0)  # the browser's own "done", a round trip later, changes nothing
    assert slot.stage == "ready" and not await tray.finish(slot)


async def test_a_pdf_is_refused_at_once_by_name_in_both_languages_and_nothing_else_changes(flow, uploads) -> None:
    flow.describe("路灯不亮")
    flow.set_location(39.125, 117.19375)
    category = flow.draft.category_code
    flow.add_photo(jpeg())
    before = list(flow.draft.photos)
    slots = flow.photos.choose([("账单.pdf", 80_000), ("IMG_2.jpg", 90_000)])
    assert slots[0] is None and slots[1] is not None
    assert flow.photos.messages("zh-CN") == ["「账单.pdf」不是照片，请选择 JPG、PNG 或 HEIC 图片"]
    assert flow.photos.messages("en") == ["“账单.pdf” is not a photo. Please choose a JPG, PNG or HEIC image."]
    assert uploads.pending() == 1  # no upload URL was made for the PDF
    assert flow.draft.photos == before and flow.draft.description == "路灯不亮"
    assert flow.draft.category_code == category and flow.draft.lat == 39.125


async def test_a_renamed_non_image_is_refused_after_upload_named_and_its_file_removed(flow, uploads) -> None:
    [slot] = flow.photos.choose([("scan.jpg", 20)])
    await arrive(uploads, slot, b"%PDF-1.7 not a photo")
    assert not await flow.photos.finish(slot)
    assert flow.photos.slots == [] and flow.draft.photos == [] and flow.draft.photos_pending == 0
    assert flow.photos.messages("zh") == ["「scan.jpg」不是照片，请选择 JPG、PNG 或 HEIC 图片"]
    assert leftovers(uploads) == []
    assert "photos_pending" not in flow.draft.problems(flow.taxonomy)  # nothing left to wait for


async def test_too_large_and_too_many_are_refused_by_name_before_any_upload(flow, uploads) -> None:
    slots = flow.photos.choose([("big.jpg", MAX_BYTES + 1)])
    assert slots == [None] and uploads.pending() == 0
    assert "「big.jpg」" in flow.photos.messages("zh")[0] and "20 MB" in flow.photos.messages("en")[0]

    slots = flow.photos.choose([(f"p{i}.png", 1000) for i in range(MAX_PHOTOS + 1)])
    assert [s is not None for s in slots] == [True] * MAX_PHOTOS + [False]
    assert flow.photos.messages("zh") == [f"「p{MAX_PHOTOS}.png」未添加：最多 {MAX_PHOTOS} 张照片"]
    assert flow.photos.room == 0


async def test_a_failed_or_removed_upload_leaves_no_token_and_no_file(flow, uploads) -> None:
    first, second = flow.photos.choose([("a.jpg", 1000), ("b.jpg", 1000)])
    flow.photos.progress(first, 0.3)
    flow.photos.progress(first, None, error="HTTP 413")
    assert first not in flow.photos.slots
    assert flow.photos.messages("en") == ["“a.jpg” could not be uploaded. Please choose it again."]
    await arrive(uploads, second, jpeg())
    flow.remove_photo(0)  # removed while processing: its file goes now
    assert flow.photos.slots == [] and uploads.pending() == 0 and leftovers(uploads) == []
    assert not await flow.photos.finish(second)


async def test_a_heic_photo_is_read(flow, uploads) -> None:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (10, 120, 200)).save(out, "HEIF", quality=50)
    [slot] = flow.photos.choose([("IMG_7.HEIC", len(out.getvalue()))])
    await arrive(uploads, slot, out.getvalue())
    assert await flow.photos.finish(slot)
    assert slot.photo.source_format == "HEIF" and slot.photo.data[:2] == b"\xff\xd8"


def test_the_pending_message_is_plain_in_both_languages() -> None:
    assert message("photos_pending") == "照片还在上传，请稍候再提交"
    assert message("photos_pending", "en").startswith("A photo is still uploading")


def _texts(control) -> list[str]:
    found = []

    def walk(c) -> None:
        if getattr(c, "value", None) and isinstance(c.value, str):
            found.append(c.value)
        for name in ("content", "controls"):
            child = getattr(c, name, None)
            for item in (child if isinstance(child, list) else [child] if child is not None else []):
                walk(item)

    walk(control)
    return found


@pytest.mark.parametrize("elderly", [False, True])
async def test_the_form_shows_percent_then_processing_then_the_thumbnail_and_names_refusals(
        tmp_path, uploads, elderly) -> None:
    from shared.ui.report_form import ReportForm

    state = new_state("http://127.0.0.1:9", "anon", tmp_path)
    state.photo_uploads, state.elderly = OwnerUploads(uploads), elderly
    form = ReportForm(state)
    slot, refused = form.flow.photos.choose([("IMG_1.jpg", 5000), ("notes.txt", 10)])
    slot.progress = 0.37  # as the server's count sets it
    form.show_photos()
    [tile] = form.photos.controls
    assert tile.identifier == "photo-0-uploading" and "37%" in _texts(tile)
    assert [n.identifier for n in form.photo_notes.controls] == ["photo-refusal"]
    assert "「notes.txt」不是照片，请选择 JPG、PNG 或 HEIC 图片" in _texts(form.photo_notes)
    await arrive(uploads, slot, jpeg())
    form.show_photos()
    assert form.photos.controls[0].identifier == "photo-0-processing" and "处理中" in _texts(form.photos)
    await form.flow.photos.finish(slot)
    form.show_photos()
    tile = form.photos.controls[0]
    assert tile.identifier == "photo-0-ready"
    image = tile.content.controls[0]
    assert image.src == slot.photo.thumbnail and image.width == (128 if elderly else 96)


async def test_the_thumbnail_shows_before_the_full_photo_is_prepared(tmp_path, uploads) -> None:
    """A 12 MP photo's face comes from a 1/8-scale decode; its full preparation follows. The form draws
    the thumbnail as soon as it exists (photo-0-preview), and a submit tapped meanwhile waits for it."""
    import asyncio
    import threading

    from shared.ui.report_form import ReportForm
    from shared.media import prepare_photo

    state = new_state("http://127.0.0.1:9", "anon", tmp_path)
    state.photo_uploads = OwnerUploads(uploads)
    form = ReportForm(state)
    go_on = threading.Event()

    def slow_prepare(data: bytes) -> PreparedPhoto:
        go_on.wait(10)  # the full preparation, held until the thumbnail has been looked at
        return prepare_photo(data)

    form.flow.photos.prepare = slow_prepare
    data = grainy_jpeg()
    [slot] = form.flow.photos.choose([("IMG_2.jpg", len(data))], on_received=form._start_finish)
    await arrive(uploads, slot, data)
    for _ in range(200):
        if slot.preview is not None:
            break
        await asyncio.sleep(0.05)
    tile = form.photos.controls[0]
    assert tile.identifier == "photo-0-preview" and slot.photo is None
    assert max(Image.open(io.BytesIO(slot.preview)).size) == 320
    assert tile.content.controls[0].controls[0].src == slot.preview
    assert form.flow.draft.photos_pending == 1  # not sent before it is ready
    form.flow.draft.lat = None  # the submit below is refused for the place, not for the photo
    submitting = asyncio.get_running_loop().create_task(form._submit())
    await asyncio.sleep(0.2)
    assert not submitting.done()  # waiting for the photo, not refusing it
    go_on.set()
    await asyncio.wait_for(submitting, 20)
    assert "photos_pending" not in form.flow.problems and slot.stage == "ready"
    assert form.photos.controls[0].identifier == "photo-0-ready"
    assert "thumbnail" in slot.timing() and "prepare" in slot.timing()


class _WebPage:
    web = True


async def test_on_the_web_the_pages_picker_is_asked_and_its_choice_is_judged_by_the_form(tmp_path, uploads) -> None:
    """pick_photos on a page that runs assets/web/photo-picker.js: a request with a one-time choice URL
    goes to the page's storage; the choice POSTed there gets an upload URL per photo and a named
    refusal for the rest; a photo the server refuses while it streams in is named too."""
    import json

    from shared.ui.photo_picker import PICK_KEY, READY_KEY, SCRIPT_VERSION
    from shared.ui.report_form import ReportForm
    from shared.photo_uploads import CHOICE_ENDPOINT
    from shared.prefs import MemoryPrefs

    state = new_state("http://127.0.0.1:9", "anon", tmp_path)
    state.photo_uploads = OwnerUploads(uploads)
    form = ReportForm(state)
    storage = MemoryPrefs()
    form.page_picker.page, form.page_picker.prefs = _WebPage(), lambda: storage
    assert await form.page_picker.available() is False  # the page did not say it runs the script: Flet's picker
    form.page_picker._available = None
    storage.values[READY_KEY] = SCRIPT_VERSION  # what the script writes at load
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("flet.FilePicker", None)  # must not be used from here on
        await form.pick_photos()
    choice = json.loads(storage.values[PICK_KEY])["choice"]
    assert choice.startswith(f"/{CHOICE_ENDPOINT}/")
    token = choice.rsplit("/", 1)[1]
    data = jpeg()
    big = MAX_BYTES + 1
    answer = uploads.announce(token, [("IMG_7.jpg", len(data)), ("报告.docx", 900), ("IMG_8.jpg", 5000)])
    assert answer[0].startswith("/photo-upload/") and answer[1] is None and answer[2].startswith("/photo-upload/")
    assert "「报告.docx」不是照片，请选择 JPG、PNG 或 HEIC 图片" in _texts(form.photo_notes)
    first, second = form.flow.photos.slots

    async def too_big():
        yield b"x" * big

    with pytest.raises(UploadRefused):
        await uploads.receive(second.token, too_big(), declared=big)
    assert [s.name for s in form.flow.photos.slots] == ["IMG_7.jpg"]
    too_large = f"「IMG_8.jpg」图片太大（{big / 1024 / 1024:.1f} MB），上限为 {MAX_BYTES // 1024 // 1024} MB。"
    assert too_large in form.flow.photos.messages("zh-CN")
    assert too_large in _texts(form.photo_notes)  # the form was redrawn with it
    await arrive(uploads, first, data)
    for _ in range(200):
        if first.stage == "ready":
            break
        await asyncio.sleep(0.05)
    assert form.photos.controls[0].identifier == "photo-0-ready" and leftovers(uploads) == []


async def test_off_the_web_the_page_is_never_asked(tmp_path, uploads) -> None:
    from shared.ui.photo_picker import PagePhotoPicker

    asked = []
    picker = PagePhotoPicker(type("Desktop", (), {"web": False})(), OwnerUploads(uploads),
                             prefs=lambda: asked.append(1))
    assert await picker.available() is False and asked == []
    assert await PagePhotoPicker(_WebPage(), None, prefs=lambda: asked.append(1)).available() is False
    assert asked == []
