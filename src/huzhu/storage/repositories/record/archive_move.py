"""Moving an archived round's charges out of `member_charges` (see huzhu.services.record.archive).

PostgreSQL: the round's partition is detached and moved, whole, to the `huzhu_archive` schema.
SQLite: its rows are copied to `member_charges_archive` and deleted from `member_charges`, which
the delete trigger of migration 0007 allows only for a recorded round and identical copies.
"""

from __future__ import annotations

from sqlalchemy import Connection, delete, insert, select, text
from sqlalchemy.exc import OperationalError

from huzhu.domain.errors import Conflict
from huzhu.storage.repositories.record.archive import archive_tables
from huzhu.storage.tables import member_charges, rounds
from huzhu.storage.tables_archive import ARCHIVE_SCHEMA, member_charges_archive

COLUMNS = ["membership_id", "round_id", "amount", "year_total"]


class ArchiveMover:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    @property
    def _postgres(self) -> bool:
        return self.conn.dialect.name == "postgresql"

    def lock_round(self, round_id: int) -> bool:
        """Serialise archiving per round; False when there is no such round."""
        q = select(rounds.c.id).where(rounds.c.id == round_id).with_for_update()
        return self.conn.scalar(q) is not None

    def _partition(self, round_id: int) -> str | None:
        """The round's partition of member_charges, as PostgreSQL names it (None: there is none)."""
        found = self.conn.scalar(
            text(
                "SELECT c.oid::regclass::text FROM pg_inherits i "
                "JOIN pg_class c ON c.oid = i.inhrelid "
                "WHERE i.inhparent = 'member_charges'::regclass AND c.relname = :name"
            ),
            {"name": f"member_charges_r{int(round_id)}"},
        )
        return None if found is None else str(found)

    def destination(self, round_id: int) -> str | None:
        """Where `move` will put a round's charges (None: it has none to move)."""
        if not self._postgres:
            return str(member_charges_archive.name)
        if self._partition(round_id) is None:
            return None  # the round charged nobody: it never had a partition
        return f"{ARCHIVE_SCHEMA}.member_charges_r{int(round_id)}"

    def move(self, round_id: int) -> None:
        """Move a recorded round's charges out of member_charges, to `destination(round_id)`.

        Call after `add`: on SQLite the delete trigger lets rows go only once their round is
        recorded and each has an identical copy in the archive."""
        rid = int(round_id)
        if self._postgres:
            partition = self._partition(rid)
            if partition is not None:
                self._move_partition(rid, partition)
            return
        hot = select(*(member_charges.c[n] for n in COLUMNS)).where(
            member_charges.c.round_id == rid
        )
        copied = self.conn.execute(insert(member_charges_archive).from_select(COLUMNS, hot))
        removed = self.conn.execute(delete(member_charges).where(member_charges.c.round_id == rid))
        if copied.rowcount != removed.rowcount:  # pragma: no cover - one transaction, same rows
            raise Conflict(f"round {rid}: copied {copied.rowcount}, removed {removed.rowcount}")

    def _move_partition(self, round_id: int, partition: str) -> None:
        name = f"member_charges_r{round_id}"
        if name in archive_tables(self.conn):
            raise Conflict(
                f"{ARCHIVE_SCHEMA}.{name} already exists but round {round_id} is not recorded as "
                "archived (a restored dump?): move that table away first",
                code="archive-table-exists",
                field="round",
            )
        try:
            # DETACH takes an exclusive lock on member_charges: never queue long behind a round
            # (every reader would queue behind us).
            self.conn.execute(text("SET LOCAL lock_timeout = '10s'"))
            self.conn.execute(text(f"ALTER TABLE member_charges DETACH PARTITION {partition}"))
        except OperationalError as e:
            raise Conflict(
                f"member_charges is busy (a round running?), round {round_id} was not archived: "
                f"run again ({e.orig})",
                code="archive-busy",
            ) from None
        self.conn.execute(text(f"ALTER TABLE {partition} SET SCHEMA {ARCHIVE_SCHEMA}"))
        # The partition lost member_charges' append-only trigger when it was detached.
        self.conn.execute(
            text(
                f"CREATE TRIGGER {name}_append_only BEFORE UPDATE OR DELETE ON "
                f"{ARCHIVE_SCHEMA}.{name} FOR EACH ROW EXECUTE FUNCTION huzhu_append_only()"
            )
        )
