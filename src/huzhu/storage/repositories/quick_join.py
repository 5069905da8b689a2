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
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import psycopg
from sqlalchemy import Engine

from huzhu.domain.members import Person

log = logging.getLogger("huzhu.quick_join")

JOIN_MANY = """
WITH input AS (
    SELECT * FROM unnest(
        %(i)s::int[], %(token_hash)s::text[], %(key)s::text[], %(request_hash)s::text[],
        %(plan_id)s::text[], %(plan_version)s::int[], %(today)s::date[], %(now)s::timestamptz[],
        %(id_type)s::text[], %(id_number)s::text[], %(name)s::text[], %(birth_date)s::date[],
        %(sex)s::text[], %(province_code)s::text[], %(city_tier)s::int2[], %(rural)s::bool[],
        %(phone)s::text[], %(email)s::text[], %(credit_score)s::int2[], %(labels)s::text[],
        %(lifecycle)s::text[], %(exit_on)s::date[], %(answer)s::text[]
    ) AS t(i, token_hash, key, request_hash, plan_id, plan_version, today, now, id_type,
           id_number, name, birth_date, sex, province_code, city_tier, rural, phone, email,
           credit_score, labels, lifecycle, exit_on, answer)
), caller AS (
    SELECT input.*, a.id AS account_id, a.host_app_id, a.external_id
    FROM input
    JOIN auth_sessions s ON s.token_hash = input.token_hash
    JOIN accounts a ON a.id = s.account_id
    WHERE s.revoked_at IS NULL AND s.expires_at > input.now
      AND a.disabled_at IS NULL AND a.person_id IS NULL
      AND NOT EXISTS (SELECT 1 FROM idempotency_keys k
                      WHERE k.account_id = a.id AND k.key = input.key)
      AND input.plan_version = (SELECT v.version FROM plan_versions v
                                WHERE v.plan_id = input.plan_id
                                  AND v.effective_from <= input.today
                                ORDER BY v.version DESC LIMIT 1)
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
           email, credit_score, labels::json, now
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
           jsonb_set(jsonb_set(answer::jsonb, '{membership,id}', to_jsonb(membership_id)),
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


COLUMNS = (
    "i", "token_hash", "key", "request_hash", "plan_id", "plan_version", "today", "now",
    "id_type", "id_number", "name", "birth_date", "sex", "province_code", "city_tier", "rural",
    "phone", "email", "credit_score", "labels", "lifecycle", "exit_on", "answer",
)  # fmt: skip


def _row(i: int, q: QuickJoin) -> tuple[Any, ...]:
    p = q.person
    return (
        i, q.token_hash, q.key, q.request_hash, q.plan_id, q.plan_version, q.today, q.now,
        p.id_type, p.id_number, p.name, p.birth_date, p.sex.value, p.province_code, p.city_tier,
        p.rural, p.phone, p.email, p.credit_score, json.dumps(list(p.labels)), q.lifecycle,
        q.exit_on, json.dumps(q.answer),
    )  # fmt: skip


class QuickJoinRepository:
    """Runs the statement for a batch of joins on a connection held by a batcher's worker.

    The connection is in autocommit mode: the statement is its own transaction, all or nothing,
    and costs one round trip, with no BEGIN and COMMIT around it.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @contextmanager
    def connection(self) -> Iterator[psycopg.Connection[Any]]:
        pooled = self.engine.raw_connection()
        try:
            conn = pooled.driver_connection
            assert isinstance(conn, psycopg.Connection)
            conn.autocommit = True
            try:
                yield conn
            finally:
                if conn.closed:
                    pooled.invalidate()
                else:
                    conn.autocommit = False
        finally:
            pooled.close()  # back to the engine's pool

    def join_many(
        self, conn: psycopg.Connection[Any], orders: Sequence[QuickJoin]
    ) -> list[Joined | None]:
        """Each order's new ids, committed; None where the order wrote nothing.

        If the batch fails on a constraint (a key or an identity taken by a concurrent request on
        the general path), nothing of it is written and each order is tried alone; an order that
        fails alone gets None, and the general path answers it. A lost connection is raised.
        """
        try:
            return self._run(conn, orders)
        except psycopg.OperationalError:
            raise
        except psycopg.Error:
            if len(orders) == 1:
                log.info("a one-statement join failed; the general path answers", exc_info=True)
                return [None]
        return [self.join_many(conn, [order])[0] for order in orders]

    def _run(
        self, conn: psycopg.Connection[Any], orders: Sequence[QuickJoin]
    ) -> list[Joined | None]:
        rows = [_row(i, q) for i, q in enumerate(orders)]
        columns = zip(*rows, strict=True)
        params = {name: list(values) for name, values in zip(COLUMNS, columns, strict=True)}
        found = conn.execute(JOIN_MANY, params, prepare=True).fetchall()
        out: list[Joined | None] = [None] * len(orders)
        for i, account_id, membership_id, person_id in found:
            out[i] = Joined(int(account_id), int(membership_id), int(person_id))
        return out
