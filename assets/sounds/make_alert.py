"""Writes alert.wav, the grid app's alert sound: two short tones (880 Hz, 660 Hz), 16-bit mono, ~0.6 s.

    .venv/bin/python assets/sounds/make_alert.py
"""

from __future__ import annotations

import math
import struct
import wave
from pathlib import Path

RATE = 16000
TONES = ((880, 0.25), (0, 0.08), (660, 0.25))  # (Hz, seconds); 0 Hz is a pause


def samples() -> bytes:
    out = bytearray()
    for freq, seconds in TONES:
        n = int(RATE * seconds)
        for i in range(n):
            fade = min(1.0, i / 200, (n - i) / 200)  # no clicks at the edges
            out += struct.pack("<h", int(12000 * fade * math.sin(2 * math.pi * freq * i / RATE)) if freq else 0)
    return bytes(out)


def main() -> None:
    with wave.open(str(Path(__file__).with_name("alert.wav")), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(samples())


if __name__ == "__main__":
    main()
