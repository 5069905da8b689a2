"""Credit scores come from a provider behind this small interface.

The built-in provider trusts the score given when the person was registered or imported; a real
deployment plugs in the host app's credit service (e.g. Sesame Credit) here.
"""

from __future__ import annotations

from typing import Protocol

from huzhu.domain.members import Person


class CreditProvider(Protocol):
    def score(self, person: Person) -> int | None: ...


class ImportedScore:
    def score(self, person: Person) -> int | None:
        return person.credit_score
