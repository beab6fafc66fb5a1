"""`cityloop worker add` and `cityloop user delete`: the subcommands' arguments and what they print
(logic in backend/admin/workers.py and backend/admin/accounts.py).

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
