"""The read-aloud button's behaviour: server speech played in the browser, plyer on a packaged phone app.

In the browser the Python side runs on a server, so plyer's text-to-speech would speak
there (or nowhere): the web path never calls it. It asks citizen_app/speech.py for the
first part's WAV and plays it from the tap's own handler (mobile browsers refuse sound
that starts outside a user gesture, so nothing waits for a background task before the
first `play`); the later parts follow when the player reports the part completed.

flet-audio 1.0.5 on the web takes its source when the player is created: a later change
of `src` never reaches the browser's <audio>, and `play()` (a seek, then resume) can wait
forever on a fresh source. So each part gets its own player, started with `resume()`;
the one before is released (Flet drops services nothing refers to).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Protocol

from . import device
from .speech import Speech, SpeechUnavailable, split_parts

log = logging.getLogger(__name__)


class Player(Protocol):
    async def resume(self) -> None: ...
    async def release(self) -> None: ...


def _browser_player(wav: bytes, on_completed: Callable[[], Awaitable[None]]) -> Player:
    import flet_audio as fa  # a Service: registers itself with the page of the running handler

    async def changed(e) -> None:
        if e.state == fa.AudioState.COMPLETED:
            await on_completed()

    return fa.Audio(src=wav, on_state_change=changed)


class ReadAloud:
    """One per browser session. `web`: the page is a browser (Flet's `page.web`)."""

    def __init__(self, *, web: bool, speech: Speech, device_speak: Callable[[str], bool] = device.speak,
                 make_player: Callable[[bytes, Callable[[], Awaitable[None]]], Player] = _browser_player) -> None:
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

    async def prepare(self, words: str, locale: str) -> None:
        """Make the first part ahead of the tap (a screen just shown in the elderly mode): the tap then only plays."""
        if self.web and words.strip() and self.speech.available:
            try:
                await self.speech.wav(split_parts(words)[0], locale)
            except SpeechUnavailable as exc:
                log.info("read-aloud not prepared: %s", exc)

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
        self._queue, self._locale = parts[1:], locale
        await self._play(first)
        return True

    async def _play(self, wav: bytes) -> None:
        previous, self.player = self.player, self._make_player(wav, self._next)
        if previous is not None:
            await previous.release()  # a second tap starts over instead of talking over itself
        await self.player.resume()

    async def _next(self) -> None:
        if not self._queue:
            return
        words = self._queue.pop(0)
        try:
            await self._play(await self.speech.wav(words, self._locale))
        except SpeechUnavailable as exc:
            log.info("read-aloud stopped: %s", exc)
            self._queue = []
