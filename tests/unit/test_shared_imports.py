"""shared/ is imported by the apps and the jobs alike, so it never imports flet (architecture.md),
except its Flet layer shared/ui, which only the apps import."""

from __future__ import annotations

import pkgutil
import subprocess
import sys
from pathlib import Path

import shared


def test_no_shared_module_imports_flet():
    names = sorted(f"shared.{m.name}" for m in pkgutil.iter_modules(shared.__path__) if m.name != "ui")
    assert {"shared.media", "shared.geo"} <= set(names)
    code = (f"import importlib, sys\nfor name in {names!r}: importlib.import_module(name)\n"
            "assert 'flet' not in sys.modules, sorted(m for m in sys.modules if m.startswith('flet'))")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(shared.__file__).parents[1])
