"""`cityloop worker add`, `cityloop user delete`, `cityloop calendar seed|load` and `cityloop report export`:
the subcommands' arguments and what they print (logic in backend/admin/workers.py, accounts.py,
calendar.py and shared/report_export.py).

Uses SUPABASE_URL and SUPABASE_SERVICE_ROLE_KEY from the environment, else the local stack's.
"""

from __future__ import annotations

import argparse
import json
import sys


def add_parser(sub: argparse._SubParsersAction) -> None:
    worker = sub.add_parser("worker", help="staff accounts (grid workers, department staff, supervisors)")
    actions = worker.add_subparsers(dest="worker_action", required=True)
    add = actions.add_parser("add", help="create a staff account with its role and assignments")
    add.add_argument("--name", required=True, help="display name, e.g. 李强")
    add.add_argument("--phone", required=True, help="mobile number; also the sign-in name")
    add.add_argument("--grid", action="append", default=[], dest="grids",
                     help="grid code (repeat for several), e.g. 120101001001-01")
    add.add_argument("--role", default="grid_worker", choices=["grid_worker", "dept_staff", "supervisor"])
    add.add_argument("--department", help="department code, for dept_staff (e.g. environment)")
    add.add_argument("--street", help="street code, for a supervisor (e.g. 120101001)")
    add.add_argument("--email")
    add.add_argument("--password", help="at least 8 characters; one is generated and printed when left out")
    add.add_argument("--off-duty", action="store_true", help="a grid worker starts off duty")
    add.add_argument("--json", action="store_true")
    add.set_defaults(func=cmd_worker)

    user = sub.add_parser("user", help="people's accounts")
    user_actions = user.add_subparsers(dest="user_action", required=True)
    delete = user_actions.add_parser("delete", help="delete an account: its files, then the account (history stays "
                                                    "anonymised)")
    delete.add_argument("user_id", help="the account's id (uuid)")
    delete.set_defaults(func=cmd_user_delete)

    calendar = sub.add_parser("calendar", help="China's official working-day calendar (holidays, 调休)")
    calendar_actions = calendar.add_subparsers(dest="calendar_action", required=True)
    seed = calendar_actions.add_parser("seed", help="write the seed migration from the chinese-calendar package")
    seed.set_defaults(func=cmd_calendar_seed)
    load = calendar_actions.add_parser("load", help="load one year's official list (the year stops being provisional)")
    load.add_argument("--year", type=int, required=True)
    load.add_argument("--file", help="CSV day,is_working_day,name (holidays and adjusted working days); "
                                     "without it, the installed chinese-calendar package's list")
    load.add_argument("--source", help="where the list comes from (default: the file or the package)")
    load.set_defaults(func=cmd_calendar_load)

    from shared.report_export import FORMATS, GROUPS

    report = sub.add_parser("report", help="performance reports (考核)")
    report_actions = report.add_subparsers(dest="report_action", required=True)
    export = report_actions.add_parser("export", help="the rows of rpc/performance for the city, as CSV or XLSX")
    export.add_argument("--by", required=True, choices=GROUPS)
    export.add_argument("--from", dest="from_date", required=True, help="first city date, YYYY-MM-DD")
    export.add_argument("--to", dest="to_date", required=True, help="last city date (included), YYYY-MM-DD")
    export.add_argument("--format", default="csv", choices=FORMATS)
    export.add_argument("--out", help="file to write (default: CSV to standard output, XLSX to "
                                      "performance-<by>-<from>-<to>.xlsx)")
    export.set_defaults(func=cmd_report_export)


def _service_client():
    from supabase import ClientOptions, create_client

    from backend.functions.config import command_environ

    env = command_environ()
    return create_client(env["SUPABASE_URL"], env["SUPABASE_SERVICE_ROLE_KEY"], options=ClientOptions(auto_refresh_token=False, persist_session=False))


def cmd_worker(args: argparse.Namespace) -> int:
    import httpx

    from backend.admin.workers import AdminError, NewWorker, add_worker

    wanted = NewWorker(name=args.name, phone=args.phone, role=args.role, grids=args.grids,
                       department=args.department, street=args.street, email=args.email, password=args.password,
                       on_duty=not args.off_duty)
    try:
        created = add_worker(_service_client(), wanted)
    except AdminError as exc:
        print(f"cityloop: worker add: {exc}", file=sys.stderr)
        return 2
    except httpx.HTTPError as exc:
        print(f"cityloop: worker add: the backend did not answer: {exc}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(created.__dict__))
    else:
        print(f"created {created.role} {created.user_id} (sign in with {created.phone})")
        print("assigned: " + ", ".join(created.assignments))
        if created.generated_password:
            print(f"password: {created.password}  (shown once; ask them to keep it safe)")
    return 0


def cmd_user_delete(args: argparse.Namespace) -> int:
    import httpx
    from supabase_auth.errors import AuthApiError

    from backend.admin.accounts import delete_account

    try:
        deleted = delete_account(_service_client(), args.user_id)
    except ValueError:
        print(f"cityloop: user delete: not an account id: {args.user_id}", file=sys.stderr)
        return 2
    except AuthApiError as exc:
        print(f"cityloop: user delete: {exc.message}", file=sys.stderr)
        return 2
    except httpx.HTTPError as exc:
        print(f"cityloop: user delete: the backend did not answer: {exc}", file=sys.stderr)
        return 1
    print(f"deleted {deleted.user_id} ({deleted.objects_removed} files removed)")
    return 0


def cmd_calendar_seed(args: argparse.Namespace) -> int:
    from backend.admin.calendar import write_seed

    print(f"wrote {write_seed()}")
    return 0


def cmd_calendar_load(args: argparse.Namespace) -> int:
    from pathlib import Path

    import httpx
    from postgrest.exceptions import APIError

    from backend.admin.calendar import CalendarError, load_year, package_days, package_source, read_days_file

    try:
        if args.file:
            days, source = read_days_file(Path(args.file), args.year), args.source or Path(args.file).name
        else:
            days, source = package_days(args.year), args.source or package_source()
        loaded = load_year(_service_client(), args.year, days, source)
    except CalendarError as exc:
        print(f"cityloop: calendar load: {exc}", file=sys.stderr)
        return 2
    except APIError as exc:
        print(f"cityloop: calendar load: {exc.message}", file=sys.stderr)
        return 2
    except httpx.HTTPError as exc:
        print(f"cityloop: calendar load: the backend did not answer: {exc}", file=sys.stderr)
        return 1
    print(f"loaded {loaded['days']} days of {loaded['year']} from {source}")
    return 0


def cmd_report_export(args: argparse.Namespace) -> int:
    from pathlib import Path

    import httpx
    from postgrest.exceptions import APIError

    from shared.report_export import export_bytes, fetch_rows, file_name, to_csv

    try:
        rows = fetch_rows(_service_client(), args.by, args.from_date, args.to_date)
    except APIError as exc:
        print(f"cityloop: report export: {exc.message}", file=sys.stderr)
        return 2
    except httpx.HTTPError as exc:
        print(f"cityloop: report export: the backend did not answer: {exc}", file=sys.stderr)
        return 1
    if args.format == "csv" and not args.out:
        sys.stdout.write(to_csv(rows))
        return 0
    out = Path(args.out or file_name(args.by, args.from_date, args.to_date, args.format))
    try:
        out.write_bytes(export_bytes(rows, args.format, f"{args.by} {args.from_date}..{args.to_date}"))
    except OSError as exc:
        print(f"cityloop: report export: cannot write {out}: {exc}", file=sys.stderr)
        return 2
    print(f"wrote {len(rows)} rows to {out}")
    return 0
