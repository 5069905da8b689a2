"""Every setting huzhu reads from its environment, in one model.

Each field is the variable `HUZHU_<FIELD NAME IN CAPITALS>`. An entry point (the CLI's root
command, the API's `create_app`) calls `load()` once and hands what it needs down; nothing below
the entry points reads the environment. A bad value stops the process at start with a message that
names the variable (`SettingsError`), never a bare `ValueError` mid-request.

To add a setting: add a field with a default and a `description` (the operations table in
docs/operations.md is generated from them: `python -m huzhu.settings --write` rewrites it), then run
`tests/test_settings.py`, which fails while the table is out of date.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Literal

from limits import parse as parse_limit
from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

PREFIX = "HUZHU_"


class SettingsError(Exception):
    """A setting has a value huzhu cannot use; the message names the variable."""

    def __init__(self, message: str, variable: str) -> None:
        super().__init__(message)
        self.variable = variable


def _rate(value: str) -> str:
    try:
        parse_limit(value)
    except ValueError:
        raise ValueError(f"{value!r} is not a rate such as '30/minute'") from None
    return value


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix=PREFIX, frozen=True, extra="ignore", validate_default=True
    )

    # --- the database and files ---
    database_url: str | None = Field(
        None,
        description="Database URL (`postgresql://…` or `sqlite:///path`); "
        "default `sqlite:///huzhu.db`. The CLI's `--database` wins over it.",
    )
    data_dir: Path | None = Field(
        None,
        description="Where huzhu keeps files of its own; default the directory of a SQLite "
        "file, else `$XDG_DATA_HOME/huzhu` (never the working tree).",
    )
    evidence_dir: Path | None = Field(
        None, description="Where claim evidence files are kept; default `evidence/` in DATA_DIR."
    )

    # --- the HTTP API ---
    session_ttl_minutes: int = Field(720, gt=0, description="How long a session lasts.")
    max_body_bytes: int = Field(
        64 * 1024, gt=0, description="Largest request body outside evidence uploads."
    )
    sign_in_limit: str = Field(
        "10/minute", description="Sign-ins and registrations per client address and username."
    )
    sign_in_address_limit: str = Field(
        "30/minute",
        description="Sign-ins from one address over all usernames (password spraying).",
    )
    sign_in_user_limit: str = Field(
        "30/hour",
        description="Failed sign-ins to one username from addresses it never signed in from.",
    )
    join_limit: str = Field("30/minute", description="Joins per client session (per process).")
    trusted_proxies: Annotated[tuple[str, ...], NoDecode] = Field(
        (),
        description="Comma-separated addresses or networks of reverse proxies whose "
        "`X-Forwarded-For` is believed; empty: the TCP peer is the client.",
    )
    quick_join: bool = Field(
        True, description="PostgreSQL: write a new person's own join in one statement."
    )
    local_dev: bool = Field(
        False, description="A developer's machine over plain HTTP: cookies without `Secure`."
    )
    cookie_secure: bool = Field(
        True, description="Send session cookies with `Secure` (off by default with LOCAL_DEV)."
    )
    sandbox_credit_score: int | None = Field(
        700,
        description="The sandbox credit provider's score for people with none on file; "
        "empty for none.",
    )
    metrics_token: str | None = Field(
        None, description="When set, `/metrics` wants `Authorization: Bearer <token>`."
    )
    log_format: Literal["text", "json"] = Field(
        "text", description="`json`: one JSON object per log line (request logs included)."
    )

    # --- webhooks to host apps ---
    webhook_timeout_s: float = Field(
        5.0, gt=0, le=60, description="Seconds a host app has to answer one webhook."
    )
    webhook_concurrency: int = Field(
        16, gt=0, le=256, description="Webhook requests in flight at once per process."
    )
    webhook_batch: int = Field(200, gt=0, le=10_000, description="Events taken per delivery pass.")

    # --- member notifications ---
    notify: Literal["log", "console"] = Field(
        "log", description="Where e-mail and SMS go when no file is set: `log` or `console`."
    )
    notify_file: Path | None = Field(
        None, description="Append every outgoing e-mail and SMS to this file (demos, drills)."
    )

    smtp_host: str | None = Field(
        None,
        description="SMTP server for e-mail to people; unset: as `HUZHU_NOTIFY` says.",
    )
    smtp_port: int = Field(25, gt=0, lt=65536, description="SMTP port.")
    smtp_from: str = Field("huzhu@localhost", description="The sender of e-mail.")
    smtp_username: str | None = Field(None, description="SMTP login, if the server wants one.")
    smtp_password: str | None = Field(None, description="SMTP password.")
    smtp_starttls: bool = Field(False, description="Upgrade the SMTP connection with STARTTLS.")
    smtp_timeout_s: float = Field(10.0, gt=0, description="Seconds to wait for the SMTP server.")

    # --- notarisation ---
    tsa_url: str | None = Field(
        None,
        description="An RFC 3161 time-stamping authority: `huzhu record timestamp` asks it to "
        "sign the chain head.",
    )
    tsa_ca_file: Path | None = Field(
        None,
        description="PEM file of the CA certificate(s) the TSA's certificate chains to; "
        "`huzhu verify` checks every stored time-stamp token against it.",
    )
    tsa_timeout_s: float = Field(10.0, gt=0, description="Seconds to wait for the TSA.")

    # --- the demo ---
    demo_password: str | None = Field(
        None, description="`huzhu demo`: the demo accounts' password; unset: new random ones."
    )

    # --- the payment gateway ---
    gateway: str = Field("sandbox", description="The payment gateway huzhu uses.")
    sandbox_gateway_secret: str | None = Field(
        None,
        description="Sandbox gateway: the callback signing secret (at least 32 characters); "
        "unset: the random secret generated for each database.",
    )
    sandbox_gateway_seed: int = Field(0, description="Sandbox gateway: seed of its failures.")
    sandbox_gateway_failure_bp: int = Field(
        500, ge=0, le=10_000, description="Sandbox gateway: debits that fail, in basis points."
    )
    sandbox_gateway_payout_failure_bp: int = Field(
        0, ge=0, le=10_000, description="Sandbox gateway: payouts that fail, in basis points."
    )
    sandbox_gateway_delay_s: int = Field(
        60, ge=0, description="Sandbox gateway: seconds before a callback is sent."
    )
    sandbox_gateway_duplicate_bp: int = Field(
        2_500, ge=0, le=10_000, description="Sandbox gateway: callbacks sent twice, basis points."
    )
    sandbox_gateway_fail_members: str = Field(
        "", description="Sandbox gateway: comma-separated membership ids whose debits always fail."
    )

    @model_validator(mode="before")
    @classmethod
    def _local_dev(cls, data: object) -> object:
        # Plain HTTP on a developer's machine: cookies lose `Secure` unless asked for explicitly.
        local = str(data.get("local_dev", "")).strip().lower() if isinstance(data, dict) else ""
        if isinstance(data, dict) and "cookie_secure" not in data and local in ("1", "true", "on"):
            return {**data, "cookie_secure": False}
        return data

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _proxies(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(p.strip() for p in value.split(",") if p.strip())
        return value

    @field_validator("sign_in_limit", "sign_in_address_limit", "sign_in_user_limit", "join_limit")
    @classmethod
    def _limits(cls, value: str) -> str:
        return _rate(value)

    @field_validator("sandbox_credit_score", mode="before")
    @classmethod
    def _empty_is_none(cls, value: object) -> object:
        return None if value == "" else value

    @field_validator(
        "database_url",
        "data_dir",
        "evidence_dir",
        "notify_file",
        "metrics_token",
        "smtp_host",
        "smtp_username",
        "smtp_password",
        "sandbox_gateway_secret",
        "demo_password",
        "tsa_url",
        "tsa_ca_file",
        mode="before",
    )
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        return None if value == "" else value

    @field_validator("sandbox_gateway_fail_members")
    @classmethod
    def _members(cls, value: str) -> str:
        for part in value.split(","):
            if part.strip() and not part.strip().isdigit():
                raise ValueError(f"{part.strip()!r} is not a membership id")
        return value

    @property
    def session_ttl(self) -> timedelta:
        return timedelta(minutes=self.session_ttl_minutes)

    @property
    def fail_members(self) -> frozenset[int]:
        return frozenset(int(m) for m in self.sandbox_gateway_fail_members.split(",") if m.strip())


_installed: Settings | None = None


def install(settings: Settings) -> Settings:
    """Make `settings` this process's settings (an entry point does this once)."""
    global _installed
    _installed = settings
    return settings


def current() -> Settings:
    """The settings an entry point installed, else the environment's (read once)."""
    return _installed if _installed is not None else install(load())


def xdg_data_home() -> Path:
    """The user's data directory by the XDG convention (`~/.local/share` unless set)."""
    return Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")


def env_name(field: str) -> str:
    return PREFIX + field.upper()


def load(**overrides: object) -> Settings:
    """The settings from the environment (and `overrides`), or a `SettingsError` naming the
    variable that is wrong."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as err:
        lines, names = [], []
        for problem in err.errors():
            field = str(problem["loc"][0]) if problem["loc"] else "?"
            message = problem["msg"].removeprefix("Value error, ")
            names.append(env_name(field))
            lines.append(f"{env_name(field)}: {message} (got {problem.get('input')!r})")
        raise SettingsError("; ".join(lines), names[0]) from None


def markdown_table() -> str:
    """The settings table of docs/operations.md, generated from the model."""
    rows = ["| Variable | Default | Meaning |", "| --- | --- | --- |"]
    for name, info in Settings.model_fields.items():
        default = info.default
        shown = "(none)" if default is None else f"`{default}`" if default != "" else "(empty)"
        if isinstance(default, bool):
            shown = "`1`" if default else "`0`"
        rows.append(f"| `{env_name(name)}` | {shown} | {info.description or ''} |")
    return "\n".join(rows) + "\n"


DOC = Path("docs/operations.md")
BEGIN, END = "<!-- settings:begin -->", "<!-- settings:end -->"


def document_with_table(text: str) -> str:
    """`text` with the part between the settings markers replaced by the current table."""
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{BEGIN}\n{markdown_table()}{END}{tail}"


if __name__ == "__main__":
    import sys

    if sys.argv[1:] == ["--write"]:
        DOC.write_text(document_with_table(DOC.read_text(encoding="utf-8")), encoding="utf-8")
    else:
        print(markdown_table(), end="")
