"""Forms into the services' request types, and refusals back into words beside each field."""

from __future__ import annotations

from collections.abc import Sequence

from starlette.datastructures import FormData

from huzhu.domain.errors import HuzhuError, InvalidInput, RuleViolation
from huzhu.domain.money import parse_yuan
from huzhu.domain.plan_rules import HealthQuestion
from huzhu.services.members.service import PersonDetails
from huzhu.web.deps import Visit, text
from huzhu.web.messages import worded

MAX_FIELD = 200


def refusal(visit: Visit, error: HuzhuError) -> dict[str, str]:
    """Each violation worded by its code, keyed by its field ("_" for the whole form).

    The transaction is thrown away first: a refused form leaves nothing half-written."""
    visit.uow.restart()
    found = error.violations if isinstance(error, RuleViolation) else [error]
    errors: dict[str, str] = {}
    for v in found:
        key = v.field or "_"
        message = worded(visit._, v.code, v.message)
        errors[key] = f"{errors[key]} {message}" if key in errors else message
    return errors


def required(form: FormData, name: str) -> str:
    value = text(form, name)
    if not value:
        raise InvalidInput(f"{name} is required", code="missing-field", field=name)
    if len(value) > MAX_FIELD:
        raise InvalidInput(f"{name} is too long", field=name)
    return value


def person_details(form: FormData) -> PersonDetails:
    """A resident ID card's number and name: the birth date and sex are read from the number."""
    phone = text(form, "phone")
    return PersonDetails(
        id_number=required(form, "id_number").upper(),
        name=required(form, "name"),
        phone=phone[:MAX_FIELD] or None,
    )


def health_answers(form: FormData, questions: Sequence[HealthQuestion]) -> dict[str, bool]:
    """Plain yes/no answers to each question as worded; an unanswered question stays out, so the
    eligibility check can say it is missing."""
    answers: dict[str, bool] = {}
    for q in questions:
        value = text(form, f"q-{q.id}")
        if value in ("yes", "no"):
            answers[q.id] = value == "yes"
    return answers


def yuan_to_fen(value: str, field: str) -> int:
    """'10', '10.5' or '10.50' yuan as fen, exactly (no float)."""
    return parse_yuan(value, field=field)
