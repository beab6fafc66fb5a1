"""`cityloop user delete` (backend/admin/accounts.py): the person's files go through the Storage API first
(as hosted Supabase requires), then the account through the Auth admin API; bad ids are refused clearly."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

from backend.admin.accounts import delete_account
from tests.backend.storage_support import storage_root

ROOT = Path(__file__).resolve().parents[2]
JPEG = b"\xff\xd8\xff\xe0" + b"jpeg-ish" * 16


def user_delete(stack, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, SUPABASE_URL=stack.url, SUPABASE_SERVICE_ROLE_KEY=stack.service_key)
    return subprocess.run([sys.executable, "-m", "backend.cli", "user", "delete", *args], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=120)


def with_files(make_user) -> tuple[str, list[tuple[str, str]]]:
    person = make_user(app_metadata={"role": "citizen"})
    files = [("report-photos", f"{person.id}/a.jpg"), ("report-photos", f"{person.id}/2026/b.jpg"),
             ("avatars", f"{person.id}/me.jpg")]
    for bucket, name in files:
        person.client.storage.from_(bucket).upload(name, JPEG, {"content-type": "image/jpeg"})
    return person.id, files


def test_files_go_through_the_storage_api_then_the_account(stack, service, make_user, db) -> None:
    uid, files = with_files(make_user)
    other, _ = with_files(make_user)
    deleted = delete_account(service, uid)
    assert deleted.objects_removed == 3  # removed by the Storage API, before the account went
    assert db.execute("select count(*) from auth.users where id = %s", (uid,)).fetchone()[0] == 0
    for bucket, name in files:
        assert db.execute("select count(*) from storage.objects where bucket_id = %s and name = %s",
                          (bucket, name)).fetchone()[0] == 0
        assert not (storage_root(stack) / bucket / name).exists()
    assert db.execute("select count(*) from storage.objects where split_part(name, '/', 1) = %s",
                      (other,)).fetchone()[0] == 3  # nobody else's


def test_the_command_deletes_and_refuses_bad_ids(stack, make_user, db) -> None:
    uid, _ = with_files(make_user)
    done = user_delete(stack, uid)
    assert done.returncode == 0, done.stderr
    assert f"deleted {uid} (3 files removed)" in done.stdout
    bad = user_delete(stack, "../etc")
    assert bad.returncode == 2 and "not an account id" in bad.stderr
    missing = user_delete(stack, str(uuid.uuid4()))
    assert missing.returncode == 2 and "User not found" in missing.stderr
