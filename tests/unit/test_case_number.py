"""shared.case_number: the database's number when the row has it, else a short id."""

from __future__ import annotations

import uuid
from types import SimpleNamespace

from shared.case_number import case_label


def test_the_number_when_there_is_one_else_a_short_id() -> None:
    rid = uuid.UUID("0a1b2c3d-0000-4000-a000-000000000001")
    assert case_label(SimpleNamespace(id=rid, case_number="HP-20261201-0042")) == "HP-20261201-0042"
    assert case_label(SimpleNamespace(id=rid, case_number=None)) == "0A1B2C3D"
    assert case_label(SimpleNamespace(id=str(rid))) == "0A1B2C3D"
