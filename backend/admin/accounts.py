"""Deleting a person's account as the city does it, hosted or local: files first, then the account.

GoTrue's admin delete leaves Storage alone, and hosted Supabase refuses direct deletes on
`storage.objects`, so the person's files are removed through the Storage API with the
service-role key: every object under `<uid>/` in every bucket (the folder layout of every
bucket here). Then `DELETE /auth/v1/admin/users/{id}`: migration 20261201000200 keeps the SOS,
timelines, payments and ratings with the person anonymised. (The local Auth admin delete also
removes what is left under `<uid>/`, so a delete through the API alone is complete locally.)
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

PAGE = 1000  # Storage lists at most this many entries per call


@dataclass(frozen=True)
class DeletedAccount:
    user_id: str
    objects_removed: int


def _names_under(bucket: Any, folder: str) -> list[str]:
    """Every object name below `folder` (Storage lists one level; folders come back without an id)."""
    names: list[str] = []
    offset = 0
    while True:
        entries = bucket.list(folder, {"limit": PAGE, "offset": offset})
        for entry in entries:
            path = f"{folder}/{entry['name']}"
            if entry.get("id") is None:
                names.extend(_names_under(bucket, path))
            else:
                names.append(path)
        if len(entries) < PAGE:
            return names
        offset += PAGE


def delete_account(service: Any, user_id: str) -> DeletedAccount:
    """With a supabase-py client holding the service-role key: the person's files, then the account."""
    uid = str(uuid.UUID(user_id))  # only an id can become a folder name here
    removed = 0
    for info in service.storage.list_buckets():
        bucket = service.storage.from_(info.id)
        names = _names_under(bucket, uid)
        for start in range(0, len(names), PAGE):
            removed += len(bucket.remove(names[start:start + PAGE]))
    service.auth.admin.delete_user(uid)
    return DeletedAccount(uid, removed)
