"""The rows of `rpc/performance` as CSV or XLSX, safe to open in a spreadsheet.

One writer for `cityloop report export` (the service-role key: the city's scope) and the download
on /brain (the person's own token: their scope, the rows the screen shows). The figures are the
SQL's (migration 1150); this module only writes them. A text cell that a spreadsheet would read as a formula
(starting with = + - @, or a tab or carriage return before one) gets a leading apostrophe, as
OWASP advises for CSV injection; numbers stay numbers. XLSX cells are written as strings or
numbers explicitly, never parsed as formulas.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any, Iterable, Sequence

GROUPS = ("street", "department", "grid", "worker", "category")
FORMATS = ("csv", "xlsx")
# (field of rpc/performance, header: zh-CN first, then English)
COLUMNS: tuple[tuple[str, str], ...] = (
    ("group_code", "编码 Code"),
    ("group_name", "名称 Name"),
    ("received", "受理 Received"),
    ("resolved", "办结 Resolved"),
    ("on_time_rate", "按时办结率 On-time rate"),
    ("first_response_minutes_p50", "首次响应中位数(分钟) First response p50 (min)"),
    ("one_time_rate", "一次办结率 One-time rate"),
    ("reopen_rate", "重办率 Reopen rate"),
    ("satisfaction_rate", "满意率 Satisfaction rate"),
    ("rated", "评价数 Rated"),
    ("transfers", "转派 Transfers"),
    ("overdue_open", "超期未办 Overdue open"),
    ("older_events", "依据旧记录 On older events"),
)
RISKY_START = ("=", "+", "-", "@", "\t", "\r")

Row = dict[str, Any]


def safe_cell(value: Any) -> Any:
    """The value, with a text that a spreadsheet would run as a formula made inert."""
    if isinstance(value, str) and value.lstrip(" ").startswith(RISKY_START):
        return "'" + value
    return value


def fetch_rows(client, by: str, from_date: str, to_date: str) -> list[Row]:
    """`rpc/performance` for the period: the same rows the app shows (errors come as the RPC's own)."""
    return client.rpc("performance", {"from_date": from_date, "to_date": to_date, "group_by": by}).execute().data


def _cells(rows: Iterable[Row]) -> list[list[Any]]:
    return [[safe_cell(row.get(field)) for field, _ in COLUMNS] for row in rows]


def to_csv(rows: Sequence[Row]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([header for _, header in COLUMNS])
    writer.writerows(["" if v is None else v for v in line] for line in _cells(rows))
    return out.getvalue()


def file_name(by: str, from_date: str, to_date: str, fmt: str) -> str:
    return f"performance-{by}-{from_date}-{to_date}.{fmt}"


def export_bytes(rows: Sequence[Row], fmt: str, title: str) -> bytes:
    """The file's bytes: CSV in UTF-8 with a BOM (spreadsheets then read the Chinese right), or XLSX."""
    if fmt not in FORMATS:
        raise ValueError(fmt)
    if fmt == "csv":
        return to_csv(rows).encode("utf-8-sig")
    out = io.BytesIO()
    _xlsx(rows, out, title)
    return out.getvalue()


def write_xlsx(rows: Sequence[Row], path: Path, title: str) -> Path:
    path.write_bytes(export_bytes(rows, "xlsx", title))
    return path


def _xlsx(rows: Sequence[Row], target: Any, title: str) -> None:
    import xlsxwriter

    book = xlsxwriter.Workbook(target, {"strings_to_formulas": False, "strings_to_urls": False,
                                        "in_memory": True})
    try:
        sheet = book.add_worksheet(title[:31])
        bold = book.add_format({"bold": True})
        for col, (_, header) in enumerate(COLUMNS):
            sheet.write_string(0, col, header, bold)
        for r, line in enumerate(_cells(rows), start=1):
            for col, value in enumerate(line):
                if value is None:
                    sheet.write_blank(r, col, None)
                elif isinstance(value, (int, float)) and not isinstance(value, bool):
                    sheet.write_number(r, col, value)
                else:
                    sheet.write_string(r, col, str(value))
        sheet.freeze_panes(1, 0)
    finally:
        book.close()
