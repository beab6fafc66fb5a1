"""The elderly mode in Chromium on a phone (390x844): read-aloud that plays in the browser,
60 px header icons and tabs, three text sizes, and screenshots of home, pay and report in
zh and en, normal and elderly (looked at for cut or broken words).
"""

from __future__ import annotations

import pytest

from .flutter import by_id, new_tab, type_into
from .test_citizen_app import PHONE, WAIT, snap

pytestmark = pytest.mark.timeout(600)

# Records what the page asks its audio elements to play (Flutter's audio player is an
# <audio> element that is not in the DOM, so a hook is the way to see it).
AUDIO_HOOK = """
window.__played = [];
// The tap's own time: Playwright's click() first waits for the element, which is not the app's time.
document.addEventListener('pointerdown', () => { window.__tapAt = performance.now(); }, true);
const play = HTMLMediaElement.prototype.play;
HTMLMediaElement.prototype.play = function () {
  window.__played.push({src: this.src || this.currentSrc || '', at: performance.now()});
  return play.call(this).catch(e => { window.__playError = String(e); });
};
"""
HEADER = ("bell", "read-aloud", "me")
READ_ALOUD_BUDGET_MS = 2000


def profile(db, user_id, **values) -> None:
    columns = ", ".join(f"{name} = %s" for name in values)  # names from this test, never from input
    db.execute(f"update public.profiles set {columns} where id = %s", (*values.values(), user_id))


# snap() writes to docs/screenshots/<name>; an absolute name (under tmp_path) keeps the look-only shots out.


def show(page, url: str, route: str, ready: str, settle_ms: int = 0):
    tab = new_tab(page, url + route)
    tab.set_default_timeout(WAIT)
    page.close()
    by_id(tab, ready).wait_for()
    tab.wait_for_timeout(settle_ms)  # the screen's data arrives after its controls (a shared, slow machine)
    return tab


def test_read_aloud_targets_sizes_and_layouts(stack, db, serve_app, open_app, make_user, tmp_path) -> None:
    citizen = make_user(app_metadata={"role": "citizen"}, display_name="李阿姨")
    profile(db, citizen.id, elderly_mode=True, text_size=2)
    for n in range(12):  # a two-digit badge on the bell: it must stay clear of the read-aloud icon
        db.execute("insert into public.notifications (user_id, kind, title_zh, title_en) values (%s, 'note', %s, %s)",
                   (citizen.id, f"消息 {n}", f"Message {n}"))
    url = serve_app("citizen_app", SUPABASE_URL=stack.url, SUPABASE_ANON_KEY=stack.anon_key,
                    CITYLOOP_HOME=str(tmp_path / "app-data"))
    page = open_app(url, *PHONE)
    page.set_default_timeout(WAIT)
    page.context.add_init_script(AUDIO_HOOK)
    by_id(page, "account-submit").wait_for()
    type_into(page, "手机号或邮箱", citizen.email)
    type_into(page, "密码", citizen.password)
    by_id(page, "account-submit").click()
    by_id(page, "read-aloud").wait_for()
    page = show(page, url, "/", "read-aloud")  # a tab with the audio hook in place

    # 朗读本页: the server's speech reaches an audio element within the budget, started by the tap
    by_id(page, "read-aloud").click()
    page.wait_for_function("() => window.__played.length > 0", timeout=10_000)
    played = page.evaluate("() => window.__played[0]")
    took = played["at"] - page.evaluate("() => window.__tapAt")
    print(f"read-aloud: tap to play {took:.0f} ms")
    assert played["src"], played
    assert took < READ_ALOUD_BUDGET_MS, took
    assert not page.evaluate("() => window.__playError || null")  # the browser accepted to play it
    assert by_id(page, "message").count() == 0 or "朗读" not in (by_id(page, "message").text_content() or "")

    # Every step: header icons and tabs are main targets; at the largest, main text >= 30 px
    for step in (1, 2, 3):
        profile(db, citizen.id, text_size=step)
        page = show(page, url, "/", "text-size")
        boxes = {target: by_id(page, target).bounding_box()
                 for target in (*HEADER, "text-size", "action-report", "elderly-switch")}
        for target, box in boxes.items():
            assert box and box["width"] >= 60 and box["height"] >= 60, (step, target, box)
        assert boxes["bell"]["x"] + boxes["bell"]["width"] <= boxes["read-aloud"]["x"], boxes  # side by side
        snap(page, "citizen-elderly-largest.png" if step == 3 else str(tmp_path / f"elderly-size{step}-zh-home.png"))
        page = show(page, url, "/pay", "pay-tabs")
        box = by_id(page, "pay-tabs").bounding_box()
        assert box and box["height"] >= 60, (step, box)
        segments = by_id(page, "pay-tabs").get_by_role("button").all()
        assert len(segments) == 3, segments
        for segment in segments:
            assert segment.bounding_box()["height"] >= 60, (step, segment.bounding_box())
        assert by_id(page, "back").bounding_box()["height"] >= 60
        title = by_id(page, "screen-title").bounding_box()
        if step == 3:  # main functions' text (titles and the home's actions share the size) >= 30 px
            assert title["height"] >= 30 * 1.3, title  # one line of >= 30 px text at line height >= 1.3
        snap(page, str(tmp_path / f"elderly-size{step}-zh-pay.png"))

    # The screens people found broken, in both languages and both modes, to look at
    category = db.execute("select code from public.categories where level = 3 order by code limit 1").fetchone()[0]
    case = citizen.client.table("reports").insert({
        "category_code": category, "lat": 39.125, "lon": 117.19375, "landmark": "3号楼东侧单元门口",
        "description": "楼道里的灯坏了好几天，晚上下楼看不见台阶，老人容易摔倒，麻烦尽快修一下"}).execute().data[0]
    for locale in ("zh-CN", "en"):
        for elderly in (False, True):
            profile(db, citizen.id, locale=locale, elderly_mode=elderly, text_size=3)
            mode = "elderly" if elderly else "normal"
            for route, ready in (("/", "action-report"), ("/pay", "pay-tabs"), ("/report", "report-map"),
                                 ("/cases", f"case-{case['id']}"), (f"/cases/{case['id']}", "timeline")):
                page = show(page, url, route, ready, settle_ms=1500)
                name = (route.strip("/") or "home").split("/")[0] + ("-page" if route.count("/") > 1 else "")
                snap(page, str(tmp_path / f"{mode}-{locale}-{name}.png"))
    page.goto("about:blank")
