"""`cityloop worker add`: a staff account with its role in app_metadata, and its assignments.

Runs through the Auth admin API and /rest/v1 with the service-role key, as an
administrator would against hosted Supabase. Everything is checked before the
account is created (grid, department and street codes, the phone's format); if an
assignment still fails, the new account is deleted again, so nothing is half-made.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from typing import Any

ROLES = ("grid_worker", "dept_staff", "supervisor")
PHONE = re.compile(r"^\+?[0-9]{6,20}$")


class AdminError(Exception):
    """A refusal worded for the person at the terminal."""


@dataclass
class NewWorker:
    name: str
    phone: str
    role: str = "grid_worker"
    grids: list[str] = field(default_factory=list)  # area codes of level grid
    department: str | None = None  # dept_staff
    street: str | None = None  # supervisor: area code of level street
    email: str | None = None
    password: str | None = None
    on_duty: bool = True


@dataclass
class Created:
    user_id: str
    phone: str
    role: str
    password: str
    generated_password: bool
    assignments: list[str]


def _normalise_phone(phone: str) -> str:
    value = phone.strip().replace(" ", "").replace("-", "")
    if not PHONE.match(value):
        raise AdminError(f"phone {phone!r} is not a phone number (digits, optionally a leading +)")
    return value


def _check(w: NewWorker) -> None:
    if w.role not in ROLES:
        raise AdminError(f"role must be one of {', '.join(ROLES)}, not {w.role!r}")
    if not w.name.strip():
        raise AdminError("a name is required")
    if w.role == "grid_worker" and not w.grids:
        raise AdminError("a grid worker needs at least one grid (--grid CODE)")
    if w.role == "dept_staff" and not w.department:
        raise AdminError("department staff need a department (--department CODE)")
    if w.role == "supervisor" and not w.street:
        raise AdminError("a supervisor needs a street (--street CODE)")
    if w.password is not None and len(w.password) < 8:
        raise AdminError("the password must have at least 8 characters")


def _areas(client: Any, level: str, codes: list[str]) -> dict[str, str]:
    rows = client.table("areas").select("id, code").eq("level", level).in_("code", codes).execute().data
    found = {r["code"]: r["id"] for r in rows}
    missing = [c for c in codes if c not in found]
    if missing:
        raise AdminError(f"unknown {level} code(s): {', '.join(missing)}")
    return found


def add_worker(client: Any, w: NewWorker) -> Created:
    """Create the account and its assignments with a service-role supabase client."""
    _check(w)
    phone = _normalise_phone(w.phone)
    grids = _areas(client, "grid", w.grids) if w.role == "grid_worker" else {}
    streets = _areas(client, "street", [w.street]) if w.role == "supervisor" else {}
    if w.role == "dept_staff":
        if not client.table("departments").select("code").eq("code", w.department).execute().data:
            raise AdminError(f"unknown department code: {w.department}")
    if client.table("profiles").select("id").eq("phone", phone).execute().data:
        raise AdminError(f"an account with phone {phone} already exists")

    password = w.password or secrets.token_urlsafe(12)
    attributes: dict[str, Any] = {"phone": phone, "password": password, "phone_confirm": True,
                                  "app_metadata": {"role": w.role},
                                  "user_metadata": {"display_name": w.name.strip()}}
    if w.email:
        attributes |= {"email": w.email.strip(), "email_confirm": True}
    try:
        user = client.auth.admin.create_user(attributes).user
    except Exception as exc:  # noqa: BLE001 - supabase_auth's error family; reworded below
        text = str(getattr(exc, "message", exc))
        if "already" in text.lower() or "exists" in text.lower() or "registered" in text.lower():
            raise AdminError(f"an account with this phone or e-mail already exists ({text})") from exc
        raise AdminError(f"the account could not be created: {text}") from exc

    try:
        assignments = _assign(client, user.id, w, grids, streets)
    except Exception as exc:
        client.auth.admin.delete_user(user.id)
        raise AdminError(f"the assignments failed, the account was removed again: {exc}") from exc
    return Created(user.id, phone, w.role, password, w.password is None, assignments)


def _assign(client: Any, uid: str, w: NewWorker, grids: dict[str, str], streets: dict[str, str]) -> list[str]:
    done = []
    if w.role == "grid_worker":
        client.table("worker_grids").insert([{"worker_id": uid, "grid_id": gid} for gid in grids.values()]).execute()
        client.table("worker_duty").upsert({"worker_id": uid, "on_duty": w.on_duty}).execute()
        done += [f"grid {code}" for code in grids]
    elif w.role == "dept_staff":
        client.table("department_staff").insert({"user_id": uid, "department_code": w.department}).execute()
        done.append(f"department {w.department}")
    else:
        client.table("supervisor_streets").insert([{"user_id": uid, "street_id": sid}
                                                   for sid in streets.values()]).execute()
        done += [f"street {code}" for code in streets]
    return done
