"""Phone features through plyer (vibration, notifications, text-to-speech), never failing.

Served as a web app the Python side runs on a server, where plyer usually has no
backend: every call then returns False (logged at debug) and the app carries on.
Views use the return value only to choose a fallback (an in-app banner instead of a
system notification, the text on screen instead of speech).
"""

from __future__ import annotations

import contextlib
import io
import logging
import warnings

log = logging.getLogger(__name__)


def _attempt(feature: str, call) -> bool:
    # plyer prints a traceback and warns when a platform module is missing: keep that out of the logs.
    noise = io.StringIO()
    try:
        with contextlib.redirect_stderr(noise), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from plyer import notification, tts, vibrator  # imported lazily: slow and optional

            call({"notification": notification, "tts": tts, "vibrator": vibrator})
        return True
    except Exception as exc:  # plyer raises NotImplementedError, ImportError, OSError...
        log.debug("%s is not available here: %s %s", feature, exc, noise.getvalue()[-500:])
        return False


def vibrate(seconds: float = 0.5) -> bool:
    return _attempt("vibration", lambda p: p["vibrator"].vibrate(time=seconds))


def notify(title: str, message: str) -> bool:
    return _attempt("notification", lambda p: p["notification"].notify(title=title, message=message,
                                                                       app_name="CityLoop", timeout=10))


def speak(text: str) -> bool:
    """Read `text` aloud with the platform's text-to-speech: packaged phone builds only.

    Never from the web app (it would speak on the server): citizen_app/read_aloud.py decides.
    """
    if not text.strip():
        return False
    return _attempt("text-to-speech", lambda p: p["tts"].speak(message=text))
