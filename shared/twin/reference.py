"""The twin's reference data: the same departments, taxonomy and demo city the stack loads.

Departments come from their migration, categories from assets/taxonomy/taxonomy.json (the file the
categories migrations are made from), areas from backend/supabase/seed.sql. A contract test checks
that the twin answers what the stack answers.
"""

from __future__ import annotations

import re
import uuid
from functools import lru_cache
from pathlib import Path

from shared.models import AreaLevel, AreaPublic, CategoryPublic, DepartmentPublic
from shared.taxonomy import default_taxonomy

ROOT = Path(__file__).resolve().parents[2]
DEPARTMENTS_SQL = ROOT / "backend" / "supabase" / "migrations" / "20261121000100_departments.sql"
SEED_SQL = ROOT / "backend" / "supabase" / "seed.sql"

_DEPARTMENT = re.compile(r"\('([a-z_]+)', '([^']*)', '([^']*)', (null|'[^']*')\)")
_AREA = re.compile(r"\('([0-9a-f-]{36})', (null|'[0-9a-f-]{36}'), '([a-z]+)', "  # id, parent, level
                   r"'([^']*)', '([^']*)', '([^']*)', '([^']*)'\)")  # code, name_zh, name_en, polygon


@lru_cache(maxsize=1)
def departments() -> tuple[DepartmentPublic, ...]:
    text = DEPARTMENTS_SQL.read_text(encoding="utf-8")
    rows = [DepartmentPublic(code=c, name_zh=zh, name_en=en, phone=None if p == "null" else p.strip("'"))
            for c, zh, en, p in _DEPARTMENT.findall(text)]
    return tuple(sorted(rows, key=lambda d: d.code))


@lru_cache(maxsize=1)
def categories() -> tuple[CategoryPublic, ...]:
    rows = [CategoryPublic(code=c.code, level=c.level, parent_code=c.parent_code, name_zh=c.name_zh,
                           name_en=c.name_en, department_code=c.department_code, sla_hours=c.sla_hours,
                           priority=c.priority, keywords=list(c.keywords))
            for c in default_taxonomy()]
    return tuple(sorted(rows, key=lambda c: c.code))


@lru_cache(maxsize=1)
def areas() -> tuple[AreaPublic, ...]:
    rows = []
    for id_, parent, level, code, zh, en, polygon in _AREA.findall(SEED_SQL.read_text(encoding="utf-8")):
        points = [tuple(map(float, p.split(","))) for p in re.findall(r"\(([-0-9.]+,[-0-9.]+)\)", polygon)]
        cx, cy = sum(p[0] for p in points) / len(points), sum(p[1] for p in points) / len(points)
        rows.append(AreaPublic(id=uuid.UUID(id_), parent_id=None if parent == "null" else uuid.UUID(parent.strip("'")),
                               level=AreaLevel(level), code=code, name_zh=zh, name_en=en, polygon=polygon,
                               center=f"({_num(cx)},{_num(cy)})"))
    return tuple(sorted(rows, key=lambda a: a.code))


def _num(value: float) -> str:
    return repr(round(value, 10)).rstrip("0").rstrip(".") if "." in repr(round(value, 10)) else repr(value)
