"""`cityloop worker add` through the real command against the suite's stack: the account signs in with
its role, its assignments are in place, and bad input is refused with a clear message and nothing made."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from pathlib import Path

from supabase import ClientOptions, create_client

from tests.backend.core_support import GRIDS, ensure_demo_city

ROOT = Path(__file__).resolve().parents[2]


def worker_add(stack, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, SUPABASE_URL=stack.url, SUPABASE_SERVICE_ROLE_KEY=stack.service_key)
    return subprocess.run([sys.executable, "-m", "backend.cli", "worker", "add", *args], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=120)


def new_phone() -> str:
    return "139" + "".join(random.choice("0123456789") for _ in range(8))


def sign_in(stack, phone: str, password: str):
    client = create_client(stack.url, stack.anon_key,
                           options=ClientOptions(auto_refresh_token=False, persist_session=False))
    return client, client.auth.sign_in_with_password({"phone": phone, "password": password})


def accounts(db, phone: str) -> int:
    return db.execute("select count(*) from auth.users where phone = %s", (phone,)).fetchone()[0]


def test_a_grid_worker_is_created_with_role_grids_and_duty(stack, db) -> None:
    ensure_demo_city(db)
    phone = new_phone()
    done = worker_add(stack, "--name", "测试网格员", "--phone", phone, "--grid", "120101001001-01",
                      "--grid", "120101001001-02", "--json")
    assert done.returncode == 0, done.stderr
    created = json.loads(done.stdout)
    assert created["role"] == "grid_worker" and created["generated_password"]
    client, session = sign_in(stack, phone, created["password"])
    assert session.user.app_metadata["role"] == "grid_worker"
    grids = {r["grid_id"] for r in client.table("worker_grids").select("grid_id").execute().data}
    assert grids == {GRIDS[0], GRIDS[1]}
    assert client.table("worker_duty").select("on_duty").execute().data == [{"on_duty": True}]
    profile = client.table("profiles").select("display_name, role").execute().data[0]
    assert profile == {"display_name": "测试网格员", "role": "grid_worker"}


def test_staff_and_supervisors_get_their_department_and_street(stack, db) -> None:
    ensure_demo_city(db)
    phone = new_phone()
    done = worker_add(stack, "--name", "环保科", "--phone", phone, "--role", "dept_staff", "--department",
                      "environment", "--password", "staff-pass-2026", "--email", f"s{phone}@test.cityloop.local")
    assert done.returncode == 0, done.stderr
    assert "password:" not in done.stdout  # chosen by the admin: never echoed
    client, session = sign_in(stack, phone, "staff-pass-2026")
    assert session.user.app_metadata["role"] == "dept_staff"
    assert client.table("department_staff").select("department_code").execute().data == [
        {"department_code": "environment"}]

    phone = new_phone()
    done = worker_add(stack, "--name", "街道督办", "--phone", phone, "--role", "supervisor", "--street", "120101001",
                      "--password", "super-pass-2026")
    assert done.returncode == 0, done.stderr
    client, session = sign_in(stack, phone, "super-pass-2026")
    assert session.user.app_metadata["role"] == "supervisor"
    assert len(client.table("supervisor_streets").select("street_id").execute().data) == 1


def test_bad_input_is_refused_clearly_and_creates_nothing(stack, db) -> None:
    ensure_demo_city(db)
    phone = new_phone()
    unknown = worker_add(stack, "--name", "甲", "--phone", phone, "--grid", "120101001001-01", "--grid", "no-such-grid")
    assert unknown.returncode == 2 and "unknown grid code(s): no-such-grid" in unknown.stderr
    assert accounts(db, phone) == 0

    no_grid = worker_add(stack, "--name", "甲", "--phone", phone)
    assert no_grid.returncode == 2 and "at least one grid" in no_grid.stderr
    bad_dept = worker_add(stack, "--name", "甲", "--phone", phone, "--role", "dept_staff", "--department", "nope")
    assert bad_dept.returncode == 2 and "unknown department code: nope" in bad_dept.stderr
    bad_phone = worker_add(stack, "--name", "甲", "--phone", "call-me", "--grid", "120101001001-01")
    assert bad_phone.returncode == 2 and "is not a phone number" in bad_phone.stderr
    assert accounts(db, phone) == 0

    assert worker_add(stack, "--name", "甲", "--phone", phone, "--grid", "120101001001-01").returncode == 0
    again = worker_add(stack, "--name", "乙", "--phone", phone, "--grid", "120101001001-02")
    assert again.returncode == 2 and "already exists" in again.stderr
    assert accounts(db, phone) == 1
