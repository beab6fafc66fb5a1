"""`cityloop care ...`: import meter readings from CSV, run one care-watch scan."""

from __future__ import annotations

import argparse
import json
import sys


def _env() -> dict[str, str]:
    """SUPABASE_URL, SUPABASE_SERVICE_ROLE_KEY and DATABASE_URL from the environment, else the local stack's."""
    from backend.functions.config import command_environ

    return command_environ(("SUPABASE_URL", "SUPABASE_SERVICE_ROLE_KEY", "DATABASE_URL"))


def cmd_import(args: argparse.Namespace) -> int:
    import psycopg

    from backend.care.ingest import import_csv

    env = _env()
    try:
        with psycopg.connect(env["DATABASE_URL"]) as conn:
            result = import_csv(conn, args.file)
    except (OSError, ValueError) as exc:
        print(f"cityloop: care import: {exc}", file=sys.stderr)
        return 1
    for bad in result.bad:
        print(f"line {bad.line}: {bad.reason}", file=sys.stderr)
    if result.bad_count > len(result.bad):
        print(f"... and {result.bad_count - len(result.bad)} more bad line(s)", file=sys.stderr)
    print(json.dumps(result.summary()))
    return 2 if result.bad_count else 0


def cmd_scan(args: argparse.Namespace) -> int:
    import httpx
    from postgrest.exceptions import APIError
    from supabase import create_client

    from backend.jobs.care_watch import run_scan

    env = _env()
    try:
        summary = run_scan(create_client(env["SUPABASE_URL"], env["SUPABASE_SERVICE_ROLE_KEY"]))
    except (httpx.HTTPError, APIError) as exc:
        print(f"cityloop: care scan failed: {getattr(exc, 'message', None) or exc}", file=sys.stderr)
        return 1
    print(json.dumps(summary))
    return 0


def add_parser(sub: "argparse._SubParsersAction") -> None:
    care = sub.add_parser("care", help="care watch: import meter readings, scan for alerts")
    actions = care.add_subparsers(dest="care_action", required=True)
    imp = actions.add_parser("import", help="import readings from a CSV file (meter_id,read_at,value)")
    imp.add_argument("file")
    imp.set_defaults(func=cmd_import)
    scan = actions.add_parser("scan", help="score every household once, record new alerts, escalate old ones")
    scan.set_defaults(func=cmd_scan)
