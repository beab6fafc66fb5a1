"""Ways of telling people outside the apps: SMS through a swappable provider."""

from .local_sink import LocalSinkSms
from .sms import SmsError, SmsProvider

__all__ = ["LocalSinkSms", "SmsError", "SmsProvider"]
