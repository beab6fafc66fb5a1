"""The case's readable number, as every screen and export shows it.

The number (`HP-20261201-0042`: district, city date, sequence) is given by the database at filing
(migration 20261201001130); this only picks what to show when a row predates it or was read
without the column: the first eight characters of the id, upper-cased.
"""

from __future__ import annotations

from typing import Protocol
from uuid import UUID


class HasCaseNumber(Protocol):
    id: UUID | str
    case_number: str | None


def case_label(report: HasCaseNumber) -> str:
    number = getattr(report, "case_number", None)
    return number if number else str(report.id)[:8].upper()
