"""The resident app's first frame in headless Chromium, against a trivial Flet app served the same way.

Starts a local stack (temporary, free ports), then serves two apps with the same
Flet web server (`no_cdn`, the shipped assets folder), each on a free port:

  citizen_app          `python -m citizen_app`, pointed at the stack (the sign-in screen)
  baseline             a one-line Flet app (`ft.Text("hello")`), the cost of Flet itself

For each it times the server's start (spawn -> HTTP answers), then `--runs` page loads,
alternating the two apps, each in a fresh browser context (no cache, as a first visit):
goto -> `flt-semantics-placeholder` attached (the Flutter client is up and has drawn its
first frame), and goto -> the first semantics node with text after turning accessibility
on (the first screen's words, sent by the Python side, are on the page). Median per app,
and the ratios.

    .venv/bin/python bench/app_first_frame.py [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _stack import ROOT, free_port, temporary_stack

from shared.health import url_answers

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
BASELINE_APP = """
import os
import flet as ft

async def main(page: ft.Page) -> None:
    page.add(ft.Text("hello"))

ft.run(main, view=ft.AppView.WEB_BROWSER, host="127.0.0.1", port=int(os.environ["PORT"]),
       assets_dir=os.environ["ASSETS"], no_cdn=True)
"""


def serve(args: list[str], env: dict[str, str], port: int) -> tuple[subprocess.Popen, float]:
    start = time.perf_counter()
    proc = subprocess.Popen(args, cwd=ROOT, env=dict(os.environ, **env, FLET_FORCE_WEB_SERVER="true"),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while not url_answers(url):
        if proc.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"{args} did not start")
        time.sleep(0.02)
    return proc, time.perf_counter() - start


def stop(proc: subprocess.Popen) -> None:
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def load_once(browser, url: str) -> tuple[float, float]:
    """(seconds to the first frame, seconds to the first words in the semantics tree) in a fresh context."""
    context = browser.new_context(viewport={"width": 390, "height": 844})
    context.route("**/*", lambda route: route.continue_() if "127.0.0.1" in route.request.url else route.abort())
    try:
        page = context.new_page()
        start = time.perf_counter()
        page.goto(url)
        placeholder = page.locator("flt-semantics-placeholder")
        placeholder.wait_for(state="attached", timeout=60_000)
        first_frame = time.perf_counter() - start
        placeholder.dispatch_event("click")
        page.locator("flt-semantics span").first.wait_for(state="attached", timeout=60_000)
        content = time.perf_counter() - start
        return first_frame, content
    finally:
        context.close()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright

    assets = str(ROOT / "assets")
    with temporary_stack("public") as stack, tempfile.TemporaryDirectory() as tmp:
        env = stack.env()
        baseline_file = Path(tmp) / "hello_app.py"
        baseline_file.write_text(BASELINE_APP, encoding="utf-8")
        ports = {"citizen_app": free_port(), "baseline": free_port()}
        citizen, citizen_start = serve([sys.executable, "-m", "citizen_app"],
                                       {"CITYLOOP_CITIZEN_PORT": str(ports["citizen_app"]),
                                        "SUPABASE_URL": env["SUPABASE_URL"],
                                        "SUPABASE_ANON_KEY": env["SUPABASE_ANON_KEY"]}, ports["citizen_app"])
        baseline, baseline_start = serve([sys.executable, str(baseline_file)],
                                         {"PORT": str(ports["baseline"]), "ASSETS": assets}, ports["baseline"])
        results: dict[str, list[tuple[float, float]]] = {"citizen_app": [], "baseline": []}
        try:
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                for name, port in ports.items():  # warm-up: the server's first request compiles/caches
                    load_once(browser, f"http://127.0.0.1:{port}")
                for _ in range(args.runs):
                    for name, port in ports.items():
                        results[name].append(load_once(browser, f"http://127.0.0.1:{port}"))
                browser.close()
        finally:
            stop(citizen)
            stop(baseline)

    print(f"First frame in headless Chromium ({CHROMIUM}), 390x844, fresh context per load, "
          f"{args.runs} loads per app after one warm-up, {os.cpu_count()} CPUs")
    print(f"{'':24}{'server start s':>15}{'first frame s':>15}{'first words s':>15}   (medians)")
    medians = {}
    for name, started in (("citizen_app", citizen_start), ("baseline", baseline_start)):
        frames = [f for f, _ in results[name]]
        texts = [c for _, c in results[name]]
        medians[name] = (statistics.median(frames), statistics.median(texts))
        label = name + ("   (trivial app)" if name == "baseline" else "")
        print(f"{label:24}{started:>15.2f}{medians[name][0]:>15.2f}{medians[name][1]:>15.2f}")
    print(f"ratio citizen_app / baseline: first frame {medians['citizen_app'][0] / medians['baseline'][0]:.2f}x, "
          f"first words {medians['citizen_app'][1] / medians['baseline'][1]:.2f}x, "
          f"server start {citizen_start / baseline_start:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
