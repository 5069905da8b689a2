"""`N_`: the mark of a msgid, a text worded later in the reader's language.

`make messages` (babel.cfg) extracts every string wrapped in `N_()` into the catalogues of the web
pages; whoever shows the text words it with the catalogue's gettext. The mark itself changes
nothing, so the domain may use it and stay free of any i18n library.
"""

from __future__ import annotations


def N_(message: str) -> str:
    """Mark a msgid for `make messages`; it is translated when shown."""
    return message
