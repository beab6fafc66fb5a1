"""Make assets/fonts/NotoSansSC-Subset.otf, the Chinese font both apps ship.

Flet's web client bundles only Roboto, and the full Noto Sans CJK is ~20 MB, so
the apps ship a subset: GB2312 level 1 (the 3,755 common hanzi), ASCII,
Latin-1, general and CJK punctuation, full-width forms, and every other
character found in the apps' sources and the backend's data (what the apps
can display). tests/apps/test_font_coverage.py fails when app text uses a
character the subset lacks: then run this script again and commit the font.

Source: Noto Sans CJK SC Regular (SIL OFL 1.1, see OFL.txt), from Debian's
fonts-noto-cjk package:

    apt-get install -y fonts-noto-cjk
    .venv/bin/python assets/fonts/make_subset.py            # writes the .otf
    .venv/bin/python assets/fonts/make_subset.py --source other.ttc

fontTools is a dev dependency: only this script needs it, not the apps.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTCollection, TTFont

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
DEFAULT_SOURCE = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
OUTPUT = HERE / "NotoSansSC-Subset.otf"
FAMILY_IN_COLLECTION = "Noto Sans CJK SC"

# Text the apps can display: their code, and data they show (taxonomy, demo city).
SCANNED = [ROOT / "citizen_app", ROOT / "grid_app", ROOT / "shared", ROOT / "backend" / "supabase", ROOT / "assets",
           ROOT / "backend" / "payments"]  # the sandbox checkout page uses the font too
SCANNED_SUFFIXES = {".py", ".json", ".sql", ".csv", ".toml", ".txt", ".md"}

RANGES = [
    (0x0020, 0x007E),  # ASCII
    (0x00A0, 0x00FF),  # Latin-1: ·, ×, ¥, °
    (0x2010, 0x2026),  # dashes, quotes, …
    (0x2030, 0x2030),  # ‰
    (0x2032, 0x2033),  # ′ ″
    (0x203B, 0x203B),  # ※
    (0x2190, 0x2193),  # arrows
    (0x2460, 0x2473),  # ①..⑳
    (0x3000, 0x303F),  # CJK symbols and punctuation: 、。「」【】
    (0xFF01, 0xFF5E),  # full-width ASCII forms: ，！？（）：；
    (0xFFE0, 0xFFE6),  # full-width ￥ and friends
]


def gb2312_level1() -> set[str]:
    """The 3,755 level-1 hanzi: GB2312 rows 16-55 (bytes 0xB0A1-0xD7F9)."""
    chars = set()
    for row in range(0xB0, 0xD8):
        for cell in range(0xA1, 0xFF):
            if row == 0xD7 and cell > 0xF9:  # row 55 ends at 0xD7F9
                break
            chars.add(bytes([row, cell]).decode("gb2312"))
    assert len(chars) == 3755, len(chars)
    return chars


def app_characters(paths: list[Path] = SCANNED) -> set[str]:
    """Every non-ASCII character in the scanned files (skipping this font's own folder)."""
    chars: set[str] = set()
    for base in paths:
        for path in base.rglob("*"):
            if path.suffix in SCANNED_SUFFIXES and path.is_file() and HERE not in path.parents:
                chars.update(c for c in path.read_text(encoding="utf-8", errors="ignore") if ord(c) > 0x7E)
    return chars


def range_characters() -> set[str]:
    return {chr(cp) for lo, hi in RANGES for cp in range(lo, hi + 1)}


def load_source(path: Path) -> TTFont:
    if path.suffix.lower() in (".ttc", ".otc"):
        for font in TTCollection(path).fonts:
            if font["name"].getDebugName(1) == FAMILY_IN_COLLECTION:
                break
        else:
            raise SystemExit(f"{FAMILY_IN_COLLECTION!r} not found in {path}")
    else:
        font = TTFont(path)
    font.recalcTimestamp = False  # same input, same bytes: re-running does not churn the committed file
    return font


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=DEFAULT_SOURCE)
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args()
    if not args.source.exists():
        raise SystemExit(f"{args.source} is missing: apt-get install -y fonts-noto-cjk, or pass --source")

    font = load_source(args.source)
    options = subset.Options()
    # Horizontal text only. Dropping `locl` (the JP/KR/TC glyph variants), `vert`
    # and the width/alternate features halves the glyph count.
    options.layout_features = ["ccmp", "liga", "kern"]
    options.name_IDs = ["*"]  # keep copyright and license notices
    options.hinting = False  # CFF hints matter little to Flutter's renderer; smaller file
    subsetter = subset.Subsetter(options)
    present = set(font.getBestCmap())
    needed = gb2312_level1() | app_characters()
    wanted = needed | range_characters()  # a range may name code points the font lacks: fine
    subsetter.populate(unicodes=[ord(c) for c in wanted if ord(c) in present])
    subsetter.subset(font)
    font.save(args.output)
    missing = sorted(c for c in needed if ord(c) not in present and c.isprintable() and not c.isspace())
    print(f"{args.output.name}: {len(font.getBestCmap())} characters, {args.output.stat().st_size:,} bytes")
    if missing:
        print("app text the source font cannot show:", "".join(missing))


if __name__ == "__main__":
    main()
