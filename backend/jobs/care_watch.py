"""Care watch job: read the last 29 days of hourly use, score every household, record alerts,
escalate alerts nobody followed up.

The scoring itself is `backend.care.detector.score` (arrays in, alerts out); this module is
the I/O around it, through the API with the service-role key:
  `rpc/care_scan_input` (hourly use per subject and meter kind), `care_absences` (planned
  absences), `rpc/record_care_alerts` (one open alert per subject and kind, routed to the
  grid's on-duty worker with a notification), `rpc/run_care_escalations` (30 min without a
  follow-up -> supervisors).
`cityloop care scan` runs one pass; the application's composition (backend/functions/host.py:
beside the local stack, or `cityloop functions serve`) runs `CareWatchService`: a scan every
`CITYLOOP_CARE_SCAN_INTERVAL` seconds (default 900; 0 disables) and the escalation step every
`CITYLOOP_CARE_ESCALATION_INTERVAL` seconds (default 60). Hours are local to the city's time zone
(`CITYLOOP_TZ`, shared/config.py; default Asia/Shanghai): routines follow the clock on the wall.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any, Iterable
from zoneinfo import ZoneInfo

import numpy as np

from backend.care.detector import KINDS, Alert, Params, Usage, data_gaps, score
from backend.jobs.schedule import Periodic
from shared.config import city_tz_name

if TYPE_CHECKING:  # pragma: no cover
    from supabase import Client

log = logging.getLogger("cityloop.jobs.care_watch")
EVAL_HOURS = 24


def _parse(ts: str) -> datetime:
    return datetime.fromisoformat(ts.replace("Z", "+00:00"))


def build_usage(rows: Iterable[dict[str, Any]], absences: Iterable[dict[str, Any]], start: datetime,
                hours: int) -> tuple[list[str], Usage]:
    """Arrays (subjects x hours) from `care_scan_input` rows and absences; hour 0 begins at `start`."""
    rows = list(rows)
    subjects = sorted({r["subject_id"] for r in rows})
    index = {s: i for i, s in enumerate(subjects)}
    arrays: dict[str, np.ndarray] = {}
    seen = {k: np.zeros(len(subjects), dtype=bool) for k in KINDS}
    for k in KINDS:
        arrays[k] = np.full((len(subjects), hours), np.nan, dtype=np.float32)
    for r in rows:
        t = int((_parse(r["hour"]) - start).total_seconds() // 3600)
        if 0 <= t < hours:
            i = index[r["subject_id"]]
            arrays[r["kind"]][i, t] = r["value"]
            seen[r["kind"]][i] = True
    # An hour a meter did not report stays NaN: the detector treats it as unknown, not as zero
    # use (a meter that stops reporting must not look like a resident who stopped moving).
    absent = np.zeros((len(subjects), hours), dtype=bool)
    for a in absences:
        i = index.get(a["subject_id"])
        if i is None:
            continue
        lo = max(0, int((_parse(a["starts_at"]) - start).total_seconds() // 3600))
        hi = min(hours, int(-(-(_parse(a["ends_at"]) - start).total_seconds() // 3600)))
        absent[i, lo:hi] = True
    usage = Usage(start, *(arrays[k] if seen[k].any() else None for k in KINDS), absent=absent)
    return subjects, usage


def alert_rows(subjects: list[str], alerts: list[Alert], start: datetime) -> list[dict[str, Any]]:
    return [{
        "subject_id": subjects[a.household], "kind": a.kind, "severity": a.severity, "meter_kind": a.meter_kind,
        "onset_at": (start + timedelta(hours=a.onset)).isoformat(),
        "detected_at": (start + timedelta(hours=a.hour + 1)).isoformat(),
        "evidence": a.evidence,
    } for a in alerts]


def run_scan(client: "Client", now: datetime | None = None, params: Params = Params(),
             tz: str | None = None) -> dict[str, Any]:
    """One scan through the API (`client` carries the service-role key); returns counts."""
    zone = ZoneInfo(tz or city_tz_name())
    now = now or datetime.now(timezone.utc)
    end = now.astimezone(zone).replace(minute=0, second=0, microsecond=0)  # the last complete hour ends here
    hours = params.train_days * 24 + EVAL_HOURS
    start = end - timedelta(hours=hours)
    rows = client.rpc("care_scan_input", {"since": start.isoformat(), "until": end.isoformat()}).execute().data
    absences = (client.table("care_absences").select("subject_id,starts_at,ends_at")
                .lt("starts_at", end.isoformat()).gt("ends_at", start.isoformat()).execute().data)
    summary: dict[str, Any] = {"households": 0, "alerts": 0, "created": 0, "skipped": 0}
    if rows:
        subjects, usage = build_usage(rows, absences, start, hours)
        alerts = score(usage, EVAL_HOURS, params)
        summary["households"] = len(subjects)
        summary["alerts"] = len(alerts)
        gaps = data_gaps(usage, EVAL_HOURS)
        summary["data_gaps"] = len({g[0] for g in gaps})  # households whose meters went quiet: check the meters
        if gaps:
            log.info("care watch: no readings for 6 h or more from %s", sorted({subjects[g[0]] for g in gaps}))
        if alerts:
            recorded = client.rpc("record_care_alerts", {"alerts": alert_rows(subjects, alerts, start),
                                                         "at": now.isoformat()}).execute().data
            summary.update(recorded)
    summary.update(run_care_escalations(client, now))
    client.rpc("record_job_run", {"job": "care_scan"}).execute()  # job health (migration 1170)
    return summary


def run_care_escalations(client: "Client", now: datetime | None = None) -> dict[str, int]:
    """Open alerts without a follow-up for 30 min go to the supervisors; `now` is injectable."""
    args = {"at": now.isoformat()} if now else {}
    return client.rpc("run_care_escalations", args).execute().data


class CareWatchService(Periodic):
    """The scheduler: scans and escalation passes through a service-role client; failures are logged, never fatal."""

    def __init__(self, scan_interval_s: float, escalation_interval_s: float, tz: str | None = None):
        super().__init__(log)
        self.scan_interval_s = scan_interval_s
        self.escalation_interval_s = escalation_interval_s
        self.tz = tz
        self.scans = 0

    async def start(self, client: "Client") -> None:
        """`client`: a supabase-py client with the service-role key (its calls run in a thread)."""
        if self.scan_interval_s > 0:
            self.every(self.scan_interval_s, lambda: self.scan_once(client), "cityloop-care-scan")
        if self.escalation_interval_s > 0:
            self.every(self.escalation_interval_s, lambda: self._pass("run_care_escalations", run_care_escalations,
                                                                      client), "cityloop-care-escalations")

    async def scan_once(self, client: "Client") -> dict[str, Any] | None:
        summary = await self._pass("run_scan", lambda c: run_scan(c, tz=self.tz), client)
        if summary is not None:
            self.scans += 1
        return summary

    async def _pass(self, label: str, job, client) -> dict[str, Any] | None:
        summary = await self.guarded(f"care watch {label}", asyncio.to_thread(job, client))
        if summary and any(v for k, v in summary.items() if k not in ("households",)):
            log.info("care watch: %s", summary)
        return summary
