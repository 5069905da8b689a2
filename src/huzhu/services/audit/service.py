"""`huzhu audit`: prove that the books hold, or say exactly where they do not.

Charges of archived rounds are no longer in member_charges: every check that adds up charges adds
what each archived round's record says, and one more check proves that the archive still holds
exactly what was recorded (huzhu.services.record.archive.check_archives).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from huzhu.domain.chain import GENESIS, canonical_transaction, chain_digest
from huzhu.domain.ledger import AccountKind
from huzhu.domain.msgid import N_
from huzhu.services.audit import decisions as decided
from huzhu.services.audit import funds as audit_funds
from huzhu.services.money.clearing import check_clearing, yuan
from huzhu.services.record.archive import check_archives
from huzhu.storage.repositories.audit.decisions import DecisionAuditRepository
from huzhu.storage.repositories.audit.repository import AuditRepository
from huzhu.storage.repositories.record.archive import ArchiveRecord, ArchiveRepository
from huzhu.storage.uow import UnitOfWork


@dataclass
class Check:
    name: str
    problems: list[str] = field(default_factory=list)
    # What is worth knowing but not wrong (money in flight, say).
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass
class AuditReport:
    checks: list[Check]

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)


def _balanced(repo: AuditRepository) -> Check:
    check = Check(N_("every transaction balances"))
    for row in repo.unbalanced_transactions():
        check.problems.append(
            f"transaction {row.id} ({row.key}): postings sum to {yuan(row.total)}"
        )
    return check


def _chain(repo: AuditRepository) -> Check:
    check = Check(N_("no posting or transaction has changed (digest chain)"))
    heads = {h.plan_id: h for h in repo.heads()}
    for plan_id in repo.plan_ids():
        prev, count = GENESIS, 0
        for txn, legs in repo.chain(plan_id):
            count += 1
            content = canonical_transaction(
                txn.key, txn.kind, txn.plan_id, txn.memo, txn.posted_at, legs
            )
            if txn.prev_digest != prev:
                check.problems.append(f"transaction {txn.id} ({txn.key}): chain broken before it")
            if chain_digest(txn.prev_digest, content) != txn.digest:
                check.problems.append(f"transaction {txn.id} ({txn.key}): content has changed")
            prev = txn.digest
        head = heads[plan_id]
        if head.digest != prev or head.length != count:
            check.problems.append(
                f"{plan_id}: chain head says {head.length} transactions ending {head.digest[:12]}, "
                f"found {count} ending {prev[:12]}"
            )
    return check


def _accounts(repo: AuditRepository) -> Check:
    check = Check(N_("account balances match their postings"))
    for row in repo.account_mismatches():
        check.problems.append(
            f"{row.code}: balance {yuan(row.balance)}, postings sum to {yuan(row.posted)}"
        )
    return check


def _archived(archived: list[ArchiveRecord], plan_id: str, field: str) -> int:
    return sum(getattr(a, field) for a in archived if a.plan_id == plan_id)


def _subledger(repo: AuditRepository, archived: list[ArchiveRecord]) -> Check:
    check = Check(N_("members' balances add up to the member-funds account"))
    for plan_id in repo.plan_ids():
        control = repo.account_balance(plan_id, AccountKind.MEMBER_FUNDS)
        detail = repo.subledger_total(plan_id) - _archived(archived, plan_id, "amount_total")
        # member-funds is credit-normal: it holds minus what members have in credit.
        if control + detail != 0:
            check.problems.append(
                f"{plan_id}: member-funds is {yuan(control)}, members' credits minus charges is "
                f"{yuan(detail)}"
            )
    return check


def _credits(repo: AuditRepository) -> Check:
    check = Check(N_("each member credit matches its transaction"))
    for row in repo.credits_off_their_posting():
        check.problems.append(
            f"transaction {row.id} ({row.key}): membership {row.membership_id} credited "
            f"{yuan(row.credited)}, member-funds posted {yuan(row.posted)}"
        )
    return check


def _collections(repo: AuditRepository, archived: list[ArchiveRecord]) -> Check:
    check = Check(N_("debit batches add up, batch by batch and member by member"))
    for row in repo.unbalanced_batches():
        check.problems.append(
            f"batch {row.gateway_ref}: collected {yuan(row.collected)} + failed "
            f"{yuan(row.failed_amount)} != {yuan(row.amount)} asked"
        )
    for plan_id in repo.plan_ids():
        said, shown = repo.collected_detail(plan_id)
        shown += _archived(archived, plan_id, "paid_total")
        if said != shown:
            check.problems.append(
                f"{plan_id}: settled batches collected {yuan(said)}, members' paid charges sum to "
                f"{yuan(shown)}"
            )
    return check


def _clearing(uow: UnitOfWork, repo: AuditRepository, now: datetime) -> Check:
    problems, notes = check_clearing(uow, repo.plan_ids(), now)
    return Check(N_("gateway clearing holds only money in flight, none overdue"), problems, notes)


def _rounds(repo: AuditRepository, archived: list[ArchiveRecord]) -> Check:
    check = Check(N_("every round adds up and carries its surplus"))
    previous: dict[str, int] = {}
    in_archive = {a.round_id: a.amount_total for a in archived}
    for r in repo.rounds_with_detail():
        charged = r.charged_detail + in_archive.get(r.id, 0)
        name = f"round {r.plan_id} {r.announce_date}"
        need = r.payouts + r.fee - r.carry_in
        if r.collected + r.backstop - r.surplus != need:
            check.problems.append(
                f"{name}: charged + backstop - surplus != payouts + fee - carry_in"
            )
        if charged != r.collected:
            check.problems.append(
                f"{name}: members' charges sum to {yuan(charged)}, not {yuan(r.collected)}"
            )
        if r.payouts_detail != r.payouts or r.cases_detail != r.cases:
            check.problems.append(
                f"{name}: its claims sum to {yuan(r.payouts_detail)} in {r.cases_detail} cases"
            )
        posted = {
            "member-funds": (r.posted_member_funds, r.collected),
            "claims-payable": (r.posted_claims_payable, -r.payouts),
            "fee-income": (r.posted_fee_income, -r.fee),
            "backstop": (r.posted_backstop, r.backstop),
            "surplus-reserve": (r.posted_surplus_reserve, r.carry_in - r.surplus),
        }
        for account, (found, expected) in posted.items():
            if found != expected:
                check.problems.append(
                    f"{name}: its transaction posted {yuan(found)} to {account}, the round says "
                    f"{yuan(expected)}"
                )
        left = previous.get(r.plan_id, 0)
        if r.carry_in != left:
            check.problems.append(
                f"{name}: carried in {yuan(r.carry_in)}, the round before left {yuan(left)}"
            )
        previous[r.plan_id] = r.surplus
    return check


def _archive(uow: UnitOfWork, archived: list[ArchiveRecord]) -> Check:
    check = Check(N_("every archived round still holds what was archived"))
    check.problems.extend(check_archives(uow, archived))
    return check


def _decisions(uow: UnitOfWork) -> list[Check]:
    """Each decision taken once (see huzhu.services.audit.decisions)."""
    repo = DecisionAuditRepository(uow.conn)
    return [
        Check(N_("no person is paid out twice in a plan"), decided.paid_once(repo)),
        Check(N_("no claim is decided twice (each history chains)"), decided.histories_chain(repo)),
        Check(N_("no live membership has a leaving date"), decided.no_live_leaver(repo)),
        Check(
            N_("every payout is the plan's rule or a recorded override"),
            decided.payouts_follow_the_rule(uow, repo),
        ),
        Check(N_("one public-log entry per decision"), decided.one_entry_per_decision(repo)),
    ]


def _funds(uow: UnitOfWork) -> list[Check]:
    return [
        Check(audit_funds.PREPAID_CHECK, audit_funds.negative_prepaid(uow)),
        Check(audit_funds.CASH_CHECK, audit_funds.cash_below_zero(uow)),
        Check(audit_funds.PAYOUT_CHECK, audit_funds.payouts_without_money(uow)),
    ]


def audit(uow: UnitOfWork, now: datetime | None = None) -> AuditReport:
    """`now` dates what is overdue (default: the wall clock)."""
    now = now or datetime.now(UTC)
    repo = AuditRepository(uow.conn)
    archived = ArchiveRepository(uow.conn).records()
    return AuditReport(
        [
            _balanced(repo),
            _chain(repo),
            _accounts(repo),
            _subledger(repo, archived),
            _credits(repo),
            _collections(repo, archived),
            _clearing(uow, repo, now),
            _rounds(repo, archived),
            _archive(uow, archived),
            *_decisions(uow),
            *_funds(uow),
        ]
    )
