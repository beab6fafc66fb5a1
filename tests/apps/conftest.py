"""Fixtures of the app-state tests on the twin (see tests/apps/twin_support.py)."""

from tests.apps.twin_support import no_stack, twin_city  # noqa: F401 - fixtures
