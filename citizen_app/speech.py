"""Read-aloud speech made on the server with Debian's `espeak-ng`, for the browser to play.

Served as a web app the Python side runs on a server: the phone's own text-to-speech
(plyer, citizen_app/device.py) cannot be reached from here, so the server makes a WAV and
the page plays it (flet-audio). To start within a tap's moment, a page's text is cut into
parts: the first sentences come first and are short enough to make in a fraction of a
second; each part is cached per (language, text), so a second tap costs nothing.
"""

from __future__ import annotations

import array
import asyncio
import io
import logging
import re
import shutil
import wave
from collections import OrderedDict

log = logging.getLogger(__name__)

# espeak-ng voice per app language: Mandarin and English are both in Debian's espeak-ng-data.
VOICES = {"zh-CN": "cmn", "en": "en"}
WORDS_PER_MINUTE = 150  # a little slower than espeak-ng's 175: the button is for elderly people
FIRST_PART_CHARS = 30  # a sentence or so (about 7 s of Mandarin): made and sent in a fraction of a second
PART_CHARS = 240
CACHE_PARTS = 256
SYNTH_TIMEOUT_S = 10.0

# Sentence and clause ends; a Latin full stop only before a space, so "97.20" stays whole.
_BREAK = re.compile(r"(?<=[。！？；，、：])\s*|(?<=[.!?;,:])\s+|\n+")


class SpeechUnavailable(Exception):
    """No speech program on this server (or it failed): the caller shows a plain message."""


def split_parts(words: str, first: int = FIRST_PART_CHARS, rest: int = PART_CHARS) -> list[str]:
    """`words` cut at sentence (or clause) ends: a short first part, then parts up to `rest` chars."""
    pieces = [p.strip() for p in _BREAK.split(words) if p and p.strip()]
    parts: list[str] = []
    current = ""
    for piece in pieces:
        limit = first if not parts else rest
        joined = f"{current} {piece}" if current and not _cjk(current[-1]) else current + piece
        if current and len(joined) > limit:
            parts.append(current)
            current = piece
        else:
            current = joined
    if current:
        parts.append(current)
    return parts


def _cjk(char: str) -> bool:
    return "\u3000" <= char <= "\u9fff" or "\uff00" <= char <= "\uffef"


def _halve_rate(wav: bytes) -> bytes:
    """22 050 Hz -> 11 025 Hz (mean of each pair): half the bytes to send; speech stays clear."""
    with wave.open(io.BytesIO(wav)) as src:
        params = src.getparams()
        frames = src.readframes(params.nframes)
    if params.sampwidth != 2 or params.nchannels != 1:
        return wav
    samples = array.array("h", frames[: len(frames) // 4 * 4])
    halved = array.array("h", ((samples[i] + samples[i + 1]) // 2 for i in range(0, len(samples), 2)))
    out = io.BytesIO()
    with wave.open(out, "wb") as dst:
        dst.setnchannels(1)
        dst.setsampwidth(2)
        dst.setframerate(params.framerate // 2)
        dst.writeframes(halved.tobytes())
    return out.getvalue()


class Speech:
    """Makes WAV bytes from text; `program=None` (espeak-ng not installed) makes it unavailable."""

    def __init__(self, program: str | None, *, cache_parts: int = CACHE_PARTS) -> None:
        self.program = program
        self._cache: OrderedDict[tuple[str, str], bytes] = OrderedDict()
        self._cache_parts = cache_parts

    @property
    def available(self) -> bool:
        return self.program is not None

    async def wav(self, words: str, locale: str) -> bytes:
        """One part's speech as WAV bytes (cached); SpeechUnavailable when it cannot be made."""
        key = (locale, words)
        if key in self._cache:
            self._cache.move_to_end(key)
            return self._cache[key]
        audio = _halve_rate(await self._run(words, VOICES.get(locale, "en")))
        self._cache[key] = audio
        if len(self._cache) > self._cache_parts:
            self._cache.popitem(last=False)
        return audio

    async def _run(self, words: str, voice: str) -> bytes:
        if self.program is None:
            raise SpeechUnavailable("no speech program")
        try:
            # The text goes on stdin, never on the command line: no option can be smuggled in.
            proc = await asyncio.create_subprocess_exec(
                self.program, "-v", voice, "-s", str(WORDS_PER_MINUTE), "--stdout",
                stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        except OSError as exc:
            raise SpeechUnavailable(str(exc)) from exc
        try:
            out, err = await asyncio.wait_for(proc.communicate(words.encode()), SYNTH_TIMEOUT_S)
        except asyncio.TimeoutError as exc:
            proc.kill()
            await proc.wait()
            raise SpeechUnavailable("speech took too long") from exc
        if proc.returncode != 0 or not out.startswith(b"RIFF"):
            log.warning("espeak-ng failed (%s): %s", proc.returncode, err[-300:])
            raise SpeechUnavailable("speech program failed")
        return out


_default: Speech | None = None


def default_speech() -> Speech:
    """The server's one Speech (its cache is shared by every browser session)."""
    global _default
    if _default is None:
        _default = Speech(shutil.which("espeak-ng"))
    return _default
