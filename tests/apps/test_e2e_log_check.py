"""The browser tests' check of app logs: real errors fail, a closed browser tab does not."""

from tests.e2e.conftest import app_errors

CLOSED_TAB = """INFO started
Traceback (most recent call last):
  File ".venv/lib/python3.11/site-packages/flet_web/fastapi/flet_app.py", line 210, in __send_loop
    await self.__websocket.send_bytes(message)
starlette.websockets.WebSocketDisconnect
"""
CLOSED_TAB_CHAINED = """ERROR:    Exception in ASGI application
Traceback (most recent call last):
  File ".venv/lib/python3.11/site-packages/uvicorn/protocols/websockets/websockets_sansio_impl.py", line 502, in send
websockets.exceptions.InvalidState: connection is closing

During handling of the above exception, another exception occurred:

Traceback (most recent call last):
  File ".venv/lib/python3.11/site-packages/uvicorn/protocols/websockets/websockets_sansio_impl.py", line 504, in send
uvicorn.protocols.utils.ClientDisconnected

During handling of the above exception, another exception occurred:

Traceback (most recent call last):
  File ".venv/lib/python3.11/site-packages/flet_web/fastapi/flet_app.py", line 210, in __send_loop
    await self.__websocket.send_bytes(message)
starlette.websockets.WebSocketDisconnect
"""
APP_BUG_CHAINED = """Traceback (most recent call last):
  File ".venv/lib/python3.11/site-packages/flet_web/fastapi/flet_app.py", line 210, in __send_loop
starlette.websockets.WebSocketDisconnect

During handling of the above exception, another exception occurred:

Traceback (most recent call last):
  File "citizen_app/views/home.py", line 3, in build
KeyError: 'y'
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


def test_a_closed_tab_with_chained_socket_errors_is_one_harmless_error():
    assert app_errors(CLOSED_TAB_CHAINED) == []


def test_a_chain_that_ends_in_an_app_error_is_an_error():
    errors = app_errors(APP_BUG_CHAINED)
    assert len(errors) == 1 and "KeyError: 'y'" in errors[0]
