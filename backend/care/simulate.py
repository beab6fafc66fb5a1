"""Synthetic households for the care-watch benchmarks: hourly water, electricity and gas,
with labelled events. Deterministic for a given `SimParams` (seed included).

Routines (each household draws its own):
* chronotype: early riser (wakes ~5:00, sleeps ~20:30), regular (~7:00 / ~22:30),
  night owl (~9:30 / ~0:30); every day jitters by `jitter_h`;
* activity level: chance of using water in an awake hour, 0.55-0.9; meals cook on gas;
* weekend visitors (`visitor_share`): Saturday/Sunday 10-20 h busier, twice the water;
* holidays (`holidays`): everyone stays up later, visiting households are busier;
* seasonal heating (`heating_share`): electric heating from `heating_start`, 17:00-8:00, its
  level following the city's weather (cold spells last days) with +-10% hour to hour; a
  thermostat keeps heating whether or not anybody moves, so it also runs through falls;
* sick days (`sick_rate`): a *mild* illness, labelled (`unwell`) and not an event. The resident
  stays home and does less (40-75% of the usual active hours, half the cooking), but still
  goes to the toilet (a flush at least every 3 awake hours) and keeps lights and the TV on.
  A day with almost no water, gas or electricity use at all is not modelled as a harmless
  sick day on purpose: for a person living alone that is exactly what a worker should phone
  about, so counting it as a false alarm would reward a detector for missing it;
* meter outages (`gap_share`): a concentrator stops reporting one household's meters for
  6-72 h (NaN readings); not an event, and not inactivity either;
* background leak (`leak_share`): a cistern leaking 0.5-3 l/h all the time;
* showers (40% of days), weekly laundry (2 hours), soup simmering on gas (8% of days, 2 hours).

Events (at most one per household, after `event_start_day` so the detector has history):
* fall: from the onset, no water (but any leak) or gas; electricity keeps its base load, the
  heating (thermostat) and, in half the falls, the lights/TV that were on (a constant load:
  no switching), for 18-60 h;
* tap: a tap left open, 100-600 l/h (log-uniform), 3-10 h;
* gas: a burner left on, 0.15-0.45 m3/h, 2-6 h (only households with gas);
* travel: 2-10 days away, registered as a planned absence (whole days) - must NOT alert.

Limits (what the figures do not show): appliance use is drawn with water use (the same active
hours), so electricity rarely tells the detector more than water does here; hourly readings
only (no 15-minute data); one resident per household; no unregistered trips; taps add to the
household's normal use at a constant rate; public holidays are known to the detector.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone

import numpy as np

from backend.care.detector import Usage

TZ = timezone(timedelta(hours=8))  # Beijing time


@dataclass(frozen=True)
class SimParams:
    households: int = 2000
    days: int = 90
    start: date = date(2026, 10, 12)  # a Monday; the heating season starts inside the period
    seed: int = 1
    event_start_day: int = 31
    p_fall: float = 0.05
    p_tap: float = 0.05
    p_gas: float = 0.05
    p_travel: float = 0.08
    gas_share: float = 0.7
    leak_share: float = 0.08
    heating_share: float = 0.4
    heating_start: date = date(2026, 11, 15)
    visitor_share: float = 0.25
    holidays: tuple[date, ...] = (date(2026, 12, 31), date(2027, 1, 1), date(2027, 1, 2))
    sick_rate: float = 0.01
    gap_share: float = 0.05
    jitter_h: float = 0.4


@dataclass
class Event:
    household: int
    kind: str  # fall | tap | gas | travel
    onset: float  # hours since the start
    end: float


@dataclass
class Simulation:
    usage: Usage
    events: list[Event] = field(default_factory=list)
    unwell: np.ndarray | None = None  # (households, days): sick days, labelled but not events


def _coverage(onset: float, end: float, n_hours: int) -> np.ndarray:
    """Fraction of each hour inside [onset, end)."""
    edges = np.arange(n_hours, dtype=np.float64)
    return np.clip(np.minimum(edges + 1, end) - np.maximum(edges, onset), 0.0, 1.0)


def simulate(sp: SimParams = SimParams(), lo: int = 0, hi: int | None = None) -> Simulation:
    """Households `lo`..`hi` of the population `sp` describes. Each block draws from its own
    stream (seeded by `sp.seed` and `lo`), so a population made in the same blocks is the same."""
    hi = sp.households if hi is None else hi
    n, d = hi - lo, sp.days
    rng = np.random.default_rng([sp.seed, lo])
    hours = np.arange(24) + 0.5
    day_idx = np.arange(d)
    dates = [sp.start + timedelta(days=int(i)) for i in day_idx]
    weekend = np.array([x.weekday() >= 5 for x in dates])
    holiday = np.array([x in sp.holidays for x in dates])
    heating_on = np.array([x >= sp.heating_start for x in dates])

    chrono = rng.integers(0, 3, n)
    wake0 = np.choose(chrono, [5.0, 7.0, 9.5]) + rng.normal(0, 0.3, n)
    sleep0 = np.choose(chrono, [20.5, 22.5, 24.5]) + rng.normal(0, 0.3, n)
    level = rng.uniform(0.55, 0.9, n)
    visitors = rng.random(n) < sp.visitor_share
    has_gas = rng.random(n) < sp.gas_share
    leak = np.where(rng.random(n) < sp.leak_share, rng.uniform(0.5, 3.0, n), 0.0)
    heated = rng.random(n) < sp.heating_share
    base_e = rng.uniform(0.04, 0.12, n)

    wake = wake0[:, None] + rng.normal(0, sp.jitter_h, (n, d))
    sleep = sleep0[:, None] + rng.normal(0, sp.jitter_h, (n, d)) + holiday * 1.5
    sick = rng.random((n, d)) < sp.sick_rate
    h3 = hours[None, None, :]
    awake = ((h3 >= wake[:, :, None]) & (h3 < sleep[:, :, None])) | (h3 + 24 < sleep[:, :, None])
    busy = visitors[:, None, None] & (weekend | holiday)[None, :, None] & (h3 >= 10) & (h3 < 20)
    p_act = np.where(awake, level[:, None, None], 0.06).astype(np.float32)
    p_act = np.where(busy, 0.95, p_act)
    sick_level = rng.uniform(0.4, 0.75, (n, d)).astype(np.float32)
    p_act = np.where(sick[:, :, None] & awake, p_act * sick_level[:, :, None], p_act)
    active = rng.random((n, d, 24), dtype=np.float32) < p_act
    # Even in bed, a mild sick day has a toilet flush at least every third awake hour.
    flush = sick[:, :, None] & awake & ((np.arange(24) % 3) == (rng.integers(0, 3, (n, d)))[:, :, None])
    active |= flush
    litres = rng.lognormal(np.log(12.0), 0.6, (n, d, 24)).astype(np.float32)
    litres *= np.where(busy, 2.0, 1.0).astype(np.float32)
    water = np.where(active, litres, 0.0).astype(np.float32)
    # A shower on 40% of days, in the first awake hour.
    first_awake = np.clip(np.ceil(wake - 0.5).astype(int), 0, 23)
    shower = rng.random((n, d)) < 0.4
    ii, dd = np.nonzero(shower)
    water[ii, dd, first_awake[ii, dd]] += 45.0
    # Laundry once a week on the household's own weekday, two hours from 10:00.
    laundry_day = rng.integers(0, 7, n)
    ii, dd = np.nonzero((day_idx[None, :] % 7) == laundry_day[:, None])
    water[ii, dd, 10] += 35.0
    water[ii, dd, 11] += 30.0

    gas = np.zeros((n, d, 24), dtype=np.float32)
    meal_hours = (first_awake, np.full((n, d), 11), np.full((n, d), 17))
    for mh in meal_hours:
        cook = has_gas[:, None] & (rng.random((n, d)) < np.where(sick, 0.4, 0.8))
        ii, dd = np.nonzero(cook)
        gas[ii, dd, mh[ii, dd]] += rng.uniform(0.05, 0.2, ii.size).astype(np.float32)
        active[ii, dd, mh[ii, dd]] = True
    soup = has_gas[:, None] & (rng.random((n, d)) < 0.08)
    ii, dd = np.nonzero(soup)
    gas[ii, dd, 13] += rng.uniform(0.06, 0.1, ii.size).astype(np.float32)
    gas[ii, dd, 14] += rng.uniform(0.06, 0.1, ii.size).astype(np.float32)

    elec = base_e[:, None, None] * rng.uniform(0.9, 1.1, (n, d, 24)).astype(np.float32)
    elec += np.where(active, rng.uniform(0.1, 0.4, (n, d, 24)), 0.0).astype(np.float32)
    elec += np.where(awake, 0.05, 0.0).astype(np.float32)
    cold = (heated[:, None] & heating_on[None, :])[:, :, None] & ((h3 >= 17) | (h3 < 8))
    # The weather: a cold index shared by the city, correlated from day to day (AR(1)).
    weather = np.empty(d)
    weather[0] = 0.0
    shocks = rng.normal(0, 0.25, d)
    for i in range(1, d):
        weather[i] = 0.8 * weather[i - 1] + shocks[i]
    heat_level = rng.uniform(0.4, 1.0, n)[:, None] * np.clip(1.0 + weather, 0.4, 1.8)[None, :]
    heating = (heat_level[:, :, None] * rng.uniform(0.9, 1.1, (n, d, 24))).astype(np.float32)
    heating = np.where(cold, heating, 0.0).astype(np.float32)
    elec += heating

    t = d * 24
    water = water.reshape(n, t) + leak[:, None].astype(np.float32)
    gas = gas.reshape(n, t)
    elec = elec.reshape(n, t).astype(np.float32)
    heating = heating.reshape(n, t)
    absent = np.zeros((n, t), dtype=bool)
    events = _add_events(sp, rng, n, lo, wake, sleep, has_gas, leak, base_e[:, None] + heating, water, gas, elec, absent)
    gas_nan = np.where(has_gas[:, None], gas, np.nan).astype(np.float32)
    # Meter outages: all of a household's meters silent (NaN) for 6-72 hours, anywhere in the period.
    for h in np.nonzero(rng.random(n) < sp.gap_share)[0]:
        a = int(rng.integers(0, t - 6))
        b = min(t, a + int(rng.integers(6, 73)))
        for arr in (water, elec, gas_nan):
            arr[h, a:b] = np.nan
    start = datetime.combine(sp.start, time(0), TZ)
    return Simulation(Usage(start, water, elec, gas_nan, absent), events, sick)


def _add_events(sp, rng, n, lo, wake, sleep, has_gas, leak, idle_e, water, gas, elec, absent) -> list[Event]:
    """`idle_e` (households x hours): the electricity nobody switches (base load and heating)."""
    t = sp.days * 24
    choice = rng.random(n)
    cuts = np.cumsum([sp.p_fall, sp.p_tap, sp.p_gas, sp.p_travel])
    kinds = np.select([choice < cuts[0], choice < cuts[1], choice < cuts[2], choice < cuts[3]],
                      ["fall", "tap", "gas", "travel"], "")
    events: list[Event] = []
    for h in np.nonzero(kinds != "")[0]:
        kind = str(kinds[h])
        if kind == "gas" and not has_gas[h]:
            continue
        day = int(rng.integers(sp.event_start_day, sp.days - 3))
        awake_from, awake_to = wake[h, day], min(sleep[h, day], 23.5)
        onset = day * 24 + rng.uniform(awake_from, max(awake_from + 0.5, awake_to))
        if kind == "fall":
            end = min(t, onset + rng.uniform(18, 60))
            cov = _coverage(onset, end, t)
            inside = cov > 0
            # During the fall nothing is used: the partial first hour keeps its share of normal use;
            # what was left on (half the falls: lights/TV, 0.05-0.2 kW) keeps drawing, unchanged.
            left_on = rng.uniform(0.05, 0.2) if rng.random() < 0.5 else 0.0
            water[h] = np.where(inside, water[h] * (1 - cov) + leak[h] * cov, water[h])
            gas[h] = np.where(inside, gas[h] * (1 - cov), gas[h])
            elec[h] = np.where(inside, elec[h] * (1 - cov) + (idle_e[h] + left_on) * cov, elec[h])
        elif kind == "tap":
            end = min(t, onset + rng.uniform(3, 10))
            water[h] += (_coverage(onset, end, t) * np.exp(rng.uniform(np.log(100), np.log(600)))).astype(np.float32)
        elif kind == "gas":
            end = min(t, onset + rng.uniform(2, 6))
            gas[h] += (_coverage(onset, end, t) * rng.uniform(0.15, 0.45)).astype(np.float32)
        else:  # travel, registered as whole days
            onset = day * 24 + 9 + rng.uniform(0, 3)
            end = min(t, onset + 24 * rng.uniform(2, 10))
            cov = _coverage(onset, end, t)
            inside = cov > 0
            water[h] = np.where(inside, water[h] * (1 - cov) + leak[h] * cov, water[h])
            gas[h] = np.where(inside, gas[h] * (1 - cov), gas[h])
            elec[h] = np.where(inside, elec[h] * (1 - cov) + idle_e[h] * cov, elec[h])
            absent[h, day * 24: min(t, (int(end // 24) + 1) * 24)] = True
        events.append(Event(lo + int(h), kind, float(onset), float(end)))
    return events
