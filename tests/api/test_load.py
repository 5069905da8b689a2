"""The embedded default under load (issue 10, section 3): concurrent readers and writers against a
live server answer without a 5xx and without stalling for the connection pool's timeout.

Before the fix, 50 unauthenticated plan reads on SQLite answered 500 (`database is locked`,
`QueuePool limit ... reached`): every read began `BEGIN IMMEDIATE`, and requests held pooled
connections while they waited for a worker thread that was itself waiting for a connection.
"""

from __future__ import annotations

import threading

import httpx
from apikit import PLAN, Api, live_server

READERS = 50
WRITERS = 8
PREPAID = "qingsong-huzhu"


def test_concurrent_reads_and_writes_never_answer_5xx(api: Api) -> None:
    members = [api.member(f"writer{i}", plan=PREPAID) for i in range(WRITERS)]
    answers: list[int | str] = []
    lock = threading.Lock()
    start = threading.Barrier(READERS + WRITERS)

    def note(status: int | str) -> None:
        with lock:
            answers.append(status)

    def read(base: str) -> None:
        with httpx.Client(base_url=base, timeout=60) as client:
            start.wait()
            for _ in range(2):
                try:
                    note(client.get(f"/v1/plans/{PLAN}").status_code)
                except httpx.HTTPError as e:
                    note(repr(e))

    def write(base: str, i: int) -> None:
        user = members[i]
        path = f"/v1/memberships/{user.memberships[PREPAID]}/top-ups"
        with httpx.Client(base_url=base, timeout=60) as client:
            start.wait()
            for n in range(2):
                headers = {**user.auth, "Idempotency-Key": f"load-{i}-{n}"}
                try:
                    r = client.post(path, json={"amount_fen": 1000}, headers=headers)
                except httpx.HTTPError as e:
                    note(repr(e))
                    continue
                note(r.status_code if r.status_code < 500 else f"{r.status_code} {r.text}")

    with live_server(api.app) as base:
        threads = [threading.Thread(target=read, args=(base,)) for _ in range(READERS)]
        threads += [threading.Thread(target=write, args=(base, i)) for i in range(WRITERS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
    assert len(answers) == 2 * (READERS + WRITERS), answers
    assert [a for a in answers if a not in (200, 201)] == []
    assert api.count("member_credits") == 2 * WRITERS
