"""The facades of CityClient and of the twin have the methods of the Protocols in shared/api.py, with the
same parameters (names, kinds, defaults): the apps can be handed either."""

from __future__ import annotations

import inspect

import pytest

from shared import api
from shared.facades import (AuthFacade, BrainFacade, CareFacade, EmergencyContacts, PaymentsFacade, ProfileFacade,
                            ReferenceFacade, ReportsFacade, SosFacade, WorkerFacade)
from shared.twin.account import TwinAuth, TwinProfile, TwinReference
from shared.twin.reports import TwinReports
from shared.twin.worker import TwinWorker

REAL = {api.AuthApi: AuthFacade, api.ProfileApi: ProfileFacade, api.ReferenceApi: ReferenceFacade,
        api.ReportsApi: ReportsFacade, api.SosApi: SosFacade, api.WorkerApi: WorkerFacade,
        api.PaymentsApi: PaymentsFacade, api.CareApi: CareFacade, api.ContactsApi: EmergencyContacts,
        api.BrainApi: BrainFacade}
TWIN = {api.AuthApi: TwinAuth, api.ProfileApi: TwinProfile, api.ReferenceApi: TwinReference,
        api.ReportsApi: TwinReports, api.WorkerApi: TwinWorker}


def methods(cls: type) -> dict[str, inspect.Signature]:
    return {name: inspect.signature(fn) for name, fn in inspect.getmembers(cls, inspect.isfunction)
            if not name.startswith("_")}


def shape(sig: inspect.Signature) -> list[tuple[str, object, object]]:
    return [(p.name, p.kind, p.default) for p in sig.parameters.values()]


@pytest.mark.parametrize("implementations", [REAL, TWIN], ids=["facades", "twin"])
def test_each_implementation_has_the_protocols_methods_with_their_parameters(implementations) -> None:
    for protocol, cls in implementations.items():
        wanted, found = methods(protocol), methods(cls)
        assert set(wanted) <= set(found), (cls.__name__, set(wanted) - set(found))
        for name, sig in wanted.items():
            assert shape(found[name]) == shape(sig), f"{cls.__name__}.{name}"
            assert inspect.iscoroutinefunction(getattr(cls, name)) == inspect.iscoroutinefunction(
                getattr(protocol, name)), f"{cls.__name__}.{name}"


def test_the_public_methods_of_a_facade_are_its_protocols() -> None:
    """Nothing is added to a facade beside its Protocol (the apps would come to depend on it)."""
    for protocol, cls in REAL.items():
        assert set(methods(cls)) == set(methods(protocol)), cls.__name__


def test_city_client_has_every_facade_of_city_api() -> None:
    from shared.client import CityClient
    from shared.twin import TwinCity, TwinClient

    names = set(api.CityApi.__annotations__)
    assert names == {"auth", "profile", "reference", "reports", "sos", "worker", "payments", "care", "contacts",
                     "brain"}
    real = CityClient(object())  # facades only keep the transport: nothing is dialled
    twin = TwinClient(TwinCity())
    for name in names:
        assert type(getattr(real, name)) is REAL[_protocol(name)], name
        assert hasattr(twin, name), name


def _protocol(facade: str) -> type:
    return getattr(api, api.CityApi.__annotations__[facade])
