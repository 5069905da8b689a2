"""Entry point: `huzhu [--database URL] [--now TIME] COMMAND`."""

from __future__ import annotations

import typer

from huzhu.cli import (
    claims,
    collection,
    demo,
    forecast,
    helpformat,
    ledger,
    lookup,
    members,
    plans,
    rounds,
    server,
    verify,
)
from huzhu.cli.context import STATE, err, out, report_errors
from huzhu.services.plans.service import install_templates
from huzhu.settings import SettingsError, install, load

helpformat.install()
app = typer.Typer(
    help="huzhu runs mutual aid plans. A mutual aid plan is not insurance: payouts are not "
    "guaranteed.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(plans.app, name="plans")
app.add_typer(members.app, name="members")
app.add_typer(claims.app, name="claims")
app.add_typer(rounds.app, name="rounds")
app.add_typer(rounds.quote_app, name="round")
app.add_typer(forecast.app, name="forecast")
members.register(app)
lookup.register(members.app)
ledger.register(app)
demo.register(app)
server.register(app)
verify.register(app)
collection.register(app)


@app.callback()
def root(
    database: str | None = typer.Option(
        None,
        "--database",
        help="Database URL (default: $HUZHU_DATABASE_URL, else sqlite:///huzhu.db).",
    ),
    now: str | None = typer.Option(
        None, "--now", help="Act as if it were this ISO 8601 time (drills, tests, simulations)."
    ),
) -> None:
    try:
        STATE.settings = install(load())
    except SettingsError as e:
        err.print(f"settings [{e.variable}]: {e}", highlight=False, markup=False)
        raise typer.Exit(2) from None
    STATE.database = database or STATE.settings.database_url
    STATE.now_text = now
    STATE._engine = None


@app.command()
@report_errors
def init() -> None:
    """Create or upgrade the database and install the plan templates."""
    engine = STATE.engine(create=True)
    with STATE.uow() as uow:
        added = install_templates(uow, STATE.now())
        uow.commit()
    out.print(f"database ready at {engine.url.render_as_string(hide_password=True)}")
    out.print(f"plan templates installed: {', '.join(added) if added else 'none new'}")


@app.command()
@report_errors
def migrate() -> None:
    """Bring the database schema to this huzhu's migration (a deploy step; servers never do)."""
    engine = STATE.engine(create=True)
    out.print(f"database schema current at {engine.url.render_as_string(hide_password=True)}")


def main() -> None:
    app()
