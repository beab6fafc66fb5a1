"""The care-watch scoring function on small labelled data: arrays in, alerts out."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import numpy as np
import pytest

from backend.care.detector import Params, Usage, data_gaps, score
from backend.care.simulate import SimParams, simulate
from backend.jobs.care_watch import alert_rows, build_usage

TZ = timezone(timedelta(hours=8))
DAYS = 30
START = datetime(2026, 11, 2, tzinfo=TZ)  # a Monday, local midnight


def routine(households: int = 4, days: int = DAYS, seed: int = 7, wake: int = 7, sleep: int = 22) -> Usage:
    """Water in ~80% of the awake hours, gas at three meals, electricity base + awake load."""
    rng = np.random.default_rng(seed)
    hours = np.arange(days * 24) % 24
    awake = (hours >= wake) & (hours < sleep)
    water = np.where(awake & (rng.random((households, hours.size)) < 0.8),
                     rng.uniform(5, 25, (households, hours.size)), 0.0).astype(np.float32)
    gas = np.where(np.isin(hours, [wake, 11, 17]) & (rng.random((households, hours.size)) < 0.9),
                   0.12, 0.0).astype(np.float32)
    elec = (0.08 + 0.2 * awake).astype(np.float32) * np.ones((households, 1), np.float32)
    return Usage(START, water, elec, gas, np.zeros((households, hours.size), bool))


def last_day(hour: int) -> int:
    return (DAYS - 1) * 24 + hour


def test_an_ordinary_day_raises_nothing():
    assert score(routine(), 24) == []


def test_silence_through_usual_active_hours_is_inactivity_with_its_onset():
    u = routine()
    fall = last_day(8)
    u.water[1, fall:] = 0
    u.gas[1, fall:] = 0
    alerts = score(u, 24)
    assert [(a.household, a.kind) for a in alerts] == [(1, "inactivity")]
    a = alerts[0]
    assert a.onset <= fall and a.hour > fall and a.hour - fall <= 14
    assert a.severity >= 2 and a.score >= Params().inactivity_score
    ev = a.evidence
    assert ev["meter_kind"] == "water" and len(ev["hours"]) == len(ev["observed"]) == len(ev["expected"]) == 24
    assert all(lo <= hi for lo, hi in zip(ev["band_low"], ev["band_high"]))
    assert sum(v for v in ev["observed"][-6:]) == 0 and sum(ev["expected"][-6:]) > 0


def test_the_same_silence_during_sleep_hours_raises_nothing():
    u = routine()
    u.water[2, last_day(22) - 24: last_day(6)] = 0  # from 22:00 to 6:00: asleep anyway
    assert score(u, 24) == []


def test_a_registered_absence_never_alerts_for_inactivity():
    u = routine()
    away = last_day(0) - 48
    u.water[3, away:] = 0
    u.gas[3, away:] = 0
    u.absent[3, away:] = True
    assert score(u, 24) == []


def test_a_night_owl_is_judged_by_its_own_routine():
    u = routine(wake=10, sleep=24)
    # Silent 6:00-10:00 is normal for a night owl; a regular household silent then is not alarming either.
    u.water[0, last_day(0): last_day(10)] = 0
    assert score(u, 24) == []


def test_a_tap_left_open_is_continuous_water_use_within_three_hours():
    u = routine()
    onset = last_day(9) + 0.3
    for t in range(last_day(9), last_day(14)):
        u.water[0, t] += 200 * min(1.0, t + 1 - onset)
    alerts = [a for a in score(u, 24) if a.kind == "continuous_use"]
    assert [(a.household, a.meter_kind) for a in alerts] == [(0, "water")]
    assert alerts[0].hour + 1 - onset <= 3
    assert alerts[0].onset <= last_day(10)


def test_a_tap_opened_just_before_the_scored_window_is_not_learnt_as_normal():
    u = routine()
    onset = last_day(0) - 1 + 0.1  # 23:06, the last hour before the window (scored from midnight)
    for t in range(last_day(0) - 1, last_day(6)):
        u.water[0, t] += 200 * min(1.0, t + 1 - onset)

    def first_tap(p: Params) -> int:
        return min(a.hour for a in score(u, 24, p) if a.kind == "continuous_use" and a.household == 0)

    assert first_tap(Params()) + 1 - onset <= 3  # at the end of 0:00, the second hour of the flow
    # Learning from the training days' very last hours, the 23:00 flow would raise its own threshold:
    assert first_tap(Params(continuous_guard_hours=0)) + 1 - onset > 3


def test_a_tap_through_a_busy_hour_and_a_quiet_one_is_found_by_their_total():
    u = routine()
    u.water[0, np.arange(DAYS) * 24 + 10] += 100  # laundry at 10:00 every day: 11:00 is a busy hour too
    onset = last_day(11)
    u.water[0, onset: onset + 5] = 170  # a tap from 11:00: 1.36x the 11:00 maximum, far above 12:00's

    def first_tap(p: Params) -> int:
        return min(a.hour for a in score(u, 24, p) if a.kind == "continuous_use" and a.household == 0)

    assert first_tap(Params()) == onset + 1  # the 2-hour rule, on the two hours' total
    # Judged hour by hour (each above 1.5x its own maximum), it waits for the 3-hour rule:
    assert first_tap(Params(hour_margin=((2, 1.5, 1.5), (3, 1.2, 1.2)))) == onset + 2


def test_a_burner_left_on_is_continuous_gas_use_of_high_severity():
    u = routine()
    u.gas[2, last_day(12): last_day(16)] += 0.3
    alerts = [a for a in score(u, 24) if a.kind == "continuous_use"]
    assert [(a.household, a.meter_kind, a.severity) for a in alerts] == [(2, "gas", 3)]
    assert alerts[0].hour <= last_day(14)


def test_a_household_that_always_runs_a_little_water_is_not_a_leak():
    u = routine()
    u.water[0] += 2.0  # a leaking cistern since forever is its background
    assert score(u, 24) == []


def test_a_new_leak_through_the_quiet_hours_is_flagged():
    u = routine()
    u.water[1, last_day(0):] += 3.0  # from midnight: through the night it never stops
    kinds = [(a.household, a.kind, a.severity) for a in score(u, 24)]
    assert (1, "continuous_use", 1) in kinds


def test_too_little_history_is_refused():
    with pytest.raises(ValueError):
        score(routine(days=20), 24)


def test_simulated_events_are_found_and_travel_is_not_alerted():
    sp = SimParams(households=150, days=40, seed=11, event_start_day=31, p_fall=0.1, p_tap=0.1, p_gas=0.1,
                   p_travel=0.1, sick_rate=0.0)
    sim = simulate(sp)
    alerts = score(sim.usage, 9 * 24)
    by = {(a.household, a.kind, a.meter_kind) for a in alerts}
    events = [e for e in sim.events if e.onset < (sp.days - 1) * 24 - 14]
    assert events
    found = {"fall": [], "tap": [], "gas": []}
    for e in events:
        if e.kind == "fall":
            found["fall"].append((e.household, "inactivity", "water") in by)
        elif e.kind in ("tap", "gas"):
            found[e.kind].append((e.household, "continuous_use", "water" if e.kind == "tap" else "gas") in by)
        else:
            assert not any(a.household == e.household and a.kind == "inactivity" for a in alerts)
    # Every fall; a tap of ~100 l/h on a busy visitors' weekend may pass for their normal use.
    assert all(found["fall"]) and found["tap"] and found["gas"]
    assert sum(found["tap"]) >= 0.9 * len(found["tap"]) and sum(found["gas"]) >= 0.9 * len(found["gas"])


def test_simulation_is_deterministic():
    sp = SimParams(households=20, days=40, seed=5)
    a, b = simulate(sp), simulate(sp)
    assert np.array_equal(a.usage.water, b.usage.water, equal_nan=True)
    assert [(e.household, e.kind) for e in a.events] == [(e.household, e.kind) for e in b.events]


def test_build_usage_and_alert_rows_map_hours_and_subjects():
    start = datetime(2026, 11, 2, tzinfo=TZ)
    rows = [{"subject_id": "s1", "kind": "water", "hour": (start + timedelta(hours=h)).isoformat(), "value": 5.0}
            for h in range(0, 48, 2)]
    absences = [{"subject_id": "s1", "starts_at": (start + timedelta(hours=10)).isoformat(),
                 "ends_at": (start + timedelta(hours=12, minutes=30)).isoformat()}]
    subjects, u = build_usage(rows, absences, start, 48)
    assert subjects == ["s1"] and u.gas is None and u.electricity is None
    assert u.water[0, 2] == 5.0 and np.isnan(u.water[0, 3])  # a missing hour is unknown, not zero use
    assert u.absent[0, 10:13].all() and not u.absent[0, 13]
    from backend.care.detector import Alert
    out = alert_rows(subjects, [Alert(0, "inactivity", "water", 30, 20, 2, 14.5, 14.0)], start)
    assert out[0]["subject_id"] == "s1"
    assert out[0]["onset_at"] == (start + timedelta(hours=20)).isoformat()
    assert out[0]["detected_at"] == (start + timedelta(hours=31)).isoformat()


def test_a_silence_that_passed_the_threshold_before_the_window_is_still_reported_with_its_onset():
    u = routine(days=DAYS + 1)
    fall = (DAYS - 1) * 24 + 8  # 8:00 the day before the evaluated day
    u.water[1, fall:] = 0
    u.gas[1, fall:] = 0
    [a] = score(u, 24)
    assert (a.household, a.kind) == (1, "inactivity")
    assert a.hour == DAYS * 24 and fall <= a.onset <= fall + 1  # at the window's first hour, onset kept


def switching_electricity(u: Usage, seed: int = 3) -> None:
    """Appliances switched on and off at random awake hours (a TV, a kettle): activity on the electricity meter."""
    rng = np.random.default_rng(seed)
    hours = np.arange(u.shape[1]) % 24
    on = (hours >= 7) & (hours < 22) & (rng.random(u.shape) < 0.5)
    u.electricity[:] = u.electricity + np.where(on, 0.3, 0.0).astype(np.float32)


def test_a_fall_is_silence_on_every_meter_even_with_a_light_left_on():
    u = routine()
    switching_electricity(u)
    fall = last_day(8)
    u.water[0, fall:] = 0
    u.gas[0, fall:] = 0
    u.electricity[0, fall:] = 0.08 + 0.2 + 0.1  # base load, what was on, a lamp: constant, nobody switches
    assert [(a.household, a.kind) for a in score(u, 24)] == [(0, "inactivity")]


def test_water_silent_while_the_electricity_is_switched_is_not_a_fall():
    u = routine()
    switching_electricity(u)
    u.water[0, last_day(8):] = 0  # e.g. the water is cut off for works, but somebody is at home
    u.gas[0, last_day(8):] = 0
    assert [a for a in score(u, 24) if a.kind == "inactivity"] == []


def test_reduced_but_present_use_on_a_sick_day_is_not_a_fall():
    u = routine()
    day = slice(last_day(0), last_day(24) if last_day(24) <= u.shape[1] else None)
    hours = np.arange(u.shape[1])[day] % 24
    # In bed all day: no cooking, water only for the toilet every third hour.
    u.gas[1, day] = 0
    u.water[1, day] = np.where((hours >= 7) & (hours < 22) & (hours % 3 == 0), 6.0, 0.0)
    assert score(u, 24) == []


def test_missing_readings_are_a_data_gap_not_inactivity():
    u = routine()
    gap = last_day(8)
    for a in (u.water, u.gas, u.electricity):
        a[2, gap:] = np.nan  # the concentrator stopped reporting
    assert score(u, 24) == []
    assert data_gaps(u, 24) == [(2, gap, u.shape[1])]


def visitors(days: int) -> Usage:
    """Household 0 has visitors every weekend: 10:00-20:00 busy, well over 100 l every hour."""
    u = routine(days=days)
    rng = np.random.default_rng(1)
    hours = np.arange(u.shape[1])
    weekend = ((hours // 24) % 7 >= 5) & (hours % 24 >= 10) & (hours % 24 < 20)
    u.water[0, weekend] = rng.uniform(60, 160, weekend.sum()).astype(np.float32)
    return u


def test_a_weekend_with_the_usual_visitors_is_not_a_tap_left_open():
    u = visitors(34)  # the evaluated day is a Saturday
    assert (START + timedelta(days=33)).weekday() == 5
    assert score(u, 24) == []


def test_the_same_flow_on_a_weekday_in_a_visitor_household_is_continuous_use():
    u = visitors(33)  # the evaluated day is a Friday: no visitors then
    day = (33 - 1) * 24
    u.water[0, day + 10: day + 14] = 150.0
    alerts = [a for a in score(u, 24) if a.kind == "continuous_use"]
    assert [(a.household, a.meter_kind) for a in alerts] == [(0, "water")]
    assert alerts[0].hour <= day + 12


def test_public_holidays_are_judged_as_rest_days():
    u = visitors(33)
    day = (33 - 1) * 24
    u.water[0, day + 10: day + 20] = u.water[0, day - 24 * 6 + 10: day - 24 * 6 + 20]  # like last Saturday
    holiday = (START + timedelta(days=32)).date()
    assert [a for a in score(u, 24, Params(holidays=(holiday,))) if a.kind == "continuous_use"] == []


def test_heating_that_comes_on_by_itself_through_a_fall_is_not_activity():
    u = routine()
    rng = np.random.default_rng(5)
    hours = np.arange(u.shape[1])
    evening = (hours % 24 >= 17) | (hours % 24 < 8)
    level = np.repeat(rng.uniform(0.3, 1.3, DAYS), 24)  # the weather: some days colder than others
    level[-24:] = 1.5  # and the day of the fall the coldest: the biggest step of all at 17:00
    heating = np.where(evening, level * rng.uniform(0.9, 1.1, hours.size), 0.0).astype(np.float32)
    awake = (hours % 24 >= 7) & (hours % 24 < 22)
    u.electricity[:] = u.electricity + heating + np.where(awake & (rng.random(u.shape) < 0.4), 0.3, 0.0)
    fall = last_day(13)  # the silence is not yet alarming when the heating comes on at 17:00
    u.water[0, fall:] = 0
    u.gas[0, fall:] = 0
    u.electricity[0, fall:] = 0.08 + heating[fall:]  # base load and the thermostat, nothing else
    alerts = score(u, 24)
    assert [(a.household, a.kind) for a in alerts if a.kind == "inactivity"] == [(0, "inactivity")]
