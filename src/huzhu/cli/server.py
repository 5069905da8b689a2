"""`huzhu serve` and `huzhu accounts add`."""

from __future__ import annotations

import os

import typer

from huzhu.cli.context import STATE, out, report_errors
from huzhu.domain.access import Role
from huzhu.domain.errors import InvalidInput
from huzhu.services.accounts.service import register as register_account
from huzhu.services.plans.service import install_templates

# The API reads X-Forwarded-For itself, from HUZHU_TRUSTED_PROXIES only (api/client_address.py);
# uvicorn's own proxy handling believes the header from 127.0.0.1, so any local caller could pose
# as a new client on every request.
UVICORN_OPTIONS = {"log_level": "warning", "access_log": False, "proxy_headers": False}

accounts_app = typer.Typer(help="Accounts of the API: operators, reviewers, auditors.")


def register(root: typer.Typer) -> None:
    @root.command()
    @report_errors
    def serve(
        host: str = typer.Option("127.0.0.1"),
        port: int = typer.Option(8000, min=1, max=65535),
        workers: int = typer.Option(1, min=1, max=64),
    ) -> None:
        """Serve the HTTP API (OpenAPI at /openapi.json, interactive docs at /docs)."""
        import uvicorn

        engine = STATE.engine(create=True)
        with STATE.uow() as uow:
            install_templates(uow, STATE.now())
            uow.commit()
        os.environ["HUZHU_DATABASE_URL"] = engine.url.render_as_string(hide_password=False)
        out.print(f"huzhu API on http://{host}:{port}  (docs: http://{host}:{port}/docs)")
        uvicorn.run(
            "huzhu.api.app:create_app",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            **UVICORN_OPTIONS,  # type: ignore[arg-type]
        )

    root.add_typer(accounts_app, name="accounts")


@accounts_app.command("add")
@report_errors
def add_account(
    username: str = typer.Option(...),
    role: list[Role] = typer.Option([Role.MEMBER], help="Repeat for several roles."),
    password_env: str = typer.Option(
        "HUZHU_NEW_PASSWORD", help="Environment variable that holds the password."
    ),
) -> None:
    """Create an account with roles (the first operator is made this way)."""
    password = os.environ.get(password_env)
    if not password:
        raise InvalidInput(f"set the password in ${password_env}", field="password")
    with STATE.uow() as uow:
        account_id = register_account(uow, username, password, STATE.now(), frozenset(role))
        uow.commit()
    out.print(f"account {account_id} ({username}) with roles {', '.join(r.value for r in role)}")
