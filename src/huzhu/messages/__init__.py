"""Messages to members: stored as a kind and its parameters, worded when shown or sent.

An inbox row and an outbox row (e-mail, SMS) hold `kind` and `params` (JSON), never a sentence.
`render(kind, params, locale)` words them in the reader's language (zh by default, or en) from
the Babel catalogue the web pages use (src/huzhu/web/locale), when the portal or the API shows
them and when the outbox sends them. Both `services` and `web` import this package; it imports
only `domain`.

Adding a kind is one line in `kinds.KINDS`, a title and a body marked with `N_()`:

    "plan.closing": Kind(N_("{plan_id} closes"), N_("The plan stops on {stop_date}.")),

then `make messages`, translate the new msgids in both .po files, and `make install`. A service
sends it with `services.notify.tell(uow, person_id, "plan.closing", {"plan_id": ..., "stop_date":
...}, now)`; `tell` refuses an unknown kind or a missing parameter at once.

Parameters are JSON values, formatted by their name's suffix (so no sentence is stored):

- `*_fen`: money, an integer in fen, shown in yuan ("1,234.50"); never a float;
- `*_at`: a moment (ISO 8601 with its offset), shown in Beijing time ("2026-03-02 10:00");
- `*_date`: a day (ISO "2026-03-02"), shown as it is;
- `*_code`: a stable code worded from `kinds.CODES` (the code itself when not listed);
- `*_codes`: a list of such codes, each worded, joined;
- anything else (ids, counts, a member's or reviewer's own words) is shown as given.

Rows written before messages had kinds keep their text as kind `legacy-text`
(params `title`, `body`), shown as written.
"""

from huzhu.messages.kinds import CODES, KINDS, LEGACY, Kind
from huzhu.messages.render import (
    DEFAULT_LOCALE,
    LOCALE_DIR,
    LOCALES,
    Rendered,
    check,
    locale_or_default,
    render,
    translations,
)

__all__ = [
    "CODES",
    "DEFAULT_LOCALE",
    "KINDS",
    "LEGACY",
    "LOCALES",
    "LOCALE_DIR",
    "Kind",
    "Rendered",
    "check",
    "locale_or_default",
    "render",
    "translations",
]
