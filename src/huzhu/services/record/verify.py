"""`huzhu verify`: the public record still says what the operator published.

It recomputes every digest of the chain, compares what the log says with the live rows (rounds,
announced cases, plan versions) and recomputes every published Merkle root.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from cryptography.x509 import Certificate

from huzhu.domain.chain import GENESIS
from huzhu.domain.msgid import N_
from huzhu.services.record.notary import TOKENS_CHECK, token_problems
from huzhu.services.record.public_record import (
    CASE_ANNOUNCED,
    JURY_RESULT,
    PLAN_VERSION,
    ROUND_MERKLE_ROOT,
    ROUND_RESULT,
    chain_head,
    entry_digest,
    stamp,
)
from huzhu.services.record.verify_juries import JURIES_CHECK, jury_problems
from huzhu.services.record.verify_merkle import entry_name as _name
from huzhu.services.record.verify_merkle import merkle_problems
from huzhu.storage.repositories.record.public_record import LogEntry
from huzhu.storage.uow import UnitOfWork

# -- huzhu verify -------------------------------------------------------------------------------

CHAIN_CHECK = N_("the public log's hash chain is intact")
ROUNDS_CHECK = N_("every round's figures match its latest log entry")
CASES_CHECK = N_("every announced case matches the claims table")
PLANS_CHECK = N_("every plan version matches its log entry")
MERKLE_CHECK = N_("every published Merkle root matches the round's charges")

# Fields of an announced case that the claims table also holds, with the payload keys that may
# carry them. The latest case-announced or jury-result entry of a claim that names a field is what
# the operator last said about it.
CASE_FIELDS: dict[str, tuple[str, ...]] = {
    "condition_code": ("condition_code", "condition"),
    "payout": ("payout",),
    "age_at_diagnosis": ("age_at_diagnosis", "age"),
}


@dataclass
class Check:
    name: str
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass
class VerifyReport:
    checks: list[Check]
    head: tuple[int, str]
    entries: int

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)


def _subject_id(entry: LogEntry, prefix: str, *keys: str) -> int | None:
    head, _, rest = entry.subject.partition(":")
    if head == prefix and rest.isdigit():
        return int(rest)
    for key in keys:
        value = entry.payload.get(key)
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    return None


def _same(logged: Any, live: Any) -> bool:
    if isinstance(logged, bool) or isinstance(live, bool):
        return logged is live
    if isinstance(logged, int | float) and isinstance(live, int | float):
        return logged == live
    return (None if logged is None else str(logged)) == (None if live is None else str(live))


@dataclass
class _Seen:
    """The latest entries the chain walk found, by what they speak about."""

    rounds: dict[int, LogEntry] = field(default_factory=dict)
    merkle: dict[int, LogEntry] = field(default_factory=dict)
    plans: dict[tuple[str, int], LogEntry] = field(default_factory=dict)
    announced: set[int] = field(default_factory=set)
    case_fields: dict[int, dict[str, tuple[Any, LogEntry]]] = field(default_factory=dict)
    juries: list[LogEntry] = field(default_factory=list)

    def take(self, entry: LogEntry, check: Check) -> None:
        if entry.kind == ROUND_RESULT:
            rid = _subject_id(entry, "round", "round_id")
            if rid is None:
                check.problems.append(f"{_name(entry)}: names no round")
            else:
                self.rounds[rid] = entry
        elif entry.kind == ROUND_MERKLE_ROOT:
            rid = _subject_id(entry, "round", "round_id")
            if rid is None:
                check.problems.append(f"{_name(entry)}: names no round")
            else:
                self.merkle[rid] = entry
        elif entry.kind == PLAN_VERSION:
            plan, version = entry.payload.get("plan"), entry.payload.get("version")
            if not isinstance(plan, str) or not isinstance(version, int):
                check.problems.append(f"{_name(entry)}: names no plan version")
            else:
                self.plans[(plan, version)] = entry
        elif entry.kind in (CASE_ANNOUNCED, JURY_RESULT):
            cid = _subject_id(entry, "claim", "claim_id", "claim")
            if cid is None:
                check.problems.append(f"{_name(entry)}: names no claim")
                return
            if entry.kind == CASE_ANNOUNCED:
                self.announced.add(cid)
            else:
                self.juries.append(entry)
            known = self.case_fields.setdefault(cid, {})
            for column, keys in CASE_FIELDS.items():
                for key in keys:
                    if key in entry.payload:
                        known[column] = (entry.payload[key], entry)
                        break


def _check_chain(uow: UnitOfWork, seen: _Seen) -> tuple[Check, int]:
    check = Check(CHAIN_CHECK)
    repo = uow.public_record
    prev_seq, prev_digest, count = 0, GENESIS, 0
    for entry in repo.all_entries():
        count += 1
        if entry.seq != prev_seq + 1:
            missing = (
                f"seq {prev_seq + 1}" if entry.seq == prev_seq + 2
                else f"seqs {prev_seq + 1}-{entry.seq - 1}"
            )  # fmt: skip
            check.problems.append(f"{_name(entry)}: {missing} before it are missing (deleted?)")
        if entry.prev_digest != prev_digest:
            check.problems.append(
                f"{_name(entry)}: its prev_digest {entry.prev_digest[:12]} does not follow the "
                f"entry before it ({prev_digest[:12]})"
            )
        if entry_digest(entry) != entry.digest:
            check.problems.append(f"{_name(entry)}: its content or digest has changed")
        prev_seq, prev_digest = entry.seq, entry.digest
        seen.take(entry, check)
    stored = repo.stored_head()
    if stored is None:
        if count:
            check.problems.append("the chain head row (public_log_head) is missing")
    elif stored != (prev_seq, prev_digest):
        check.problems.append(
            f"the chain head says seq {stored[0]} digest {stored[1][:12]}, the last entry is "
            f"seq {prev_seq} digest {prev_digest[:12]} (entries deleted or added at the end?)"
        )
    return check, count


def _live_round(row: Any) -> dict[str, Any]:
    return {
        "round_id": row.id,
        "plan": row.plan_id,
        "announce_date": row.announce_date.isoformat(),
        "lock_at": stamp(row.lock_at),
        "collect_date": row.collect_date.isoformat(),
        "plan_version": row.plan_version,
        "members": row.members,
        "cases": row.cases,
        "payouts": row.payouts,
        "fee": row.fee,
        "carry_in": row.carry_in,
        "share": row.share,
        "member_cap": row.member_cap,
        "collected": row.collected,
        "backstop": row.backstop,
        "surplus": row.surplus,
    }


def _check_rounds(uow: UnitOfWork, seen: _Seen) -> Check:
    check = Check(ROUNDS_CHECK)
    repo = uow.public_record
    ids = sorted(set(repo.round_ids()) | set(seen.rounds))
    for start in range(0, len(ids), 500):
        part = ids[start : start + 500]
        live = repo.rounds_by_id(part)
        for rid in part:
            entry, row = seen.rounds.get(rid), live.get(rid)
            if entry is None:
                assert row is not None
                check.problems.append(
                    f"round:{rid} ({row.plan_id} {row.announce_date}): no round-result entry in "
                    "the log"
                )
                continue
            if row is None:
                check.problems.append(f"{_name(entry)}: round {rid} is gone from the rounds table")
                continue
            actual = _live_round(row)
            for key, logged in entry.payload.items():
                if key not in actual:
                    check.problems.append(f"{_name(entry)}: the rounds table has no {key!r}")
                elif not _same(logged, actual[key]):
                    check.problems.append(
                        f"{_name(entry)} [{row.plan_id} {row.announce_date}]: {key} is "
                        f"{logged} in the log, {actual[key]} in the rounds table"
                    )
    return check


def _check_cases(uow: UnitOfWork, seen: _Seen) -> Check:
    check = Check(CASES_CHECK)
    ids = sorted(seen.announced)
    for start in range(0, len(ids), 500):
        part = ids[start : start + 500]
        live = uow.public_record.claims_by_id(part)
        for cid in part:
            fields = seen.case_fields.get(cid, {})
            row = live.get(cid)
            if row is None:
                where = next(iter(fields.values()))[1] if fields else None
                named = _name(where) if where else f"claim:{cid}"
                check.problems.append(f"{named}: claim {cid} is gone from the claims table")
                continue
            for column, (logged, entry) in fields.items():
                actual = getattr(row, column)
                if not _same(logged, actual):
                    check.problems.append(
                        f"{_name(entry)}: {column} is {logged} in the log, {actual} in the "
                        "claims table"
                    )
    for cid, round_id in uow.public_record.paid_claims():
        if cid not in seen.announced:
            check.problems.append(
                f"claim:{cid} was paid in round:{round_id} but the log never announced it"
            )
    return check


def _check_plans(uow: UnitOfWork, seen: _Seen) -> Check:
    check = Check(PLANS_CHECK)
    found: set[tuple[str, int]] = set()
    for row in uow.public_record.plan_versions():
        key = (row.plan_id, row.version)
        found.add(key)
        entry = seen.plans.get(key)
        label = f"plan {row.plan_id} version {row.version}"
        if entry is None:
            check.problems.append(f"{label}: no plan-version entry in the log")
            continue
        if row.document_sha256 != entry.payload.get("sha256"):
            check.problems.append(
                f"{_name(entry)}: {label}'s document hashes to {row.document_sha256[:12]}, the "
                f"log says {str(entry.payload.get('sha256'))[:12]}"
            )
        if row.sha256 != entry.payload.get("sha256"):
            check.problems.append(
                f"{_name(entry)}: {label}'s stored sha256 {row.sha256[:12]} is not the logged one"
            )
        logged_from = entry.payload.get("effective_from")
        if logged_from is not None and logged_from != row.effective_from.isoformat():
            check.problems.append(
                f"{_name(entry)}: {label} takes effect {row.effective_from}, the log says "
                f"{logged_from}"
            )
    for key in sorted(set(seen.plans) - found):
        check.problems.append(
            f"{_name(seen.plans[key])}: plan {key[0]} version {key[1]} is gone from plan_versions"
        )
    return check


def _check_merkle(uow: UnitOfWork, seen: _Seen) -> Check:
    check = Check(MERKLE_CHECK)
    check.problems, check.notes = merkle_problems(uow, seen.merkle)
    return check


def verify(
    uow: UnitOfWork, *, merkle: bool = True, tsa_roots: list[Certificate] | None = None
) -> VerifyReport:
    """Check the whole chain, that what the log says still matches the live rows, and (unless
    `merkle` is False) every published Merkle root against a recomputation, and every stored
    time-stamp token (its signature against the TSA CA certificates `tsa_roots`).

    Give it a unit of work on one snapshot (REPEATABLE READ on PostgreSQL, see `snapshot_engine`),
    or a round committed while it reads may look like a round missing from the log."""
    seen = _Seen()
    chain, count = _check_chain(uow, seen)
    checks = [
        chain,
        _check_rounds(uow, seen),
        _check_cases(uow, seen),
        _check_plans(uow, seen),
        Check(JURIES_CHECK, jury_problems(uow, seen.juries)),
        Check(TOKENS_CHECK, token_problems(uow, tsa_roots)),
    ]
    if merkle:
        checks.append(_check_merkle(uow, seen))
    return VerifyReport(checks, chain_head(uow), count)
