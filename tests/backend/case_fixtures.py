"""The fixtures of the case tests: everyone of `core_support.People`, each test grid with one
worker on duty (worker 1 in GRIDS[0], worker 2 in GRIDS[4]), and a city-management item.

A test module takes them by importing the names:
`from tests.backend.case_fixtures import city, people  # noqa: F401 - fixtures`."""

from __future__ import annotations

import pytest

from tests.backend.core_support import GRIDS, People, item, make_people, only_workers


@pytest.fixture(scope="module")
def people(db, make_user) -> People:
    p = make_people(db, make_user)
    only_workers(db, GRIDS[0], (p.worker_1.id, True))
    only_workers(db, GRIDS[4], (p.worker_2.id, True))
    return p


@pytest.fixture(scope="module")
def city(db) -> str:
    return item(db, "city_mgmt")["code"]
