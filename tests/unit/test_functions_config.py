"""The functions' and jobs' settings (backend/functions/config.py): read once, every name of before still read."""

from __future__ import annotations

from pathlib import Path

import pytest

from backend.functions.config import FunctionsSettings
from shared.config import city_tz_name

API = {"SUPABASE_URL": "https://abc.supabase.co/", "SUPABASE_SERVICE_ROLE_KEY": "service-key"}


def test_defaults_and_where_payers_reach_the_functions() -> None:
    s = FunctionsSettings.from_environ({**API, "CITYLOOP_HOME": "/srv/cityloop"})
    assert (s.supabase_url, s.public_url, s.home) == ("https://abc.supabase.co", "http://127.0.0.1:54331",
                                                      Path("/srv/cityloop"))
    assert (s.escalation_interval_s, s.payments_interval_s, s.payments_grace_s) == (5, 30, 60)
    assert (s.care_scan_interval_s, s.care_escalation_interval_s, s.sms_interval_s) == (900, 60, 10)
    public = FunctionsSettings.from_environ({**API, "CITYLOOP_FUNCTIONS_URL": "https://pay.city.example/",
                                             "CITYLOOP_FUNCTIONS_PORT": "8080"})
    assert (public.public_url, public.port) == ("https://pay.city.example", 8080)


def test_every_interval_keeps_its_name_and_zero_switches_a_job_off() -> None:
    s = FunctionsSettings.from_environ({**API, "CITYLOOP_ESCALATION_INTERVAL": "0", "CITYLOOP_PAYMENTS_INTERVAL": "2",
                                        "CITYLOOP_PAYMENTS_GRACE": "7", "CITYLOOP_CARE_SCAN_INTERVAL": "-5",
                                        "CITYLOOP_CARE_ESCALATION_INTERVAL": "9", "CITYLOOP_SMS_INTERVAL": "3"})
    assert (s.escalation_interval_s, s.payments_interval_s, s.payments_grace_s) == (0, 2, 7)
    assert (s.care_scan_interval_s, s.care_escalation_interval_s, s.sms_interval_s) == (0, 9, 3)


def test_bad_settings_are_refused_with_their_name() -> None:
    with pytest.raises(ValueError, match="SUPABASE_URL and SUPABASE_SERVICE_ROLE_KEY must be set"):
        FunctionsSettings.from_environ({"SUPABASE_URL": "https://abc.supabase.co"})
    with pytest.raises(ValueError, match="CITYLOOP_PAYMENTS_INTERVAL must be a number of seconds"):
        FunctionsSettings.from_environ({**API, "CITYLOOP_PAYMENTS_INTERVAL": "soon"})


def test_one_time_zone_setting_and_the_care_watchs_old_name_still_read() -> None:
    assert city_tz_name({}) == "Asia/Shanghai"
    assert city_tz_name({"CITYLOOP_CARE_TZ": "Asia/Urumqi"}) == "Asia/Urumqi"
    assert city_tz_name({"CITYLOOP_TZ": "Asia/Hong_Kong", "CITYLOOP_CARE_TZ": "Asia/Urumqi"}) == "Asia/Hong_Kong"
    assert FunctionsSettings.from_environ({**API, "CITYLOOP_TZ": "Asia/Hong_Kong"}).city_tz == "Asia/Hong_Kong"
