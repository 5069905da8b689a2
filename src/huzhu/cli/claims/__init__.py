"""`huzhu claims ...`: submit (`submit`), decide (`decide`) and the workflow's steps (`steps`).

Each module registers its commands on `app`; `render` is the one way a claim is printed.
"""

from __future__ import annotations

import typer

from huzhu.cli.claims import decide, steps, submit

app = typer.Typer(
    help="Claims: submit, investigate, approve or reject, objections, appeals and juries.",
    no_args_is_help=True,
)
submit.register(app)
decide.register(app)
steps.register(app)
