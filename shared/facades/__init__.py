"""The facades of `shared.client.CityClient`, one per area, each over one `shared.transport.Transport`.

Each implements the matching Protocol of `shared.api`; the in-memory twin (`shared.twin`) implements
the same Protocols, and `tests/contract/` runs one set of tests against both.
"""

from shared.facades.auth import AuthFacade, SignUpResult
from shared.facades.brain import BrainFacade
from shared.facades.care import CareFacade
from shared.facades.contacts import EmergencyContacts
from shared.facades.payments import PaymentsFacade
from shared.facades.profile import ProfileFacade
from shared.facades.reference import ReferenceFacade
from shared.facades.reports import PHOTO_BUCKET, ReportsFacade
from shared.facades.sos import SosFacade
from shared.facades.worker import WorkerFacade

__all__ = ["AuthFacade", "BrainFacade", "CareFacade", "EmergencyContacts", "PHOTO_BUCKET", "PaymentsFacade",
           "ProfileFacade", "ReferenceFacade", "ReportsFacade", "SignUpResult", "SosFacade", "WorkerFacade"]
