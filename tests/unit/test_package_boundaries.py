"""Which package may import which, read from the source (AST), not from what happens to be loaded.

- The local stack is generic: `backend/local_supabase` imports nothing of the application; the
  application's functions and jobs are composed beside it where it is started (backend/functions).
- The two apps stand on `shared/` only: `grid_app` imports nothing from `citizen_app`, nor the reverse.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
APPLICATION = ("backend.jobs", "backend.payments", "backend.care", "backend.admin", "backend.notify",
               "backend.functions", "backend.cli", "backend.run_all")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported_modules(path: Path, module: str | None = None) -> set[str]:
    """Every module `path` (module `module`) imports, relative imports resolved, in any scope
    (inside functions and `if TYPE_CHECKING:` too)."""
    package = (module or module_name(path)).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package[:len(package) - node.level + 1] if node.level else []
            module = ".".join([*base, *(node.module.split(".") if node.module else [])])
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names)
    return found


def offending(folder: str, forbidden: tuple[str, ...]) -> list[str]:
    hits = []
    for path in sorted((ROOT / folder).rglob("*.py")):
        for name in sorted(imported_modules(path)):
            if any(name == f or name.startswith(f + ".") for f in forbidden):
                hits.append(f"{path.relative_to(ROOT)} imports {name}")
    return hits


@pytest.mark.parametrize(("folder", "forbidden"), [
    ("backend/local_supabase", APPLICATION),
    ("grid_app", ("citizen_app",)),
    ("citizen_app", ("grid_app",)),
])
def test_a_package_imports_nothing_it_must_not(folder: str, forbidden: tuple[str, ...]) -> None:
    assert list((ROOT / folder).rglob("*.py")), f"{folder} has no modules"
    assert offending(folder, forbidden) == []


def test_the_check_sees_every_kind_of_import(tmp_path: Path) -> None:
    """It would catch what the gateway did before: top-level, dotted, relative and in-function imports."""
    probe = tmp_path / "probe.py"
    probe.write_text("from backend.jobs.escalations import EscalationService\n"
                     "import backend.payments.routes\n"
                     "def f():\n    from ...care import detector\n"
                     "from ..config import Settings\n", encoding="utf-8")
    found = imported_modules(probe, "backend.local_supabase.gateway.probe")
    assert {"backend.jobs.escalations", "backend.payments.routes", "backend.care.detector",
            "backend.local_supabase.config"} <= found
