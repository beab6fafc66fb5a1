"""The alert sound (assets/sounds/alert.wav) through flet-audio.

flet-audio's control is compiled into flet-web 1.0.5's client. When the browser blocks
sound (no user gesture yet, muted tab) the app still flashes the banner and shows a
notice: sound is never the only cue.
"""

from __future__ import annotations

import asyncio
import logging

log = logging.getLogger(__name__)
SRC = "/sounds/alert.wav"
ALARM_REPEAT_S = 2.0

import flet_audio


class Sound:
    def __init__(self) -> None:
        self.control: flet_audio.Audio | None = flet_audio.Audio(src=SRC, volume=1.0)
        self._alarm: asyncio.Task | None = None

    async def ping(self) -> None:
        if self.control is None:
            return
        try:
            await self.control.play()
        except Exception as exc:  # noqa: BLE001 - a browser that refuses sound must not break the inbox
            log.warning("sound not played: %r", exc)

    async def alarm(self) -> None:
        """Repeat until `stop` (an SOS is acknowledged)."""
        if self._alarm and not self._alarm.done():
            return
        self._alarm = asyncio.current_task()
        try:
            while True:
                await self.ping()
                await asyncio.sleep(ALARM_REPEAT_S)
        except asyncio.CancelledError:
            pass

    async def stop(self) -> None:
        if self._alarm and not self._alarm.done() and self._alarm is not asyncio.current_task():
            self._alarm.cancel()
        self._alarm = None
