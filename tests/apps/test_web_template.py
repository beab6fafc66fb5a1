"""The apps' web page (assets/index.html) is Flet's own, plus the connection notice's and the photo picker's scripts.

Flet serves `index.html` from the app's assets folder when there is one: ours must stay Flet's
page of the pinned version, or an upgrade of Flet would silently run an old client bootstrap.
"""

from __future__ import annotations

import re
from pathlib import Path

import flet_web

from shared.fonts import ASSETS_DIR

OURS = Path(ASSETS_DIR) / "index.html"
SCRIPT = Path(ASSETS_DIR) / "web" / "offline-notice.js"
PICKER = Path(ASSETS_DIR) / "web" / "photo-picker.js"
BLOCK = re.compile(r"  <!-- cityloop:(offline-notice|photo-picker).*?<!-- /cityloop:\1 -->\n", re.S)


def test_the_page_is_flets_own_plus_one_block() -> None:
    flets = (Path(flet_web.get_package_web_dir()) / "index.html").read_text(encoding="utf-8")
    ours = OURS.read_text(encoding="utf-8")
    assert sorted(BLOCK.findall(ours)) == ["offline-notice", "photo-picker"]
    assert BLOCK.sub("", ours) == flets, "Flet's index.html changed: copy it again and keep the block"


def test_the_notice_runs_before_the_flutter_client_opens_its_socket() -> None:
    ours = OURS.read_text(encoding="utf-8")
    assert ours.index('src="web/offline-notice.js"') < ours.index('src="flutter_bootstrap.js"')
    assert '<script src="web/offline-notice.js"></script>' in ours  # not async, not deferred


def test_the_notice_speaks_both_languages_and_reads_the_apps_saved_language() -> None:
    script = SCRIPT.read_text(encoding="utf-8")
    assert "网络已断开，正在重新连接" in script and "No connection. Reconnecting" in script
    for app_state in ("citizen_app/state/app.py", "grid_app/state/app.py"):
        key = re.search(r'LOCALE_KEY = "([^"]+)"', (Path(ASSETS_DIR).parent / app_state).read_text()).group(1)
        assert f'"flutter.{key}"' in script, key  # Flutter's SharedPreferences prefix on the web


def test_the_photo_picker_wraps_storage_before_the_flutter_client_starts() -> None:
    ours = OURS.read_text(encoding="utf-8")
    assert '<script src="web/photo-picker.js"></script>' in ours  # not async, not deferred
    assert ours.index('src="web/photo-picker.js"') < ours.index('src="flutter_bootstrap.js"')


def test_the_photo_picker_uses_the_keys_the_form_writes() -> None:
    from shared.ui.photo_picker import PICK_KEY, READY_KEY

    script = PICKER.read_text(encoding="utf-8")
    assert f'"flutter.{READY_KEY}"' in script and f'"flutter.{PICK_KEY}"' in script
