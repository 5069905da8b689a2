"""Who may join a plan. Every failed rule is listed, not only the first."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from huzhu.domain.errors import Report
from huzhu.domain.identity import age_in_days, age_on
from huzhu.domain.plan_rules import AgeLimit
from huzhu.domain.plans import Plan

ADULT_AGE = 18


@dataclass(frozen=True)
class Applicant:
    birth_date: date
    credit_score: int | None
    health_answers: Mapping[str, bool] = field(default_factory=dict)
    has_guardian: bool = False


def _at_least(limit: AgeLimit, birth: date, today: date) -> bool:
    if limit.days is not None:
        return age_in_days(birth, today) >= limit.days
    return age_on(birth, today) >= (limit.years or 0)


def _at_most(limit: AgeLimit, birth: date, today: date) -> bool:
    if limit.days is not None:
        return age_in_days(birth, today) <= limit.days
    return age_on(birth, today) <= (limit.years or 0)


def check_eligibility(plan: Plan, applicant: Applicant, today: date) -> Report:
    rules = plan.eligibility
    report = Report()
    age = age_on(applicant.birth_date, today)
    if not _at_least(rules.min_age, applicant.birth_date, today):
        report.fail(
            "age-out-of-range",
            f"must be at least {rules.min_age.describe()} old to join {plan.id}",
            "birth_date",
        )
    if not _at_most(rules.max_age, applicant.birth_date, today):
        report.fail(
            "age-out-of-range",
            f"must be at most {rules.max_age.describe()} old to join {plan.id} (age {age})",
            "birth_date",
        )
    if age < ADULT_AGE and not applicant.has_guardian:
        report.fail("guardian-required", "a member under 18 is enrolled by a guardian", "guardian")
    if rules.min_credit_score is not None:
        if applicant.credit_score is None:
            report.fail("credit-score-missing", "this plan needs a credit score", "credit_score")
        elif applicant.credit_score < rules.min_credit_score:
            report.fail(
                "credit-score-too-low",
                f"credit score {applicant.credit_score} is below {rules.min_credit_score}",
                "credit_score",
            )
    for q in rules.health_declaration:
        answer = applicant.health_answers.get(q.id)
        if answer is None:
            report.fail("health-declaration-incomplete", f"question {q.id!r} is not answered", q.id)
        elif answer != q.required_answer:
            report.fail(
                "health-declaration-failed", f"the answer to {q.id!r} excludes joining", q.id
            )
    return report
