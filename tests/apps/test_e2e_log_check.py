"""The browser tests' check of app logs: real errors fail, a closed browser tab does not."""

from tests.e2e.conftest import app_errors, unexpected

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


# What the apps log through shared/logs.py, and the gateway through backend/local_supabase/serve.py.
SHELL_CAUGHT = """2026-12-01 19:00:01,123 INFO grid_app.shell: signed in
2026-12-01 19:00:02,456 ERROR grid_app.shell: live redraw failed
Traceback (most recent call last):
  File "grid_app/shell.py", line 40, in _sos_event
    self._draw()
RuntimeError: Button(166) Control must be added to the page first
2026-12-01 19:00:03,000 WARNING grid_app.components.sound: sound not played: NotAllowedError()
"""
GATEWAY_ERROR = """2026-12-01 19:00:04,000 INFO cityloop.gateway: POST /rest/v1/rpc/resolve_sos 200
2026-12-01 19:00:05,000 ERROR cityloop.realtime: fan-out to a subscriber failed: PT500
2026-12-01 19:00:06,000 INFO cityloop.gateway: GET /rest/v1/sos_alerts 200
"""
APP_BUG_THEN_CLOSED_TAB = """Traceback (most recent call last):
  File "grid_app/components/sos_banner.py", line 98, in confirm
    e.page.pop_dialog()
RuntimeError: Button(166) Control must be added to the page first

During handling of the above exception, another exception occurred:

Traceback (most recent call last):
  File ".venv/lib/python3.11/site-packages/flet_web/fastapi/flet_app.py", line 210, in __send_loop
    await self.__websocket.send_bytes(message)
starlette.websockets.WebSocketDisconnect
"""


def test_an_error_record_is_one_error_with_its_traceback_and_warnings_are_not_errors():
    errors = app_errors(SHELL_CAUGHT)
    assert len(errors) == 1
    assert errors[0].startswith("2026-12-01 19:00:02,456 ERROR grid_app.shell: live redraw failed")
    assert "Control must be added to the page first" in errors[0] and "sound not played" not in errors[0]


def test_an_error_record_without_a_traceback_is_an_error():
    errors = app_errors(GATEWAY_ERROR)
    assert len(errors) == 1 and "fan-out to a subscriber failed" in errors[0]


def test_a_chain_that_an_app_error_starts_is_an_error_even_when_it_ends_in_the_disconnect():
    errors = app_errors(APP_BUG_THEN_CLOSED_TAB)
    assert len(errors) == 1 and "Control must be added to the page first" in errors[0]


def test_an_error_record_whose_traceback_is_a_closed_tab_is_harmless():
    assert app_errors("2026-12-01 19:00:02,456 INFO flet: session started\n" + CLOSED_TAB_CHAINED) == []


def test_only_the_errors_a_test_names_are_forgiven():
    errors = app_errors(GATEWAY_ERROR + SHELL_CAUGHT)
    assert unexpected(errors, (r"fan-out to a subscriber failed",)) == errors[1:]
    assert unexpected(errors, ()) == errors


# flet_web's receive loop when the tab is already gone (starlette's newer name for it).
CLOSED_TAB_RECEIVE = """Traceback (most recent call last):
  File ".venv/lib/python3.11/site-packages/flet_web/fastapi/flet_app.py", line 234, in __receive_loop
    data = await self.__websocket.receive_bytes()
  File ".venv/lib/python3.11/site-packages/starlette/websockets.py", line 131, in receive_bytes
    raise WebSocketDisconnected('WebSocket is not connected. Need to call "accept" first.')
starlette.websockets.WebSocketDisconnected: WebSocket is not connected. Need to call "accept" first.
"""


def test_a_receive_on_a_closed_tab_is_not_an_app_error():
    assert app_errors(CLOSED_TAB_RECEIVE) == []
    assert len(app_errors(APP_BUG + CLOSED_TAB_RECEIVE)) == 1
