"""Photo preparation: JPEG draft decoding vs a plain full decode, on a 12 MP phone-like photo.

Generates (seed fixed, so every run sees the same bytes) a 4000x3000 JPEG that
compresses like a photo: gradients, smooth blotches and sensor-like grain,
EXIF orientation 6. Then times `shared.media.prepare_photo` as shipped
(`Image.draft` lets libjpeg decode at 1/2 scale) against `draft=False` (full
decode, then the same resize): same output size, several runs each, median.

    .venv/bin/python bench/media.py [--runs 7]
"""

from __future__ import annotations

import argparse
import io
import random
import statistics
import sys
import time
from pathlib import Path

from PIL import Image, ImageFilter

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from shared.media import prepare_photo  # noqa: E402

SEED = 20261121
SIZE = (4000, 3000)


def photo_like_jpeg(seed: int = SEED, size: tuple[int, int] = SIZE, quality: int = 92) -> bytes:
    rng = random.Random(seed)
    width, height = size
    gradient = Image.linear_gradient("L")
    channels = [gradient.rotate(angle).resize(size, Image.Resampling.BICUBIC) for angle in (0, 90, 200)]
    base = Image.merge("RGB", channels)
    # Smooth blotches: coarse noise scaled up, like out-of-focus shapes and shading.
    coarse = Image.frombytes("RGB", (width // 40, height // 40), rng.randbytes(width // 40 * height // 40 * 3))
    blotches = coarse.resize(size, Image.Resampling.BICUBIC).filter(ImageFilter.GaussianBlur(6))
    # Texture at several scales, then a little per-pixel grain, as a sensor adds.
    mid = Image.frombytes("RGB", (width // 4, height // 4), rng.randbytes(width // 4 * height // 4 * 3))
    mid = mid.resize(size, Image.Resampling.BICUBIC)
    grain = Image.frombytes("RGB", size, rng.randbytes(width * height * 3))
    image = Image.blend(base, blotches, 0.55)
    image = Image.blend(image, mid, 0.22)
    image = Image.blend(image, grain, 0.06)
    exif = Image.Exif()
    exif[0x0112] = 6  # held upright: stored landscape, shown portrait
    exif[0x0110] = "Bench Phone"
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality, exif=exif)
    return buffer.getvalue()


def _median_seconds(data: bytes, runs: int, *, draft: bool) -> tuple[float, int, tuple[int, int]]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        result = prepare_photo(data, draft=draft)
        times.append(time.perf_counter() - start)
    return statistics.median(times), len(result.data), (result.width, result.height)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()

    data = photo_like_jpeg()
    print(f"input: {SIZE[0]}x{SIZE[1]} JPEG, {len(data) / 1e6:.2f} MB (seed {SEED})")
    prepare_photo(data)  # warm-up: plugin registration, ICC/JPEG tables
    fast, fast_bytes, fast_size = _median_seconds(data, args.runs, draft=True)
    plain, plain_bytes, plain_size = _median_seconds(data, args.runs, draft=False)
    print(f"draft decode : {fast * 1000:7.1f} ms/image (median of {args.runs}), "
          f"output {fast_size[0]}x{fast_size[1]}, {fast_bytes / 1000:.0f} kB")
    print(f"full decode  : {plain * 1000:7.1f} ms/image (median of {args.runs}), "
          f"output {plain_size[0]}x{plain_size[1]}, {plain_bytes / 1000:.0f} kB")
    print(f"ratio plain/draft: {plain / fast:.2f}x")


if __name__ == "__main__":
    main()
