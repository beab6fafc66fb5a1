"""The grid app's SOS in Chromium (tablet 1280x800): resolved while the caller's location keeps arriving.

The caller's phone posts a location every few seconds; each one redraws the responder's SOS bar,
also under an open dialog. The dialog must survive that (it once crashed the app on 确定 and the
alert stayed `on_the_way`). Screenshots: docs/screenshots/grid-sos-*.png.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest
from playwright.sync_api import expect
from postgrest.exceptions import APIError

from tests.backend.core_support import GRID_POINTS, GRIDS

from .flutter import by_id
from .grid_support import CALLER_NAME, TABLET, people, shot, sign_in  # noqa: F401 - people is a fixture

NOTE = "已送医 taken to hospital"
SECOND_CALLER = "张伯"


class LocationUpdates:
    """The caller's phone: a location update through the API about every `every_s` seconds, on a thread."""

    def __init__(self, client, alert_id: str, every_s: float = 1.0) -> None:
        self.client, self.alert_id, self.every_s = client, alert_id, every_s
        self.sent = 0
        self.errors: list[Exception] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> "LocationUpdates":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(10)

    def _run(self) -> None:
        lat, lon = GRID_POINTS[0]
        deadline = time.monotonic() + 120  # bounded, whatever the test does
        while not self._stop.is_set() and time.monotonic() < deadline:
            step = (self.sent % 5) * 0.0001
            try:
                self.client.rpc("update_sos_location", {"alert_id": self.alert_id, "lat": lat + step,
                                                        "lon": lon, "accuracy_m": 8}).execute()
                self.sent += 1
            except APIError as exc:
                if exc.code == "PT409":  # resolved meanwhile: the caller's phone stops, as the app does
                    return
                self.errors.append(exc)
            self._stop.wait(self.every_s)


def _status(db, alert_id: str) -> tuple[str, str | None]:
    return db.execute("select status::text, resolution_note from public.sos_alerts where id = %s",
                      (alert_id,)).fetchone()


def _wait_for_status(db, alert_id: str, status: str, timeout_s: float = 30) -> tuple[str, str | None]:
    deadline = time.monotonic() + timeout_s
    while (row := _status(db, alert_id))[0] != status and time.monotonic() < deadline:
        time.sleep(0.3)
    return row


@pytest.fixture()
def elderly_second_caller(people, db) -> Iterator[None]:
    """citizen_b is an elderly resident of the care watch in grid 1: their banner says 老人."""
    db.execute("update public.profiles set display_name = %s where id = %s", (SECOND_CALLER, people.citizen_b.id))
    db.execute("insert into public.care_subjects (profile_id, name, grid_id, consent_at)"
               " values (%s, %s, %s, current_date)", (people.citizen_b.id, SECOND_CALLER, GRIDS[0]))
    yield
    db.execute("delete from public.care_subjects where profile_id = %s", (people.citizen_b.id,))


def test_an_sos_is_resolved_while_the_callers_location_keeps_arriving(people, elderly_second_caller, db, stack,
                                                                     serve_app, open_app, tmp_path) -> None:
    url = serve_app("grid_app", SUPABASE_URL=stack.url, SUPABASE_ANON_KEY=stack.anon_key,
                    CITYLOOP_HOME=str(tmp_path / "grid-data"))
    tablet = open_app(url, *TABLET)
    sign_in(tablet, people.worker_1.email, people.worker_1.password)
    alert = people.citizen_a.client.rpc("raise_sos", {"lat": GRID_POINTS[0][0], "lon": GRID_POINTS[0][1],
                                                      "note": "老人摔倒 fell down"}).execute().data
    alert_id = (alert[0] if isinstance(alert, list) else alert)["id"]

    expect(by_id(tablet, "sos-banner")).to_be_visible(timeout=10_000)
    by_id(tablet, "sos-ack").click()
    expect(by_id(tablet, "sos-on-the-way")).to_be_visible(timeout=15_000)
    by_id(tablet, "sos-on-the-way").click()
    assert _wait_for_status(db, alert_id, "on_the_way")[0] == "on_the_way"

    expect(by_id(tablet, "sos-caller").first).to_contain_text(CALLER_NAME)
    expect(by_id(tablet, "sos-where").first).to_contain_text("滨西社区第1网格")  # area names, not coordinates
    shot(tablet, "grid-sos-bar.png")

    with LocationUpdates(people.citizen_a.client, alert_id) as phone:
        by_id(tablet, "sos-resolve").click()
        field = tablet.locator('textarea[aria-label="处置情况"], input[aria-label="处置情况"]').first
        expect(field).to_be_visible(timeout=15_000)
        tablet.wait_for_timeout(4_000)  # the worker thinks: the bar is redrawn under the dialog meanwhile
        field.click()
        expect(field).to_be_focused()
        tablet.keyboard.type(NOTE, delay=150)  # slowly, as on a tablet's keyboard
        # Another resident calls for help meanwhile: the red banner is drawn under the dialog.
        other = people.citizen_b.client.rpc("raise_sos", {"lat": GRID_POINTS[0][0], "lon": GRID_POINTS[0][1],
                                                          "note": "second call"}).execute().data
        other_id = (other[0] if isinstance(other, list) else other)["id"]
        tablet.wait_for_timeout(3_000)  # it arrives (a modal dialog hides the rest from the accessibility tree)
        expect(field).to_have_value(NOTE)  # what was typed survived the redraws
        shot(tablet, "grid-sos-resolve.png")
        tablet.get_by_role("button", name="确定").click()
        status, note = _wait_for_status(db, alert_id, "resolved")
        redraws = phone.sent
    assert not phone.errors, phone.errors[0]
    assert redraws >= 8, f"only {redraws} location updates arrived while the dialog was open"
    assert (status, note) == ("resolved", NOTE)
    expect(by_id(tablet, "sos-resolve")).to_be_hidden(timeout=15_000)  # the bar is gone
    expect(field).to_be_hidden()  # and so is the dialog
    expect(by_id(tablet, "sos-banner")).to_be_visible()  # the second call, until someone answers it

    # The same in English (the frame is drawn again in the new language).
    tablet.get_by_role("button", name="English").click()
    expect(tablet.get_by_role("button", name="Acknowledge")).to_be_visible(timeout=15_000)
    expect(by_id(tablet, "sos-caller").first).to_contain_text(SECOND_CALLER)
    expect(by_id(tablet, "sos-caller").first).to_contain_text("Elderly")
    expect(by_id(tablet, "sos-caller").first).to_contain_text("just now")
    shot(tablet, "grid-sos-banner-en.png")
    by_id(tablet, "sos-ack").click()
    expect(by_id(tablet, "sos-on-the-way")).to_be_visible(timeout=15_000)
    expect(by_id(tablet, "sos-where").first).to_contain_text("Binxi Community Grid 1")
    shot(tablet, "grid-sos-bar-en.png")
    people.citizen_b.client.rpc("cancel_sos", {"alert_id": other_id, "reason": "test over"}).execute()
    expect(by_id(tablet, "sos-on-the-way")).to_be_hidden(timeout=15_000)
    # serve_app's teardown fails the test on any error the app logged.
