"""The read-aloud button's behaviour: server speech played in the browser, plyer on a packaged phone app.

In the browser the Python side runs on a server, so plyer's text-to-speech would speak
there (or nowhere): the web path never calls it. It asks citizen_app/speech.py for the
first part's WAV and plays it from the tap's own handler (mobile browsers refuse sound
that starts outside a user gesture, so nothing waits for a background task before the
first `play`); the later parts follow when the player reports the part completed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Protocol

from . import device
from .speech import Speech, SpeechUnavailable, split_parts

log = logging.getLogger(__name__)


class Player(Protocol):
    src: str | bytes | None

    def update(self) -> None: ...
    async def play(self) -> None: ...
    async def pause(self) -> None: ...


def _browser_player(on_completed: Callable[[], object]) -> Player:
    import flet_audio as fa  # a Service: registers itself with the page of the running handler

    async def changed(e) -> None:
        if e.state == fa.AudioState.COMPLETED:
            await on_completed()

    return fa.Audio(on_state_change=changed, release_mode=fa.ReleaseMode.STOP)


class ReadAloud:
    """One per browser session. `web`: the page is a browser (Flet's `page.web`)."""

    def __init__(self, *, web: bool, speech: Speech, device_speak: Callable[[str], bool] = device.speak,
                 make_player: Callable[[Callable[[], object]], Player] = _browser_player) -> None:
        self.web = web
        self.speech = speech
        self._device_speak = device_speak
        self._make_player = make_player
        self.player: Player | None = None
        self._queue: list[str] = []
        self._locale = "zh-CN"

    @property
    def available(self) -> bool:
        """Whether to offer the button: in the browser only when the server can make speech."""
        return self.speech.available if self.web else True

    async def tap(self, words: str, locale: str) -> bool:
        """Read `words` aloud; False when it cannot be done here (the caller shows a plain message)."""
        if not words.strip():
            return False
        if not self.web:
            return self._device_speak(words)
        parts = split_parts(words)
        try:
            first = await self.speech.wav(parts[0], locale)
        except SpeechUnavailable as exc:
            log.info("read-aloud unavailable: %s", exc)
            return False
        if self.player is None:
            self.player = self._make_player(self._next)
        else:
            await self.player.pause()
        self._queue, self._locale = parts[1:], locale
        await self._play(first)
        return True

    async def _play(self, wav: bytes) -> None:
        self.player.src = wav
        self.player.update()
        await self.player.play()

    async def _next(self) -> None:
        if not self._queue or self.player is None:
            return
        words = self._queue.pop(0)
        try:
            await self._play(await self.speech.wav(words, self._locale))
        except SpeechUnavailable as exc:
            log.info("read-aloud stopped: %s", exc)
            self._queue = []
