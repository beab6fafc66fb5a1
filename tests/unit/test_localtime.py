from datetime import datetime, timezone

from shared.localtime import city_tz, local_text, to_local


def test_people_read_the_city_clock_whatever_the_server_zone():
    noon_utc = datetime(2026, 11, 21, 4, 5, tzinfo=timezone.utc)
    assert local_text(noon_utc, "%H:%M") == "12:05"
    assert to_local(noon_utc).utcoffset().total_seconds() == 8 * 3600


def test_a_naive_time_is_taken_as_utc():
    assert local_text(datetime(2026, 11, 21, 23, 30), "%m-%d %H:%M") == "11-22 07:30"


def test_the_zone_is_a_deployment_setting():
    assert str(city_tz({"CITYLOOP_TZ": "Asia/Urumqi"})) == "Asia/Urumqi"
    assert str(city_tz({})) == "Asia/Shanghai"
