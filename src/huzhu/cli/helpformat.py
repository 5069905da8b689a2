"""How `--help` names what an option takes.

Typer 0.29 labels every option by its Python type (`<str>`, `<int>`, and `<bool>` even for flags
that take no value), which tells an operator nothing. Here an option without an explicit metavar
is named after itself (`--plan PLAN`), a flag shows no value at all, a choice lists its values,
and an argument shows only its name. Options whose format matters (dates, yuan, ids) set their own
metavar where they are declared.
"""

from __future__ import annotations

from typer.core import TyperArgument, TyperOption

# Options that mean the same thing in every command say so the same way.
KNOWN = {
    "date": "YYYY-MM-DD",
    "before": "YYYY-MM-DD",
    "start": "YYYY-MM-DD",
    "diagnosed": "YYYY-MM-DD",
    "birth_date": "YYYY-MM-DD",
    "on": "YYYY-MM-DD",
    "now": "ISO8601",
    "at": "ISO8601",
    "amount": "YUAN",
    "payout": "YUAN",
    "payouts": "YUAN",
    "carry": "YUAN",
    "database": "URL",
    "membership": "ID",
    "plan": "PLAN",
}


def option_metavar(self: TyperOption, ctx: object) -> str | None:
    if self.metavar is not None:
        return self.metavar or None
    if self.is_flag or self.count:
        return None
    desc = self.type_descriptor
    if desc.is_choice:
        return "|".join(str(getattr(c, "value", c)) for c in desc.choices or ())
    name = self.name or "value"
    return KNOWN.get(name, name.upper())


def argument_metavar(self: TyperArgument, ctx: object) -> str | None:
    return None  # the argument's name (or metavar) is already in its row


def install() -> None:
    TyperOption.display_type_rich = option_metavar  # type: ignore[method-assign]
    TyperArgument.display_type_rich = argument_metavar  # type: ignore[method-assign,assignment]
