"""Many callers at once (gateway/db.py's pooled transactions as rest/routes.py uses them).

Fifty clients in parallel, each with its own identity, read tests.notes and call
tests.whoami over and over; every answer must match the caller's own token.
Role and claims are set per transaction on pooled connections: any cross-talk
between them would show up here as a foreign owner or a wrong uid.
"""

from __future__ import annotations

import threading
import uuid
from collections import Counter

import httpx
import pytest

ROUNDS = 8


@pytest.fixture(scope="module")
def crowd(stack, make_user, db):
    """Two people with three notes each (written through the API), and their tokens."""
    tag = f"cc{uuid.uuid4().hex[:6]}"
    people = {}
    for name in ("a", "b"):
        user = make_user(schema="tests")
        user.client.table("notes").insert([{"title": f"{tag}-{name}-{i}"} for i in range(3)]).execute()
        people[name] = user
    yield tag, people
    db.execute("delete from tests.notes where title like %s", (tag + "%",))


def test_fifty_parallel_clients_each_see_only_themselves(stack, crowd) -> None:
    tag, people = crowd
    identities = ["a"] * 22 + ["b"] * 22 + ["anon"] * 6
    barrier = threading.Barrier(len(identities))
    failures: list[str] = []
    answers: Counter[str] = Counter()
    lock = threading.Lock()

    def worker(identity: str) -> None:
        user = people.get(identity)
        token = user.access_token if user else stack.anon_key
        expected_uid = user.id if user else None
        expected_role = "authenticated" if user else "anon"
        headers = {"apikey": stack.anon_key, "Authorization": f"Bearer {token}",
                   "Accept-Profile": "tests", "Content-Profile": "tests"}
        try:
            with httpx.Client(base_url=f"{stack.url}/rest/v1", headers=headers, timeout=60) as http:
                barrier.wait(timeout=60)
                for _ in range(ROUNDS):
                    notes = http.get("/notes", params={"select": "owner_id,title", "title": f"like.{tag}*"})
                    me = http.post("/rpc/whoami", json={})
                    problems = []
                    if notes.status_code != 200 or me.status_code != 200:
                        problems.append(f"{identity}: HTTP {notes.status_code}/{me.status_code}")
                    else:
                        rows = notes.json()
                        if user:
                            if len(rows) != 3 or {r["owner_id"] for r in rows} != {expected_uid}:
                                problems.append(f"{identity}: saw {rows}")
                            if any(not r["title"].startswith(f"{tag}-{identity}-") for r in rows):
                                problems.append(f"{identity}: saw titles {rows}")
                        elif rows:
                            problems.append(f"anon saw {rows}")
                        if me.json() != {"role": expected_role, "uid": expected_uid, "claims_role": expected_role}:
                            problems.append(f"{identity}: whoami {me.json()}")
                    with lock:
                        failures.extend(problems)
                        answers[identity] += 1
        except Exception as exc:  # noqa: BLE001 - reported below with the identity
            with lock:
                failures.append(f"{identity}: {exc!r}")

    threads = [threading.Thread(target=worker, args=(i,)) for i in identities]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads)
    assert failures == []
    assert answers == {"a": 22 * ROUNDS, "b": 22 * ROUNDS, "anon": 6 * ROUNDS}


def test_parallel_writers_keep_their_own_rows(stack, crowd, db) -> None:
    """Inserts from both people at once: each row belongs to the token that wrote it."""
    tag, people = crowd
    errors: list[str] = []

    def writer(name: str, n: int) -> None:
        user = people[name]
        headers = {"apikey": stack.anon_key, "Authorization": f"Bearer {user.access_token}",
                   "Content-Profile": "tests", "Prefer": "return=representation"}
        with httpx.Client(base_url=f"{stack.url}/rest/v1", headers=headers, timeout=60) as http:
            for i in range(5):
                r = http.post("/notes", json={"title": f"{tag}-w{name}-{n}-{i}"})
                if r.status_code != 201 or r.json()[0]["owner_id"] != user.id:
                    errors.append(f"{name}: {r.status_code} {r.text}")

    threads = [threading.Thread(target=writer, args=(name, n)) for name in ("a", "b") for n in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == []
    rows = db.execute("select owner_id::text, count(*) from tests.notes where title like %s group by 1 order by 1",
                      (f"{tag}-w%",)).fetchall()
    assert dict(rows) == {people["a"].id: 50, people["b"].id: 50}
    wrong = db.execute("select count(*) from tests.notes where title like %s and owner_id::text <> %s",
                       (f"{tag}-wa-%", people["a"].id)).fetchone()[0]
    assert wrong == 0
