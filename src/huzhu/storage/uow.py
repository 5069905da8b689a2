"""Unit of work: one database transaction per request or job.

Services open a `UnitOfWork`, use its repositories, and call `commit()`; leaving the block without a
commit rolls everything back, so a refused request writes nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from types import TracebackType

from sqlalchemy import Connection, Engine

from huzhu.storage.engine import READ_ONLY
from huzhu.storage.repositories.accounts.repository import AccountRepository
from huzhu.storage.repositories.claims.juries import JuryRepository
from huzhu.storage.repositories.claims.repository import ClaimRepository
from huzhu.storage.repositories.claims.review import EvidenceRepository, ObjectionRepository
from huzhu.storage.repositories.claims.workflow import WorkflowRepository
from huzhu.storage.repositories.members.identity_checks import IdentityCheckRepository
from huzhu.storage.repositories.members.people import PersonRepository
from huzhu.storage.repositories.members.repository import MembershipRepository
from huzhu.storage.repositories.messaging.inbox import InboxRepository
from huzhu.storage.repositories.messaging.outbox import OutboxRepository
from huzhu.storage.repositories.money.charges import ChargeRepository
from huzhu.storage.repositories.money.collection import CollectionRepository
from huzhu.storage.repositories.money.collection_exceptions import CollectionExceptionRepository
from huzhu.storage.repositories.money.ledger import LedgerRepository
from huzhu.storage.repositories.money.payments import PaymentRepository
from huzhu.storage.repositories.plans.forecasts import ForecastRepository
from huzhu.storage.repositories.plans.repository import PlanRepository
from huzhu.storage.repositories.record.archive import ArchiveRepository
from huzhu.storage.repositories.record.merkle_trees import MerkleTreeRepository
from huzhu.storage.repositories.record.public_record import PublicRecordRepository
from huzhu.storage.repositories.record.records import (
    AuditLogRepository,
    IdempotencyRepository,
    WebhookRepository,
)
from huzhu.storage.repositories.record.timestamps import TimestampRepository
from huzhu.storage.repositories.rounds.repository import RoundRepository


class UnitOfWork:
    conn: Connection
    plans: PlanRepository
    people: PersonRepository
    memberships: MembershipRepository
    claims: ClaimRepository
    rounds: RoundRepository
    charges: ChargeRepository
    collection: CollectionRepository
    collection_exceptions: CollectionExceptionRepository
    payments: PaymentRepository
    ledger: LedgerRepository
    accounts: AccountRepository
    audit_log: AuditLogRepository
    idempotency: IdempotencyRepository
    webhooks: WebhookRepository
    public_record: PublicRecordRepository
    merkle_trees: MerkleTreeRepository
    workflow: WorkflowRepository
    evidence: EvidenceRepository
    objections: ObjectionRepository
    juries: JuryRepository
    inbox: InboxRepository
    archive: ArchiveRepository
    forecasts: ForecastRepository
    outbox: OutboxRepository
    identity_checks: IdentityCheckRepository

    timestamps: TimestampRepository

    def __init__(self, engine: Engine, *, read_only: bool = False) -> None:
        """`read_only`: the work only reads (a GET), so on SQLite it need not take the write lock
        and runs alongside a writer; a write in it may then fail as busy."""
        self.engine = engine
        self.read_only = read_only
        self._committed = False

    def __enter__(self) -> UnitOfWork:
        self.conn = self.engine.connect()
        if self.read_only:
            self.conn.execution_options(**{READ_ONLY: True})
        self._tx = self.conn.begin()
        self._committed = False
        self.plans = PlanRepository(self.conn)
        self.people = PersonRepository(self.conn)
        self.memberships = MembershipRepository(self.conn)
        self.claims = ClaimRepository(self.conn)
        self.rounds = RoundRepository(self.conn)
        self.charges = ChargeRepository(self.conn)
        self.collection = CollectionRepository(self.conn)
        self.collection_exceptions = CollectionExceptionRepository(self.conn)
        self.payments = PaymentRepository(self.conn)
        self.ledger = LedgerRepository(self.conn)
        self.accounts = AccountRepository(self.conn)
        self.audit_log = AuditLogRepository(self.conn)
        self.idempotency = IdempotencyRepository(self.conn)
        self.webhooks = WebhookRepository(self.conn)
        self.public_record = PublicRecordRepository(self.conn)
        self.merkle_trees = MerkleTreeRepository(self.conn)
        self.workflow = WorkflowRepository(self.conn)
        self.evidence = EvidenceRepository(self.conn)
        self.objections = ObjectionRepository(self.conn)
        self.juries = JuryRepository(self.conn)
        self.inbox = InboxRepository(self.conn)
        self.forecasts = ForecastRepository(self.conn)
        self.archive = ArchiveRepository(self.conn)
        self.outbox = OutboxRepository(self.conn)
        self.identity_checks = IdentityCheckRepository(self.conn)

        self.timestamps = TimestampRepository(self.conn)
        self._after_commit: list[Callable[[], None]] = []
        return self

    @property
    def dialect(self) -> str:
        return self.conn.dialect.name

    def restart(self) -> None:
        """Throw away this transaction's work and begin a fresh one."""
        self._after_commit = []
        if self._tx.is_active:  # a unit that committed part of its work starts afresh too
            self._tx.rollback()
        self._tx = self.conn.begin()

    def after_commit(self, action: Callable[[], None]) -> None:
        """Run `action` once this transaction has committed (e-mail, SMS): never for work that
        was rolled back. A failing action is logged, not raised."""
        self._after_commit.append(action)

    def commit(self) -> None:
        self._tx.commit()
        self._committed = True
        actions, self._after_commit = self._after_commit, []
        for action in actions:
            try:
                action()
            except Exception:
                logging.getLogger("huzhu.uow").exception("an after-commit action failed")

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if not self._committed and self._tx.is_active:
                self._tx.rollback()
        finally:
            self.conn.close()
