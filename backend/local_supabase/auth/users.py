"""SQL on the auth schema: accounts, sessions, refresh tokens. Bound parameters only.

Every function takes a connection; the caller owns the transaction, so a
route decides what must be written together.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg
from psycopg.rows import class_row
from psycopg.types.json import Jsonb

Conn = psycopg.AsyncConnection
Metadata = dict[str, Any]

_USER_COLUMNS = (
    "id, aud, role, email, phone, encrypted_password, email_confirmed_at, phone_confirmed_at, "
    "last_sign_in_at, raw_app_meta_data, raw_user_meta_data, banned_until, is_anonymous, "
    "created_at, updated_at, deleted_at, coalesce(phone_change, '') as phone_change"
)
_ACTIVE = "deleted_at is null"


@dataclass
class UserRow:
    id: uuid.UUID
    aud: str
    role: str
    email: str | None
    phone: str | None
    encrypted_password: str
    email_confirmed_at: datetime | None
    phone_confirmed_at: datetime | None
    last_sign_in_at: datetime | None
    raw_app_meta_data: Metadata
    raw_user_meta_data: Metadata
    banned_until: datetime | None
    is_anonymous: bool
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None
    phone_change: str = ""  # a new number waiting for its code (`new_phone` in the user JSON)

    def is_banned(self, now: datetime) -> bool:
        return self.banned_until is not None and self.banned_until > now


@dataclass
class SessionRow:
    id: uuid.UUID
    user_id: uuid.UUID
    created_at: datetime


@dataclass
class RefreshTokenRow:
    id: int
    token: str
    user_id: uuid.UUID
    session_id: uuid.UUID
    revoked: bool


@dataclass
class NewUser:
    email: str | None
    phone: str | None
    encrypted_password: str
    app_metadata: Metadata
    user_metadata: Metadata
    id: uuid.UUID | None = None
    role: str = "authenticated"
    email_confirmed: bool = False
    phone_confirmed: bool = False
    banned_for_s: float | None = None


def merge_metadata(current: Metadata, updates: Metadata) -> Metadata:
    """GoTrue's merge: top-level keys are replaced, a null value removes the key."""
    merged = dict(current)
    for key, value in updates.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = value
    return merged


# --- users ------------------------------------------------------------------

async def _one_user(conn: Conn, sql: str, params: tuple) -> UserRow | None:
    async with conn.cursor(row_factory=class_row(UserRow)) as cur:
        await cur.execute(sql, params)
        return await cur.fetchone()


async def find_by_email(conn: Conn, email: str) -> UserRow | None:
    return await _one_user(conn, f"select {_USER_COLUMNS} from auth.users where lower(email) = lower(%s) and {_ACTIVE}",
                           (email,))


async def find_by_phone(conn: Conn, phone: str, *, for_update: bool = False) -> UserRow | None:
    lock = " for update" if for_update else ""
    return await _one_user(conn, f"select {_USER_COLUMNS} from auth.users where phone = %s and {_ACTIVE}{lock}",
                           (phone,))


async def find_by_phone_change(conn: Conn, phone: str) -> UserRow | None:
    """The account waiting to move to `phone` (the latest to ask, if several did)."""
    return await _one_user(conn, f"select {_USER_COLUMNS} from auth.users where phone_change = %s and {_ACTIVE} "
                                 "order by phone_change_sent_at desc nulls last limit 1 for update", (phone,))


async def lock_waiting_for(conn: Conn, phone: str, *, phone_change: bool) -> None:
    """Lock the accounts a code to `phone` may be for (its holder, or those moving to it)."""
    column = "phone_change" if phone_change else "phone"  # one of two fixed names
    await conn.execute(f"select id from auth.users where {column} = %s order by id for update", (phone,))


async def find_by_id(conn: Conn, user_id: uuid.UUID, *, for_update: bool = False,
                     include_deleted: bool = False) -> UserRow | None:
    where = "id = %s" if include_deleted else f"id = %s and {_ACTIVE}"
    lock = " for update" if for_update else ""
    return await _one_user(conn, f"select {_USER_COLUMNS} from auth.users where {where}{lock}", (user_id,))


async def insert_user(conn: Conn, new: NewUser) -> UserRow:
    row = await _one_user(
        conn,
        f"""insert into auth.users (id, email, phone, encrypted_password, role, raw_app_meta_data, raw_user_meta_data,
                                    email_confirmed_at, phone_confirmed_at, banned_until)
            values (%s, %s, %s, %s, %s, %s, %s,
                    case when %s then now() end, case when %s then now() end,
                    now() + nullif(greatest(%s::float8, 0), 0) * interval '1 second')
            returning {_USER_COLUMNS}""",
        (new.id or uuid.uuid4(), new.email, new.phone, new.encrypted_password, new.role,
         Jsonb(new.app_metadata), Jsonb(new.user_metadata), new.email_confirmed, new.phone_confirmed,
         new.banned_for_s),
    )
    assert row is not None
    return row


# Change name -> SQL assignment with one bound value each.
_UPDATABLE = {
    "email": "email = %s",
    "phone": "phone = %s",
    "role": "role = %s",
    "encrypted_password": "encrypted_password = %s",
    "raw_app_meta_data": "raw_app_meta_data = %s",
    "raw_user_meta_data": "raw_user_meta_data = %s",
    # Booleans: true stamps now() once (keeps an earlier confirmation), false clears.
    "email_confirmed": "email_confirmed_at = case when %s then coalesce(email_confirmed_at, now()) end",
    "phone_confirmed": "phone_confirmed_at = case when %s then coalesce(phone_confirmed_at, now()) end",
    # A new address confirmed now (not an old address's timestamp carried over).
    "email_confirmed_now": "email_confirmed_at = case when %s then now() end",
    "phone_confirmed_now": "phone_confirmed_at = case when %s then now() end",
    # Seconds from now; zero or less lifts the ban (null, as GoTrue's Ban(0)).
    "banned_for_s": "banned_until = now() + nullif(greatest(%s::float8, 0), 0) * interval '1 second'",
    "last_sign_in": "last_sign_in_at = case when %s then now() else last_sign_in_at end",
    # A number waiting for its code; '' clears it (the sent time goes with it).
    "phone_change": "phone_change = %s, phone_change_sent_at = case when %s <> '' then now() end",
}


async def update_user(conn: Conn, user_id: uuid.UUID, changes: dict[str, Any]) -> UserRow:
    """Apply column changes. Keys are fixed names chosen by our code, never taken from a request."""
    assignments, params = ["updated_at = now()"], []
    for column, value in changes.items():
        if column not in _UPDATABLE:
            raise ValueError(f"not an updatable auth.users column: {column}")
        assignments.append(_UPDATABLE[column])
        params.extend([Jsonb(value) if column.startswith("raw_") else value] * _UPDATABLE[column].count("%s"))
    sql = f"update auth.users set {', '.join(assignments)} where id = %s returning {_USER_COLUMNS}"
    row = await _one_user(conn, sql, (*params, user_id))
    assert row is not None
    return row


async def soft_delete_user(conn: Conn, user_id: uuid.UUID) -> None:
    """As GoTrue: keep the row for references, drop what identifies or authenticates the person."""
    await conn.execute(
        """update auth.users set email = null, phone = null, encrypted_password = '',
                  raw_app_meta_data = '{}', raw_user_meta_data = '{}', deleted_at = now(), updated_at = now()
           where id = %s and deleted_at is null""",
        (user_id,),
    )
    await delete_sessions(conn, user_id)


async def delete_user(conn: Conn, user_id: uuid.UUID) -> None:
    await conn.execute("delete from auth.users where id = %s", (user_id,))


async def list_users(conn: Conn, *, limit: int, offset: int) -> tuple[list[UserRow], int]:
    async with conn.cursor(row_factory=class_row(UserRow)) as cur:
        await cur.execute(f"select {_USER_COLUMNS} from auth.users order by created_at desc, id desc "
                          "limit %s offset %s", (limit, offset))
        rows = await cur.fetchall()
    total = (await (await conn.execute("select count(*) from auth.users")).fetchone())[0]
    return rows, total


# --- sessions and refresh tokens --------------------------------------------

async def create_session(conn: Conn, user_id: uuid.UUID, *, user_agent: str | None,
                         ip: str | None) -> SessionRow | None:
    """A new session for a still active account (None if it was deleted meanwhile)."""
    async with conn.cursor(row_factory=class_row(SessionRow)) as cur:
        await cur.execute(
            f"""insert into auth.sessions (id, user_id, user_agent, ip)
                select %s, id, %s, %s::inet from auth.users where id = %s and {_ACTIVE}
                returning id, user_id, created_at""",
            (uuid.uuid4(), user_agent, ip, user_id),
        )
        return await cur.fetchone()


async def find_session(conn: Conn, session_id: uuid.UUID, user_id: uuid.UUID) -> SessionRow | None:
    async with conn.cursor(row_factory=class_row(SessionRow)) as cur:
        await cur.execute("select id, user_id, created_at from auth.sessions where id = %s and user_id = %s",
                          (session_id, user_id))
        return await cur.fetchone()


async def touch_session(conn: Conn, session_id: uuid.UUID) -> SessionRow:
    async with conn.cursor(row_factory=class_row(SessionRow)) as cur:
        await cur.execute("""update auth.sessions set refreshed_at = now(), updated_at = now() where id = %s
                             returning id, user_id, created_at""", (session_id,))
        row = await cur.fetchone()
    assert row is not None
    return row


async def delete_session(conn: Conn, session_id: uuid.UUID) -> None:
    # Its refresh tokens go with it (on delete cascade).
    await conn.execute("delete from auth.sessions where id = %s", (session_id,))


async def delete_sessions(conn: Conn, user_id: uuid.UUID, *, except_session: uuid.UUID | None = None) -> None:
    if except_session is None:
        await conn.execute("delete from auth.sessions where user_id = %s", (user_id,))
    else:
        await conn.execute("delete from auth.sessions where user_id = %s and id <> %s", (user_id, except_session))


async def insert_refresh_token(conn: Conn, token: str, user_id: uuid.UUID, session_id: uuid.UUID,
                               parent: str | None = None) -> None:
    await conn.execute(
        "insert into auth.refresh_tokens (token, user_id, session_id, parent) values (%s, %s, %s, %s)",
        (token, user_id, session_id, parent),
    )


async def lock_refresh_token(conn: Conn, token: str) -> RefreshTokenRow | None:
    """The token row, locked until the transaction ends: two refreshes with one token run one after the other."""
    async with conn.cursor(row_factory=class_row(RefreshTokenRow)) as cur:
        await cur.execute("select id, token, user_id, session_id, revoked from auth.refresh_tokens "
                          "where token = %s for update", (token,))
        return await cur.fetchone()


async def spend_refresh_token(conn: Conn, token_id: int) -> None:
    await conn.execute("update auth.refresh_tokens set revoked = true, updated_at = now() where id = %s", (token_id,))


async def current_successor(conn: Conn, spent: RefreshTokenRow, reuse_interval_s: int) -> str | None:
    """The live token that replaced `spent`, if `spent` was spent less than `reuse_interval_s` ago."""
    row = await (await conn.execute(
        """select child.token from auth.refresh_tokens spent
             join auth.refresh_tokens child on child.parent = spent.token and child.session_id = spent.session_id
           where spent.id = %s and spent.revoked and not child.revoked
             and spent.updated_at + %s * interval '1 second' > now()
           order by child.id desc limit 1""",
        (spent.id, reuse_interval_s))).fetchone()
    return row[0] if row else None
