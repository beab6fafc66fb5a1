"""The apps' Flet layer: the screen contract, the router and the controls both apps share.

The only package of `shared/` that imports flet (tests/unit/test_shared_imports.py checks
the rest stays flet-free for the jobs)."""

from .router import Builder, Route, Router
from .screen import Screen, browser_gone

__all__ = ["Builder", "Route", "Router", "Screen", "browser_gone"]
