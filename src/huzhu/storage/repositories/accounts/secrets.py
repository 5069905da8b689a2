"""Secrets generated for this database (the sandbox gateway's HMAC key...), never a published
default. Migration 0008 creates them; one found missing is made on first use."""

from __future__ import annotations

import secrets as random_secrets
from datetime import UTC, datetime

from sqlalchemy import Connection, insert, select
from sqlalchemy.exc import IntegrityError

from huzhu.storage.tables_access import instance_secrets

SANDBOX_GATEWAY = "sandbox-gateway"


def new_secret() -> str:
    return random_secrets.token_hex(32)  # 256 bits


class SecretRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def get(self, name: str) -> str:
        """This database's secret `name`, made (at random) if it has none yet."""
        found = self.conn.scalar(
            select(instance_secrets.c.value).where(instance_secrets.c.name == name)
        )
        if found is not None:
            return str(found)
        try:
            with self.conn.begin_nested():
                self.conn.execute(
                    insert(instance_secrets).values(
                        name=name, value=new_secret(), created_at=datetime.now(UTC)
                    )
                )
        except IntegrityError:
            pass  # another process made it first: theirs is the one
        value = self.conn.scalar(
            select(instance_secrets.c.value).where(instance_secrets.c.name == name)
        )
        assert value is not None
        return str(value)
