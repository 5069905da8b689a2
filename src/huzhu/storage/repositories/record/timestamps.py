"""RFC 3161 time-stamp tokens over chain heads (append-only: a token is never changed)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, insert, select

from huzhu.storage.tables_record import timestamp_tokens


@dataclass(frozen=True)
class StoredToken:
    id: int
    seq: int
    digest: str
    tsa_url: str
    token: bytes
    gen_time: datetime
    requested_at: datetime


class TimestampRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add(
        self,
        seq: int,
        digest: str,
        tsa_url: str,
        token: bytes,
        gen_time: datetime,
        requested_at: datetime,
    ) -> int:
        result = self.conn.execute(
            insert(timestamp_tokens).values(
                seq=seq,
                digest=digest,
                tsa_url=tsa_url,
                token=token,
                gen_time=gen_time,
                requested_at=requested_at,
            )
        )
        return int(result.inserted_primary_key[0])  # type: ignore[index]

    def all(self) -> Iterator[StoredToken]:
        rows = self.conn.execute(select(timestamp_tokens).order_by(timestamp_tokens.c.id))
        for r in rows:
            yield StoredToken(
                r.id, r.seq, r.digest, r.tsa_url, bytes(r.token), r.gen_time, r.requested_at
            )
