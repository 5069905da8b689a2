"""Errors that name the rule that was broken.

Every refusal carries a stable `code` (a slug such as ``age-out-of-range``) so that the CLI, the API
and host apps can react to it without parsing text, the `field` it is about when there is one, and a
readable message. `status` is the HTTP status an adapter should answer with; it lives here, as in
polar, so that one place decides how each refusal is reported.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Violation:
    code: str
    message: str
    field: str | None = None


class HuzhuError(Exception):
    """Base class of every refusal the domain or a service makes on purpose."""

    status = 400
    default_code = "bad-request"

    def __init__(self, message: str, *, code: str | None = None, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code or self.default_code
        self.field = field

    def __str__(self) -> str:
        where = f" [{self.field}]" if self.field else ""
        return f"{self.code}{where}: {self.message}"


class InvalidInput(HuzhuError):
    """A well-formed request with a value that is wrong (a bad check digit, a negative amount...).

    HTTP 422 is kept for payloads that do not match the schema at all.
    """

    status = 400
    default_code = "invalid-input"


class NotFound(HuzhuError):
    status = 404
    default_code = "not-found"


class Conflict(HuzhuError):
    """The request clashes with what already exists (duplicate membership, reused key...)."""

    status = 409
    default_code = "conflict"


class RuleViolation(HuzhuError):
    """A business rule refuses the request; `violations` lists every rule that failed."""

    status = 409
    default_code = "rule-violation"

    def __init__(self, violations: list[Violation]) -> None:
        if not violations:
            raise ValueError("RuleViolation needs at least one violation")
        first = violations[0]
        text = "; ".join(v.message for v in violations)
        super().__init__(text, code=first.code, field=first.field)
        self.violations = violations


class Forbidden(HuzhuError):
    status = 403
    default_code = "forbidden"


class Unauthenticated(HuzhuError):
    status = 401
    default_code = "unauthenticated"


class TooManyRequests(HuzhuError):
    status = 429
    default_code = "rate-limited"
    # The limit that refused: how many per how many seconds, and seconds until one is allowed.
    limit: int | None = None
    window_s: int | None = None
    retry_after_s: int | None = None


@dataclass
class Report:
    """Collects violations so that a check can list every failed rule at once."""

    violations: list[Violation] = field(default_factory=list)

    def fail(self, code: str, message: str, field: str | None = None) -> None:
        self.violations.append(Violation(code, message, field))

    def raise_if_failed(self) -> None:
        if self.violations:
            raise RuleViolation(self.violations)

    @property
    def ok(self) -> bool:
        return not self.violations
