"""The export's cells: text a spreadsheet would run as a formula is made inert; numbers stay numbers;
the XLSX holds no formula at all."""

from __future__ import annotations

import csv
import io
import zipfile

from shared.report_export import COLUMNS, safe_cell, to_csv, write_xlsx

ROW = {"group_code": "=HYPERLINK(\"http://x\")", "group_name": "@SUM(A1)", "received": 3, "resolved": 2,
       "on_time_rate": 0.5, "first_response_minutes_p50": None, "one_time_rate": 1, "reopen_rate": 0,
       "satisfaction_rate": None, "rated": 0, "transfers": -1, "overdue_open": 0, "older_events": 0}


def test_safe_cell() -> None:
    for risky in ("=1+1", "+1", "-1", "@x", "\t=1", "\r=1", "  =1"):
        assert safe_cell(risky) == "'" + risky
    for fine in ("和平区", "HP", "1", "a=b", None, 3, -1, 0.5):
        assert safe_cell(fine) == fine


def test_csv_has_the_rpc_columns_and_inert_text() -> None:
    lines = list(csv.reader(io.StringIO(to_csv([ROW]))))
    assert lines[0] == [h for _, h in COLUMNS] and lines[0][0].startswith("编码")
    assert lines[1][:4] == ["'=HYPERLINK(\"http://x\")", "'@SUM(A1)", "3", "2"]
    assert lines[1][5] == "" and lines[1][10] == "-1"  # null is empty; a negative number is a number


def test_xlsx_holds_no_formula(tmp_path) -> None:
    path = write_xlsx([ROW], tmp_path / "p.xlsx", "street 2025-03-01..2025-03-31")
    with zipfile.ZipFile(path) as z:
        sheet = z.read("xl/worksheets/sheet1.xml").decode()
        strings = z.read("xl/sharedStrings.xml").decode()
    assert "<f>" not in sheet and "<f " not in sheet
    assert "'=HYPERLINK" in strings and "'@SUM(A1)" in strings
    assert "<v>3</v>" in sheet and "<v>0.5</v>" in sheet
