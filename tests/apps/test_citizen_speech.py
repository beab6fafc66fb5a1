"""citizen_app/speech.py and read_aloud.py: espeak-ng's audio for zh and en, and the web path never uses plyer."""

from __future__ import annotations

import io
import shutil
import time
import wave

import pytest

from citizen_app import device
from citizen_app.read_aloud import ReadAloud
from citizen_app.speech import FIRST_PART_CHARS, Speech, default_speech, split_parts

ESPEAK = shutil.which("espeak-ng")


@pytest.fixture()
def speech() -> Speech:
    # A failure, not a skip: the browser's read-aloud depends on it (apt-get install -y espeak-ng).
    assert ESPEAK, "espeak-ng is missing: apt-get install -y espeak-ng"
    return Speech(ESPEAK)


class FakePlayer:
    def __init__(self, wav: bytes, on_completed) -> None:
        self.src, self.on_completed = wav, on_completed
        self.playing = self.released = False

    async def resume(self) -> None:
        self.playing = True

    async def release(self) -> None:
        self.released = True


def never(words: str) -> bool:
    raise AssertionError(f"plyer was asked to speak on the server: {words!r}")


def seconds_of(wav: bytes) -> float:
    with wave.open(io.BytesIO(wav)) as audio:
        return audio.getnframes() / audio.getframerate()


@pytest.mark.parametrize(("locale", "words"), [("zh-CN", "随手拍，缴费，一键求助。"), ("en", "Report, pay, SOS.")])
async def test_espeak_ng_makes_audio_in_both_languages(speech, locale, words) -> None:
    started = time.monotonic()
    wav = await speech.wav(words, locale)
    assert time.monotonic() - started < 2.0
    assert wav[:4] == b"RIFF" and wav[8:12] == b"WAVE"
    assert seconds_of(wav) > 0.5  # real speech, not an empty header


async def test_the_two_languages_get_different_voices_and_each_text_is_made_once(speech, monkeypatch) -> None:
    zh = await speech.wav("城市圈", "zh-CN")
    assert await speech.wav("城市圈", "en") != zh  # the English voice reads it differently
    calls = []
    real = speech._run
    monkeypatch.setattr(speech, "_run", lambda *a: calls.append(a) or real(*a))
    assert await speech.wav("城市圈", "zh-CN") == zh
    assert calls == []  # cached per text + language


def test_a_long_page_starts_with_a_short_first_part_and_loses_no_words() -> None:
    page = "待缴合计 ¥97.20。电费 ¥97.20 待缴费 · 12-05 到期。水费 ¥36.50 已逾期 · 11-20 到期。" * 4
    parts = split_parts(page)
    assert len(parts) > 1 and len(parts[0]) <= FIRST_PART_CHARS
    assert "".join(parts) == page  # every word is read, decimals not cut at their point
    english = split_parts("Total due ¥97.20. Power ¥97.20, due 12-05. " * 5)
    assert "¥97.20." in english[0] and len(english[0]) <= FIRST_PART_CHARS


async def test_in_the_browser_the_server_makes_speech_and_the_page_plays_it(speech, monkeypatch) -> None:
    monkeypatch.setattr(device, "_attempt", lambda *a: pytest.fail("plyer called on the web path"))
    players: list[FakePlayer] = []
    reader = ReadAloud(web=True, speech=speech, device_speak=never,
                       make_player=lambda wav, done: players.append(FakePlayer(wav, done)) or players[-1])
    page = "城市圈 · 市民端。随手拍，拍照上报身边问题。缴费，水费、电费、燃气费。一键求助，紧急情况按住求助。"
    assert reader.available
    assert await reader.tap(page, "zh-CN")
    assert len(players) == 1 and players[0].playing and players[0].src[:4] == b"RIFF"
    await players[0].on_completed()  # the first part ended: the next follows
    assert len(players) == 2 and players[1].playing and players[1].src != players[0].src
    assert players[0].released
    assert await reader.tap(page, "zh-CN")  # a second tap starts over, from the cached first part
    assert players[2].src == players[0].src and players[1].released


async def test_without_espeak_ng_the_button_is_hidden_and_plyer_is_not_tried() -> None:
    reader = ReadAloud(web=True, speech=Speech(None), device_speak=never, make_player=FakePlayer)
    assert not reader.available
    assert not await reader.tap("随手拍", "zh-CN")  # the shell then shows app.no_tts


async def test_a_packaged_phone_app_uses_the_phone_s_own_speech(speech) -> None:
    spoken: list[str] = []
    reader = ReadAloud(web=False, speech=speech, device_speak=lambda w: spoken.append(w) or True,
                       make_player=lambda wav, done: pytest.fail("no browser player off the web"))
    assert reader.available and await reader.tap("随手拍", "zh-CN")
    assert spoken == ["随手拍"]


def test_the_server_s_speech_is_found_on_the_path() -> None:
    assert default_speech().program == ESPEAK and default_speech() is default_speech()


async def test_a_shown_screen_is_prepared_so_the_tap_only_plays(speech, monkeypatch) -> None:
    reader = ReadAloud(web=True, speech=speech, device_speak=never, make_player=FakePlayer)
    page = "缴费。待缴合计 ¥97.20。电费 ¥97.20 待缴费 · 12-05 到期。"
    await reader.prepare(page, "zh-CN")
    monkeypatch.setattr(speech, "_run", lambda *a: pytest.fail("the first part was not made ahead"))
    assert await reader.tap(page, "zh-CN")
