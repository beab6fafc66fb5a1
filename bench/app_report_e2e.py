"""The resident app's photo step and submit, in Chromium on a phone, with a 12 MP photo against a 100 kB one.

Starts a local stack (temporary, free ports, demo city), creates one citizen, serves
`python -m citizen_app` on a free port (loopback), opens it in headless Chromium at
390x844 and signs in once. Then `--runs` rounds, alternating the two photos, each round
in a fresh tab on /report with the browser's location at a new point of grid 1 (more
than 50 m from every earlier one, so the "same problem nearby" offer stays away):

  choose -> thumbnail   the file handed to the file chooser -> the photo's tile is ready
                        (`photo-0-preview`, or `photo-0-ready` if that came first): upload
                        with progress, the 320 px thumbnail made on the server and drawn
  submit -> case        the submit tap -> the case page shows the dispatched step

Photos (bench/media.py, seeded): 4000x3000 phone-like JPEG at quality 96 (~6.4 MB, EXIF
orientation), and 800x600 at quality 85 (~100 kB). Prints p50/p95 per photo and step,
and the load average before and after (what else ran on the machine).

    .venv/bin/python bench/app_report_e2e.py [--runs 10]
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _stack import ROOT, free_port, temporary_stack
from media import photo_like_jpeg

from shared.health import url_answers
from shared.limits import REPORTS_PER_HOUR

CHROMIUM = "/usr/bin/chromium"
# Other hosts are made unresolvable instead of routed through Playwright: an intercepted request's
# body goes through the driver, which adds seconds to a 6 MB upload that a real phone never pays.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"]
PHONE = {"width": 390, "height": 844}
WAIT = 120_000  # ms


def point(i: int) -> tuple[float, float]:
    """The i-th point of a lattice inside grid 1 (lon 117.19-117.1975, lat 39.12-39.13), ~67 m apart."""
    return 39.1206 + 0.0006 * (i % 15), 117.1915 + 0.0008 * (i // 15 % 8)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))]


def by_id(page, identifier: str):
    return page.locator(f'[flt-semantics-identifier="{identifier}"]')


def open_tab(context, url: str):
    page = context.new_page()
    page.set_default_timeout(WAIT)
    page.goto(url)
    placeholder = page.locator("flt-semantics-placeholder")
    placeholder.wait_for(state="attached")
    placeholder.dispatch_event("click")
    return page


def type_into(page, label: str, value: str) -> None:
    field = page.locator(f'input[aria-label="{label}"], textarea[aria-label="{label}"]').first
    for _ in range(4):
        field.click()
        page.keyboard.press("Control+a")
        page.keyboard.press("Backspace")
        page.keyboard.type(value, delay=20)
        if field.input_value() == value:
            return
    raise SystemExit(f"could not type into {label!r}")


def one_round(context, url: str, photo: Path, at: tuple[float, float]) -> tuple[float, float]:
    context.set_geolocation({"latitude": at[0], "longitude": at[1]})
    page = open_tab(context, url + "/report")
    try:
        by_id(page, "add-photo").wait_for()
        by_id(page, "report-address").filter(has_text="网格").wait_for()
        with page.expect_file_chooser() as chooser:
            by_id(page, "add-photo").click()
        start = time.perf_counter()
        chooser.value.set_files(str(photo))
        by_id(page, "photo-0-preview").or_(by_id(page, "photo-0-ready")).first.wait_for()  # the thumbnail shows
        thumbnail = time.perf_counter() - start
        by_id(page, "photo-0-ready").wait_for()  # then the photo is ready to send
        type_into(page, "问题描述", "路灯不亮")
        by_id(page, "report-category").filter(has_text="路灯不亮").wait_for()
        start = time.perf_counter()
        by_id(page, "submit-report").click()
        by_id(page, "step-dispatched").wait_for()
        case = time.perf_counter() - start
        return thumbnail, case
    finally:
        page.goto("about:blank")
        page.close()


def serve(env: dict[str, str], port: int, log_file) -> subprocess.Popen:
    # INFO: the app logs where each photo's time went ("photo ready (...): upload wait ..., upload ...").
    proc = subprocess.Popen([sys.executable, "-m", "citizen_app"], cwd=ROOT,
                            env=dict(os.environ, **env, CITYLOOP_CITIZEN_PORT=str(port), CITYLOOP_LOG_LEVEL="INFO"),
                            stdout=log_file, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while not url_answers(f"http://127.0.0.1:{port}"):
        if proc.poll() is not None or time.monotonic() > deadline:
            raise SystemExit("the citizen app did not start")
        time.sleep(0.05)
    return proc


def stop(proc: subprocess.Popen) -> None:
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=10, help="rounds per photo")
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright
    from supabase import ClientOptions, create_client

    load_before = os.getloadavg()
    with temporary_stack("public") as stack, tempfile.TemporaryDirectory() as tmp:
        photos = {"12 MP": Path(tmp) / "IMG_4000x3000.jpg", "100 kB": Path(tmp) / "IMG_800x600.jpg"}
        photos["12 MP"].write_bytes(photo_like_jpeg(quality=96))
        photos["100 kB"].write_bytes(photo_like_jpeg(size=(800, 600), quality=85))
        sizes = {name: path.stat().st_size for name, path in photos.items()}
        env = stack.env()
        service = create_client(env["SUPABASE_URL"], env["SUPABASE_SERVICE_ROLE_KEY"],
                                options=ClientOptions(auto_refresh_token=False, persist_session=False))
        password = "bench-password-photo"

        def new_citizen(k: int) -> str:
            email = f"photo{k}@bench.cityloop.local"
            service.auth.admin.create_user({"email": email, "password": password, "email_confirm": True,
                                            "app_metadata": {"role": "citizen"}})
            return email

        port = free_port()
        app_log = open(Path(tmp) / "app.log", "w+b")
        app = serve({"SUPABASE_URL": env["SUPABASE_URL"], "SUPABASE_ANON_KEY": env["SUPABASE_ANON_KEY"],
                     "CITYLOOP_APP_DATA": str(Path(tmp) / "app-data")}, port, app_log)
        url = f"http://127.0.0.1:{port}"
        times: dict[str, list[tuple[float, float]]] = {name: [] for name in photos}
        try:
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                def signed_in(k: int):
                    # A citizen files at most REPORTS_PER_HOUR reports an hour (the quota): a new one after that.
                    context = browser.new_context(viewport=PHONE, permissions=["geolocation"],
                                                  geolocation={"latitude": point(0)[0], "longitude": point(0)[1]})
                    page = open_tab(context, url)
                    by_id(page, "account-submit").wait_for()
                    type_into(page, "手机号或邮箱", new_citizen(k))
                    type_into(page, "密码", password)
                    by_id(page, "account-submit").click()
                    by_id(page, "action-report").wait_for()  # signed in; the session is kept by the browser
                    page.goto("about:blank")
                    page.close()
                    return context

                context = signed_in(0)
                n = 0
                one_round(context, url, photos["100 kB"], point(n))  # warm-up, not counted
                for _ in range(args.runs):
                    for name, path in photos.items():
                        n += 1
                        if n % REPORTS_PER_HOUR == 0:
                            context.close()
                            context = signed_in(n // REPORTS_PER_HOUR)
                        times[name].append(one_round(context, url, path, point(n)))
                        print(f"round {n} {name}: choose -> thumbnail {times[name][-1][0]:.2f} s, "
                              f"submit -> case {times[name][-1][1]:.2f} s", flush=True)
                browser.close()
        finally:
            stop(app)
            app_log.seek(0)
            steps = photo_steps(app_log.read().decode("utf-8", "replace"), sizes)
            app_log.close()
    load_after = os.getloadavg()

    print(f"Resident app in headless Chromium ({CHROMIUM}), 390x844, loopback, local stack; "
          f"{args.runs} rounds per photo after one warm-up, alternating; {os.cpu_count()} CPUs")
    print(f"load average (1/5/15 min) before {load_before[0]:.2f}/{load_before[1]:.2f}/{load_before[2]:.2f}, "
          f"after {load_after[0]:.2f}/{load_after[1]:.2f}/{load_after[2]:.2f}")
    print(f"{'':28}{'choose -> thumbnail s':>24}{'submit -> case s':>20}")
    print(f"{'':28}{'p50':>10}{'p95':>8}{'mean':>8}{'p50':>8}{'p95':>8}{'mean':>8}")
    for name, size in sizes.items():
        thumbs = [t for t, _ in times[name]]
        cases = [c for _, c in times[name]]
        label = f"{name} JPEG ({size / 1e6:.2f} MB)"
        print(f"{label:28}{percentile(thumbs, .5):>10.2f}{percentile(thumbs, .95):>8.2f}"
              f"{statistics.fmean(thumbs):>8.2f}{percentile(cases, .5):>8.2f}{percentile(cases, .95):>8.2f}"
              f"{statistics.fmean(cases):>8.2f}")
    print("\nWhere choose -> thumbnail goes, p50 per step (app log; the rest is the browser: file read, "
          "drawing the thumbnail)")
    for name, found in steps.items():
        print(f"{name:10}" + ", ".join(f"{step} {statistics.median(v):.2f} s" for step, v in found.items()))
    thumbs = {name: statistics.median([t for t, _ in times[name]]) for name in times}
    if thumbs.get("100 kB"):
        print(f"ratio 12 MP / 100 kB (p50 choose -> thumbnail): {thumbs['12 MP'] / thumbs['100 kB']:.1f}")
    return 0


STEP = re.compile(r"photo ready \((\d+) bytes, [^)]*\): (.*); total ([\d.]+) s")


def photo_steps(log: str, sizes: dict[str, int]) -> dict[str, dict[str, list[float]]]:
    """The app's "photo ready" lines, by photo (told apart by size): step -> seconds, warm-up left out."""
    by_size = {size: name for name, size in sizes.items()}
    found: dict[str, dict[str, list[float]]] = {name: {} for name in sizes}
    lines = [m for m in STEP.finditer(log)][1:]
    for m in lines:
        name = by_size.get(int(m.group(1)))
        if name is None:
            continue
        for part in m.group(2).split(", ") + [f"total {m.group(3)} s"]:
            step, seconds = part.rsplit(" ", 2)[0], float(part.rsplit(" ", 2)[1])
            found[name].setdefault(step, []).append(seconds)
    return found


if __name__ == "__main__":
    sys.exit(main())
