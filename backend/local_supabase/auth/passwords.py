"""bcrypt hashing, off the event loop, with equal work for unknown accounts."""

from __future__ import annotations

import asyncio
import functools

import bcrypt

from . import errors

MIN_LENGTH = 6  # GoTrue's default `password_min_length`
MAX_BYTES = 72  # bcrypt ignores (bcrypt>=5 refuses) anything longer
COST = 10  # GoTrue's bcrypt.DefaultCost


def check_strength(password: object) -> str:
    """The password as a string, or the error GoTrue gives for it."""
    if not isinstance(password, str):
        raise errors.validation_failed("Password must be a string")
    if len(password.encode()) > MAX_BYTES:
        raise errors.validation_failed(f"Password cannot be longer than {MAX_BYTES} characters")
    if len(password) < MIN_LENGTH:
        raise errors.weak_password(MIN_LENGTH)
    return password


async def hash_password(password: str) -> str:
    return await asyncio.to_thread(_hash, password)


async def verify_password(password: str, hashed: str | None) -> bool:
    """True if `password` matches. Without a usable hash we still spend one bcrypt
    comparison (against a dummy hash), so timing does not reveal whether an account exists."""
    return await asyncio.to_thread(_verify, password, hashed)


def _hash(password: str) -> str:
    return bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds=COST)).decode()


@functools.cache
def _dummy_hash() -> bytes:
    return bcrypt.hashpw(b"no account has this password", bcrypt.gensalt(rounds=COST))


def _verify(password: str, hashed: str | None) -> bool:
    candidate = password.encode()[:MAX_BYTES]
    if hashed and hashed.startswith("$2"):
        try:
            return bcrypt.checkpw(candidate, hashed.encode())
        except ValueError:  # corrupt hash in the table: treat as no password
            pass
    bcrypt.checkpw(candidate, _dummy_hash())
    return False
