"""`cityloop` command line: the local stack and administration."""

from __future__ import annotations

import argparse
import json
import sys


def _stack():
    """The local stack, with the application's functions and jobs composed beside it."""
    from backend.functions.local import local_stack

    return local_stack()


def _service_api() -> tuple[str, str]:
    """SUPABASE_URL and SUPABASE_SERVICE_ROLE_KEY from the environment, else the local stack's."""
    from backend.functions.config import command_environ

    env = command_environ()
    return env["SUPABASE_URL"], env["SUPABASE_SERVICE_ROLE_KEY"]


def cmd_backend(args: argparse.Namespace) -> int:
    stack = _stack()
    if args.action == "start":
        stack.start()
        print(stack.settings.api_url)
    elif args.action == "stop":
        stack.stop()
        print("stopped")
    elif args.action == "status":
        status = stack.status()
        if args.json:
            print(json.dumps(status, indent=2))
        else:
            for k, v in status.items():
                print(f"{k:14} {v}")
        return 0 if status["gateway"] == "running" else 3
    return 0


def cmd_env(args: argparse.Namespace) -> int:
    env = _stack().env()
    if args.json:
        print(json.dumps(env, indent=2))
    else:
        for k, v in env.items():
            print(f"{k}={v}")
    return 0


def cmd_db(args: argparse.Namespace) -> int:
    stack = _stack()
    if args.action == "reset":
        stack.reset_database()
        print("database recreated, migrated and seeded")
    elif args.action == "migrate":
        stack.start_database()
        applied = stack.prepare_database(seed=False)
        print(f"applied {len(applied)} migration(s)")
    return 0


def cmd_jobs(args: argparse.Namespace) -> int:
    """One pass of a scheduled job through the API with the service-role key (SUPABASE_URL and
    SUPABASE_SERVICE_ROLE_KEY from the environment, else the local stack's)."""
    import httpx
    from postgrest.exceptions import APIError
    from supabase import create_client

    from backend.jobs.escalations import run_escalations

    url, key = _service_api()
    try:
        if args.job == "escalate":
            print(json.dumps(run_escalations(create_client(url, key))))
    except (httpx.HTTPError, APIError) as exc:
        print(f"cityloop: {args.job} failed at {url}: {getattr(exc, 'message', None) or exc}", file=sys.stderr)
        return 1
    return 0


def cmd_payments(args: argparse.Namespace) -> int:
    """`cityloop bills import FILE.csv` and `cityloop payments reconcile`, with the service-role key
    (SUPABASE_URL and SUPABASE_SERVICE_ROLE_KEY from the environment, else the local stack's)."""
    import asyncio
    from pathlib import Path

    from backend.payments import cli_actions

    url, key = _service_api()
    home = _stack().settings.home
    try:
        if args.command == "bills":
            result = asyncio.run(cli_actions.import_csv(url, key, Path(args.file)))
        else:
            result = asyncio.run(cli_actions.reconcile(url, key, home))
    except cli_actions.CliFailure as exc:
        print(f"cityloop: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(result))
    return 0


def cmd_sms(args: argparse.Namespace) -> int:
    """The local SMS sink's messages, newest first (read from the state folder; no gateway needed)."""
    from backend.local_supabase.config import Settings
    from backend.local_supabase.sms_sink.store import Outbox

    messages = Outbox(Settings.from_environ().sms_outbox).list(args.phone)
    if args.json:
        print(json.dumps([m.__dict__ for m in messages], ensure_ascii=False, indent=2))
    for m in [] if args.json else messages:
        print(f"{m.created_at}  {m.phone}  {m.sender or '-'}  {m.body}")
    return 0


def cmd_functions(args: argparse.Namespace) -> int:
    """`cityloop functions serve`: the application's functions and jobs against SUPABASE_URL (docs/production.md)."""
    from backend.functions.config import FunctionsSettings
    from backend.functions.serve import serve

    try:
        settings = FunctionsSettings.from_environ()
    except ValueError as exc:
        print(f"cityloop functions: {exc}", file=sys.stderr)
        return 2
    serve(settings)
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    from backend.run_all import run_all

    return run_all(_stack())


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cityloop", description="CityLoop: city grid governance")
    sub = parser.add_subparsers(dest="command", required=True)

    backend = sub.add_parser("backend", help="the local Supabase-compatible stack")
    backend.add_argument("action", choices=["start", "stop", "status"])
    backend.add_argument("--json", action="store_true")
    backend.set_defaults(func=cmd_backend)

    env = sub.add_parser("env", help="print SUPABASE_URL, keys and DATABASE_URL")
    env.add_argument("--json", action="store_true")
    env.set_defaults(func=cmd_env)

    db = sub.add_parser("db", help="database administration")
    db.add_argument("action", choices=["reset", "migrate"])
    db.set_defaults(func=cmd_db)

    jobs = sub.add_parser("jobs", help="run a scheduled job once")
    jobs.add_argument("job", choices=["escalate"], help="escalate: unanswered SOS and overdue cases")
    jobs.set_defaults(func=cmd_jobs)

    bills = sub.add_parser("bills", help="utility bills")
    bills.add_argument("action", choices=["import"])
    bills.add_argument("file", help="CSV: provider,kind,account_no,holder_name,address,period,amount_fen,due_date")
    bills.set_defaults(func=cmd_payments)

    payments = sub.add_parser("payments", help="living-bill payments")
    payments.add_argument("action", choices=["reconcile"], help="reconcile: settle lost notifications, expire, remind")
    payments.set_defaults(func=cmd_payments)

    from backend.care.commands import add_parser as add_care_parser

    add_care_parser(sub)

    from backend.admin.commands import add_parser as add_admin_parser

    add_admin_parser(sub)

    sms = sub.add_parser("sms", help="the local SMS sink")
    sms.add_argument("action", choices=["outbox"], help="outbox: the messages sent, newest first")
    sms.add_argument("--phone", help="only this number's (any spelling: +86 138..., 86138...)")
    sms.add_argument("--json", action="store_true")
    sms.set_defaults(func=cmd_sms)

    functions = sub.add_parser("functions", help="the application's HTTP functions and jobs beside any Supabase")
    functions.add_argument("action", choices=["serve"],
                           help="serve: payment functions and jobs against SUPABASE_URL with SUPABASE_SERVICE_ROLE_KEY")
    functions.set_defaults(func=cmd_functions)

    run = sub.add_parser("run", help="start the backend and serve both apps (Ctrl-C stops everything)")
    run.set_defaults(func=cmd_run)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args) or 0
    except RuntimeError as exc:
        print(f"cityloop: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
