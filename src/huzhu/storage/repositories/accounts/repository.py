"""Accounts, their roles and sessions, and the host apps that sign users in."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, delete, insert, select, update

from huzhu.domain.access import Principal, Role
from huzhu.domain.errors import NotFound
from huzhu.storage.tables_access import (
    account_roles,
    accounts,
    auth_sessions,
    host_apps,
    host_assertion_nonces,
)


@dataclass(frozen=True)
class Account:
    id: int
    username: str | None
    password_hash: str | None
    person_id: int | None
    host_app_id: int | None
    external_id: str | None
    roles: frozenset[Role]
    created_at: datetime
    disabled_at: datetime | None


@dataclass(frozen=True)
class HostApp:
    id: int
    name: str
    assertion_secret: str
    webhook_url: str | None
    webhook_secret: str
    webhook_secret_previous: str | None = None
    webhook_secret_previous_until: datetime | None = None


def _host_app(row: Row[Any]) -> HostApp:
    return HostApp(
        row.id, row.name, row.assertion_secret, row.webhook_url, row.webhook_secret,
        row.webhook_secret_previous, row.webhook_secret_previous_until,
    )  # fmt: skip


class AccountRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def _roles(self, account_id: int) -> frozenset[Role]:
        rows = self.conn.scalars(
            select(account_roles.c.role).where(account_roles.c.account_id == account_id)
        )
        return frozenset(Role(r) for r in rows)

    def _account(self, row: Row[Any] | None) -> Account | None:
        if row is None:
            return None
        return Account(
            id=row.id,
            username=row.username,
            password_hash=row.password_hash,
            person_id=row.person_id,
            host_app_id=row.host_app_id,
            external_id=row.external_id,
            roles=self._roles(row.id),
            created_at=row.created_at,
            disabled_at=row.disabled_at,
        )

    def add(
        self,
        *,
        now: datetime,
        roles: frozenset[Role],
        username: str | None = None,
        password_hash: str | None = None,
        host_app_id: int | None = None,
        external_id: str | None = None,
    ) -> int:
        result = self.conn.execute(
            insert(accounts).values(
                username=username,
                password_hash=password_hash,
                host_app_id=host_app_id,
                external_id=external_id,
                created_at=now,
            )
        )
        account_id = int(result.inserted_primary_key[0])  # type: ignore[index]
        self.set_roles(account_id, roles)
        return account_id

    def get(self, account_id: int) -> Account:
        found = self._account(
            self.conn.execute(select(accounts).where(accounts.c.id == account_id)).first()
        )
        if found is None:
            raise NotFound(f"no account {account_id}", code="unknown-account", field="account")
        return found

    def by_username(self, username: str) -> Account | None:
        return self._account(
            self.conn.execute(select(accounts).where(accounts.c.username == username)).first()
        )

    def by_external(self, host_app_id: int, external_id: str) -> Account | None:
        return self._account(
            self.conn.execute(
                select(accounts).where(
                    accounts.c.host_app_id == host_app_id, accounts.c.external_id == external_id
                )
            ).first()
        )

    def by_person(self, person_id: int) -> Account | None:
        return self._account(
            self.conn.execute(select(accounts).where(accounts.c.person_id == person_id)).first()
        )

    def link_person(self, account_id: int, person_id: int) -> None:
        self.conn.execute(
            update(accounts).where(accounts.c.id == account_id).values(person_id=person_id)
        )

    def set_password(self, account_id: int, password_hash: str) -> None:
        self.conn.execute(
            update(accounts).where(accounts.c.id == account_id).values(password_hash=password_hash)
        )

    def set_roles(self, account_id: int, roles: frozenset[Role]) -> None:
        self.conn.execute(delete(account_roles).where(account_roles.c.account_id == account_id))
        if roles:
            self.conn.execute(
                insert(account_roles),
                [{"account_id": account_id, "role": r.value} for r in sorted(roles)],
            )

    def page(self, after_id: int, limit: int) -> list[Account]:
        rows = self.conn.execute(
            select(accounts).where(accounts.c.id > after_id).order_by(accounts.c.id).limit(limit)
        )
        return [a for a in (self._account(r) for r in rows) if a is not None]

    # --- sessions -------------------------------------------------------------------------

    def add_session(
        self,
        account_id: int,
        token_hash: str,
        csrf_hash: str | None,
        kind: str,
        now: datetime,
        expires_at: datetime,
    ) -> int:
        result = self.conn.execute(
            insert(auth_sessions).values(
                account_id=account_id,
                token_hash=token_hash,
                csrf_hash=csrf_hash,
                kind=kind,
                created_at=now,
                expires_at=expires_at,
            )
        )
        return int(result.inserted_primary_key[0])  # type: ignore[index]

    def principal_for(self, token_hash: str, now: datetime) -> tuple[Principal, str | None] | None:
        """The caller behind a live session token, with the session's CSRF digest."""
        row = self.conn.execute(
            select(
                auth_sessions.c.id,
                auth_sessions.c.csrf_hash,
                accounts.c.id.label("account_id"),
                accounts.c.person_id,
                accounts.c.host_app_id,
            )
            .join(accounts, accounts.c.id == auth_sessions.c.account_id)
            .where(
                auth_sessions.c.token_hash == token_hash,
                auth_sessions.c.revoked_at.is_(None),
                auth_sessions.c.expires_at > now,
                accounts.c.disabled_at.is_(None),
            )
        ).first()
        if row is None:
            return None
        principal = Principal(
            account_id=row.account_id,
            roles=self._roles(row.account_id),
            person_id=row.person_id,
            host_app_id=row.host_app_id,
            session_id=row.id,
        )
        return principal, row.csrf_hash

    def revoke_session(self, session_id: int, now: datetime) -> None:
        self.conn.execute(
            update(auth_sessions).where(auth_sessions.c.id == session_id).values(revoked_at=now)
        )

    # --- host apps ------------------------------------------------------------------------

    def add_host_app(
        self,
        name: str,
        assertion_secret: str,
        webhook_url: str | None,
        webhook_secret: str,
        now: datetime,
    ) -> int:
        result = self.conn.execute(
            insert(host_apps).values(
                name=name,
                assertion_secret=assertion_secret,
                webhook_url=webhook_url,
                webhook_secret=webhook_secret,
                created_at=now,
            )
        )
        return int(result.inserted_primary_key[0])  # type: ignore[index]

    def rotate_webhook_secret(
        self, host_app_id: int, new_secret: str, keep_old_until: datetime
    ) -> None:
        self.conn.execute(
            update(host_apps)
            .where(host_apps.c.id == host_app_id)
            .values(
                webhook_secret_previous=host_apps.c.webhook_secret,
                webhook_secret_previous_until=keep_old_until,
                webhook_secret=new_secret,
            )
        )

    def host_app(self, host_app_id: int) -> HostApp:
        row = self.conn.execute(select(host_apps).where(host_apps.c.id == host_app_id)).first()
        if row is None:
            raise NotFound(f"no host app {host_app_id}", code="unknown-host-app", field="app")
        return _host_app(row)

    def host_app_by_name(self, name: str) -> HostApp | None:
        row = self.conn.execute(select(host_apps).where(host_apps.c.name == name)).first()
        return _host_app(row) if row else None

    def use_nonce(self, host_app_id: int, nonce: str, expires_at: datetime, now: datetime) -> bool:
        """Record an assertion's nonce; False when it was seen before (a replay)."""
        self.conn.execute(
            delete(host_assertion_nonces).where(host_assertion_nonces.c.expires_at < now)
        )
        seen = self.conn.scalar(
            select(host_assertion_nonces.c.nonce).where(
                host_assertion_nonces.c.host_app_id == host_app_id,
                host_assertion_nonces.c.nonce == nonce,
            )
        )
        if seen is not None:
            return False
        self.conn.execute(
            insert(host_assertion_nonces).values(
                host_app_id=host_app_id, nonce=nonce, expires_at=expires_at
            )
        )
        return True
