"""The browser tests' check of app logs: real errors fail, a closed browser tab does not."""

from tests.e2e.conftest import app_errors

CLOSED_TAB = """INFO started
Traceback (most recent call last):
  File ".venv/lib/python3.11/site-packages/flet_web/fastapi/flet_app.py", line 210, in __send_loop
    await self.__websocket.send_bytes(message)
starlette.websockets.WebSocketDisconnect
"""
APP_BUG = """Traceback (most recent call last):
  File "citizen_app/views/home.py", line 3, in build
KeyError: 'x'
"""


def test_a_closed_tab_is_not_an_app_error():
    assert app_errors(CLOSED_TAB) == []


def test_an_app_traceback_is_reported_even_next_to_a_closed_tab():
    errors = app_errors(CLOSED_TAB + APP_BUG)
    assert len(errors) == 1 and "KeyError" in errors[0]


def test_a_clean_log_has_no_errors():
    assert app_errors("INFO serving on 127.0.0.1\n") == []
