"""Bill import from a provider's CSV file (`cityloop bills import FILE.csv`).

Columns (header row required, UTF-8, optional BOM):
  provider, kind (water|electricity|gas), account_no, holder_name, address, period (YYYY-MM),
  amount_fen (integer > 0; or amount_yuan such as 46.30), due_date (YYYY-MM-DD)
The rows go to `public.import_bills` in one call: all or none; a bill already imported is kept.
"""

from __future__ import annotations

import csv
import io
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from .settlement import Rpc

REQUIRED = ("provider", "kind", "account_no", "holder_name", "address", "period", "due_date")


class ImportError_(ValueError):
    """A CSV that cannot be imported; the message names the line."""


def parse_bills_csv(text: str) -> list[dict[str, Any]]:
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    missing = [c for c in REQUIRED if c not in (reader.fieldnames or [])]
    if missing or not ({"amount_fen", "amount_yuan"} & set(reader.fieldnames or [])):
        raise ImportError_(f"missing columns: {', '.join(missing) or 'amount_fen or amount_yuan'}")
    rows = []
    for line, raw in enumerate(reader, start=2):
        row = {k: (raw.get(k) or "").strip() for k in REQUIRED}
        if not all(row.values()):
            raise ImportError_(f"line {line}: every column needs a value")
        row["amount_fen"] = _fen(raw, line)
        rows.append(row)
    return rows


def _fen(raw: dict[str, str], line: int) -> int:
    try:
        if (raw.get("amount_fen") or "").strip():
            value = int(raw["amount_fen"].strip())
        else:
            yuan = Decimal(raw["amount_yuan"].strip())
            value = int(yuan * 100) if yuan == yuan.quantize(Decimal("0.01")) else None
    except (ValueError, InvalidOperation, KeyError, AttributeError):
        raise ImportError_(f"line {line}: the amount is not a number") from None
    if value is None:
        raise ImportError_(f"line {line}: amount_yuan has more than 2 decimals")
    if value <= 0:
        raise ImportError_(f"line {line}: the amount must be positive")
    return value


async def import_bills_file(rpc: Rpc, path: Path) -> dict[str, int]:
    return await rpc("import_bills", {"rows": parse_bills_csv(path.read_text(encoding="utf-8"))})
