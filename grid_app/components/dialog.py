"""Dialogs that survive a redraw of whatever opened them.

Live events (the SOS caller's location every few seconds, a task changing) redraw the SOS bar
or a case while a dialog is open: the button that opened it is then a dropped control, and the
`e.page` of its event raises "Control must be added to the page first". So a dialog is shown on
the app's page (which is never replaced), keeps what was typed in its own controls (they live in
the page's dialog layer, outside the redrawn tree), and is closed through itself (`close_dialog`):
the page's `pop_dialog()` closes the topmost dialog, which may be a snack bar said meanwhile.
"""

from __future__ import annotations

import flet as ft


def close_dialog(dialog: ft.DialogControl) -> bool:
    """Close `dialog`; False when it was closed already (a second tap on 确定 must not act twice)."""
    if not dialog.open:
        return False
    dialog.open = False
    dialog.update()
    return True

