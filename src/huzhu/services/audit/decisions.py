"""The audit's checks that every decision was taken once (issue 10): what a race between two
requests, or a hand-edited database, would leave behind.

- no person is paid (or promised) more than one payout in a plan;
- each claim's history chains: every move starts from the state the one before ended in, so a
  claim decided twice (two decisions from one state) shows;
- no membership that has not left carries a leaving date;
- every payout announced, approved or paid is the plan's rule, or an operator's override recorded
  in the audit log (`claim.payout-override`) for that amount;
- one public-log entry per decision: a case's cards no more than its announcements, one result per
  jury and per round.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import date
from typing import Any

from huzhu.domain.claims import PROMISED_STATES, ClaimState
from huzhu.domain.money import format_yuan
from huzhu.domain.plans import Plan
from huzhu.services.claims.payout import OVERRIDE_ACTION, rule_payout
from huzhu.services.record.public_record import CASE_ANNOUNCED, JURY_RESULT, ROUND_RESULT
from huzhu.storage.repositories.audit.decisions import DecisionAuditRepository
from huzhu.storage.uow import UnitOfWork

# Rounds move claims on without a history event: approved -> shared -> paid.
SILENT_MOVES = {ClaimState.APPROVED.value: {"shared", "paid"}, "shared": {"paid"}}


def paid_once(repo: DecisionAuditRepository) -> list[str]:
    return [
        f"person {r.person_id} has {r.n} claims paid or promised in {r.plan_id} "
        f"(claims {r.first}..{r.last})"
        for r in repo.people_paid_twice()
    ]


def histories_chain(repo: DecisionAuditRepository) -> list[str]:
    problems: list[str] = []
    last: dict[int, str | None] = {}
    for e in repo.state_changes():
        if e.claim_id in last and e.from_state != last[e.claim_id]:
            problems.append(
                f"claim {e.claim_id}: event {e.id} ({e.action}) moves it from {e.from_state}, "
                f"but it was {last[e.claim_id]} (decided twice?)"
            )
        last[e.claim_id] = e.to_state
    return problems


def no_live_leaver(repo: DecisionAuditRepository) -> list[str]:
    return [
        f"membership {r.id} is {r.lifecycle} but has a leaving date ({r.left_at.isoformat()})"
        for r in repo.live_with_leaving_date()
    ]


def payouts_follow_the_rule(uow: UnitOfWork, repo: DecisionAuditRepository) -> list[str]:
    problems: list[str] = []
    overrides = repo.overrides(OVERRIDE_ACTION)
    plans: dict[tuple[str, date], Plan] = {}
    for state in sorted(PROMISED_STATES):
        after = 0
        while batch := uow.claims.list(state=state, after_id=after, limit=1000):
            for claim in batch:
                key = (claim.plan_id, claim.diagnosis_date)
                if key not in plans:
                    plans[key] = uow.plans.get(*key)
                rule = rule_payout(plans[key], claim)
                if claim.payout == rule:
                    continue
                recorded = overrides.get(f"claim:{claim.id}", [])
                if any(d.get("payout") == claim.payout for d in recorded):
                    continue
                shown = "none" if rule is None else f"{format_yuan(rule)} yuan"
                problems.append(
                    f"claim {claim.id} ({state.value}): payout {format_yuan(claim.payout or 0)} "
                    f"yuan, the plan's rule gives {shown}, and no override was recorded"
                )
            after = batch[-1].id or 0
    return problems


def _payload(value: Any) -> dict[str, Any]:
    loaded = json.loads(value) if isinstance(value, str) else value
    return loaded if isinstance(loaded, dict) else {}


def one_entry_per_decision(repo: DecisionAuditRepository) -> list[str]:
    problems: list[str] = []
    announced = repo.announcements()
    cards = Counter(e.subject for e in repo.log_entries(CASE_ANNOUNCED))
    for subject, n in sorted(cards.items()):
        claim_id = int(subject.partition(":")[2] or 0)
        if n > announced.get(claim_id, 0):
            problems.append(
                f"{subject}: {n} case-announced entries for {announced.get(claim_id, 0)} "
                "announcement(s)"
            )
    juries = Counter(_payload(e.payload).get("jury_id") for e in repo.log_entries(JURY_RESULT))
    problems += [f"jury {j}: {n} jury-result entries" for j, n in sorted(
        ((j, n) for j, n in juries.items() if n > 1), key=lambda x: str(x[0]))]  # fmt: skip
    rounds = Counter(e.subject for e in repo.log_entries(ROUND_RESULT))
    problems += [f"{s}: {n} round-result entries" for s, n in sorted(rounds.items()) if n > 1]
    return problems
