"""Demo accounts for the local stack (public demo credentials, printed by `make run`).

Created straight in `auth.users` with bcrypt hashes, before `seed.sql` runs, so the
seed can refer to them by id. On hosted Supabase create them with the admin API.
"""

from __future__ import annotations

import json
from pathlib import Path

import bcrypt
import psycopg
from psycopg.types.json import Jsonb

DEMO_USERS_FILE = Path(__file__).resolve().parents[1] / "supabase" / "demo_users.json"


def demo_users(path: Path = DEMO_USERS_FILE) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))


def create_demo_users(conn: psycopg.Connection, users: list[dict] | None = None) -> int:
    created = 0
    for user in users if users is not None else demo_users():
        hashed = bcrypt.hashpw(user["password"].encode(), bcrypt.gensalt(rounds=10)).decode()
        app_meta = {"provider": "email" if user.get("email") else "phone",
                    "providers": ["email" if user.get("email") else "phone"], **user.get("app_metadata", {})}
        cur = conn.execute(
            """insert into auth.users (id, email, phone, encrypted_password, email_confirmed_at, phone_confirmed_at,
                                       raw_app_meta_data, raw_user_meta_data)
               values (%s, %s, %s, %s, case when %s::text is not null then now() end,
                       case when %s::text is not null then now() end, %s, %s)
               on conflict (id) do nothing""",
            (user["id"], user.get("email"), user.get("phone"), hashed, user.get("email"), user.get("phone"),
             Jsonb(app_meta), Jsonb(user.get("user_metadata", {}))),
        )
        created += cur.rowcount
    return created
