"""PostgreSQL's one-statement join, for a batch of new people each joining for themselves.

The general join (services.members.join behind the idempotency guard) sends about 25 statements.
This does the same work for many joins at once in one data-modifying statement: resolve each bearer
session, check that the plan version each join was decided against is still in force, register the
people, link them to their accounts, add the memberships and their `joined` events, write the audit
rows, queue the host apps' webhooks, and store each answer under its Idempotency-Key.

Every step reads the rows the step before it returned, so a join with anything unusual (an unknown
session, an account that already has an identity, an ID number already on file, a key already used,
a newer plan version) writes nothing and returns no row; the general path then answers it, with its
own checks and error messages. Concurrent twins wait for each other on the account's row lock and
on the unique indexes, as they do on the general path.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import psycopg

from huzhu.domain.members import Person

log = logging.getLogger("huzhu.quick_join")

JOIN_MANY = """
WITH input AS (
    SELECT * FROM jsonb_to_recordset(%(batch)s::jsonb) AS t(
        i int, token_hash text, key text, request_hash text, plan_id text, plan_version int,
        today date, now timestamptz, id_type text, id_number text, name text, birth_date date,
        sex text, province_code text, city_tier int2, rural bool, phone text, email text,
        credit_score int2, labels json, lifecycle text, exit_on date, answer jsonb)
), caller AS (
    SELECT input.*, a.id AS account_id, a.host_app_id, a.external_id
    FROM input
    JOIN auth_sessions s ON s.token_hash = input.token_hash
    JOIN accounts a ON a.id = s.account_id
    WHERE s.revoked_at IS NULL AND s.expires_at > input.now
      AND a.disabled_at IS NULL AND a.person_id IS NULL
      -- an identity held for the operator's check counts as given (services.identity)
      AND NOT EXISTS (SELECT 1 FROM identity_checks c WHERE c.account_id = a.id
                      AND c.kind = 'self' AND c.state = 'pending')
      AND NOT EXISTS (SELECT 1 FROM idempotency_keys k
                      WHERE k.account_id = a.id AND k.key = input.key)
      AND input.plan_version = (SELECT v.version FROM plan_versions v
                                WHERE v.plan_id = input.plan_id
                                  AND v.effective_from <= input.today
                                ORDER BY v.version DESC LIMIT 1)
      -- A closing plan takes no one from its notice date: the general path refuses it.
      AND NOT EXISTS (SELECT 1 FROM plan_closures c
                      WHERE c.plan_id = input.plan_id AND c.notice_date <= input.today)
), locked AS (
    -- Twins of one account wait here for each other; the later one then finds the identity
    -- linked and writes nothing. Locking in id order keeps concurrent batches from deadlocking.
    SELECT a.id FROM accounts a
    WHERE a.id IN (SELECT account_id FROM caller) AND a.person_id IS NULL
    ORDER BY a.id
    FOR UPDATE
), me AS (
    -- One join per account and per identity document in a batch; the rest go the general way.
    SELECT caller.* FROM caller JOIN locked ON locked.id = caller.account_id
    WHERE caller.i = (SELECT min(c.i) FROM caller c WHERE c.account_id = caller.account_id)
      AND caller.i = (SELECT min(c.i) FROM caller c
                      WHERE c.id_type = caller.id_type AND c.id_number = caller.id_number)
), person AS (
    INSERT INTO people (id_type, id_number, name, birth_date, sex, province_code, city_tier,
                        rural, phone, email, credit_score, labels, created_at)
    SELECT id_type, id_number, name, birth_date, sex, province_code, city_tier, rural, phone,
           email, credit_score, labels, now
    FROM me ORDER BY id_type, id_number
    ON CONFLICT (id_type, id_number) DO NOTHING
    RETURNING id, id_type, id_number
), mine AS (
    SELECT me.*, person.id AS person_id FROM me JOIN person USING (id_type, id_number)
), linked AS (
    UPDATE accounts a SET person_id = mine.person_id FROM mine WHERE a.id = mine.account_id
), joined AS (
    INSERT INTO memberships (plan_id, person_id, plan_version, joined_at, lifecycle, exit_on)
    SELECT plan_id, person_id, plan_version, now, lifecycle, exit_on FROM mine ORDER BY i
    RETURNING id, person_id
), got AS (
    SELECT mine.*, joined.id AS membership_id FROM mine JOIN joined USING (person_id)
), event AS (
    INSERT INTO membership_events (membership_id, at, from_state, to_state, reason)
    SELECT membership_id, now, NULL, lifecycle, 'joined' FROM got ORDER BY i
), audit AS (
    INSERT INTO audit_log (at, actor_account_id, action, subject, details)
    SELECT got.now, got.account_id, row.action, row.subject, row.details
    FROM got, LATERAL (VALUES
        (1, 'person.linked', 'person:' || got.person_id, '{}'::json),
        (2, 'membership.joined', 'membership:' || got.membership_id,
         json_build_object('plan_id', got.plan_id, 'membership_id', got.membership_id))
    ) AS row(n, action, subject, details)
    ORDER BY got.i, row.n
), hook AS (
    INSERT INTO webhook_events (host_app_id, type, payload, created_at, attempts, next_attempt_at)
    SELECT h.id, 'member.joined',
           json_build_object('plan_id', got.plan_id, 'membership_id', got.membership_id,
                             'external_user_id', got.external_id),
           got.now, 0, got.now
    FROM got JOIN host_apps h ON h.id = got.host_app_id AND h.webhook_url IS NOT NULL
    ORDER BY got.i
), claimed AS (
    -- No ON CONFLICT: a key taken meanwhile fails the whole batch, whose joins are then tried
    -- one by one, so that no join is left half-written.
    INSERT INTO idempotency_keys (account_id, key, request_hash, status_code, response,
                                  created_at)
    SELECT account_id, key, request_hash, 201,
           jsonb_set(jsonb_set(answer, '{membership,id}', to_jsonb(membership_id)),
                     '{membership,person_id}', to_jsonb(person_id))::json,
           now
    FROM got ORDER BY i
)
SELECT i, account_id, membership_id, person_id FROM got
"""


@dataclass(frozen=True)
class QuickJoin:
    """Everything the statement writes, decided before it runs."""

    token_hash: str
    key: str
    request_hash: str
    plan_id: str
    plan_version: int
    today: date
    now: datetime
    person: Person
    lifecycle: str
    exit_on: date | None
    answer: dict[str, Any]  # the 201 body, with 0 where the new ids go


@dataclass(frozen=True)
class Joined:
    account_id: int
    membership_id: int
    person_id: int


def _row(i: int, q: QuickJoin) -> dict[str, Any]:
    p = q.person
    return {
        "i": i, "token_hash": q.token_hash, "key": q.key, "request_hash": q.request_hash,
        "plan_id": q.plan_id, "plan_version": q.plan_version, "today": q.today.isoformat(),
        "now": q.now.isoformat(), "id_type": p.id_type, "id_number": p.id_number,
        "name": p.name, "birth_date": p.birth_date.isoformat(), "sex": p.sex.value,
        "province_code": p.province_code, "city_tier": p.city_tier, "rural": p.rural,
        "phone": p.phone, "email": p.email, "credit_score": p.credit_score,
        "labels": list(p.labels), "lifecycle": q.lifecycle,
        "exit_on": q.exit_on.isoformat() if q.exit_on else None, "answer": q.answer,
    }  # fmt: skip


class QuickJoinRepository:
    """Runs the statement for a batch of joins, on connections of the caller's event loop.

    The connections are in autocommit mode: the statement is its own transaction, all or
    nothing, and costs one round trip, with no BEGIN and COMMIT around it. The batch goes as one
    JSON parameter: cheaper to send from Python than a column of arrays.
    """

    def __init__(self, conninfo: str) -> None:
        self.conninfo = conninfo

    async def connect(self) -> psycopg.AsyncConnection[Any]:
        return await psycopg.AsyncConnection.connect(self.conninfo, autocommit=True)

    async def close(self, conn: psycopg.AsyncConnection[Any]) -> None:
        await conn.close()

    async def join_many(
        self, conn: psycopg.AsyncConnection[Any], orders: Sequence[QuickJoin]
    ) -> list[Joined | None]:
        """Each order's new ids, committed; None where the order wrote nothing.

        If the batch fails on a constraint (a key or an identity taken by a concurrent request on
        the general path), nothing of it is written and each order is tried alone; an order that
        fails alone gets None, and the general path answers it. A lost connection is raised.
        """
        try:
            return await self._run(conn, orders)
        except psycopg.OperationalError:
            raise
        except psycopg.Error:
            if len(orders) == 1:
                log.info("a one-statement join failed; the general path answers", exc_info=True)
                return [None]
        return [(await self.join_many(conn, [order]))[0] for order in orders]

    async def _run(
        self, conn: psycopg.AsyncConnection[Any], orders: Sequence[QuickJoin]
    ) -> list[Joined | None]:
        batch = json.dumps([_row(i, q) for i, q in enumerate(orders)], ensure_ascii=False)
        cur = await conn.execute(JOIN_MANY, {"batch": batch}, prepare=True)
        out: list[Joined | None] = [None] * len(orders)
        for i, account_id, membership_id, person_id in await cur.fetchall():
            out[i] = Joined(int(account_id), int(membership_id), int(person_id))
        return out
