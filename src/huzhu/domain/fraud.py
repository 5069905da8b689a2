"""Fraud signals: flags shown to reviewers next to a claim. A flag asks for a closer look; it never
rejects a claim by itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date


@dataclass(frozen=True)
class Flag:
    code: str
    message: str


@dataclass(frozen=True)
class Facts:
    """What is known around one claim, gathered by the service."""

    diagnosis_date: date
    cover_started: date  # the day the waiting period for this kind of claim ended
    hospital: str
    early_days: int  # plan rule: how soon after the waiting period counts as "right after"
    # sha256 of each evidence file of this claim -> other claims that carry the same file
    reused_evidence: dict[str, list[int]] = field(default_factory=dict)
    # (claim id, plan id) of the same person's claims in other plans
    other_plan_claims: list[tuple[int, str]] = field(default_factory=list)
    # other claims of the plan at the same hospital, and with the same diagnosis date, nearby
    same_hospital: int = 0
    same_day: int = 0


CLUSTER_MIN = 3  # this many other claims at one hospital or on one day make a cluster
CLUSTER_DAYS = 30  # the window around the diagnosis date that the service counts claims in


def flags(f: Facts) -> list[Flag]:
    found: list[Flag] = []
    after_wait = (f.diagnosis_date - f.cover_started).days
    if 0 <= after_wait < f.early_days:
        found.append(
            Flag(
                "early-claim",
                f"diagnosed {after_wait} day(s) after the waiting period ended "
                f"({f.cover_started.isoformat()})",
            )
        )
    for digest, others in sorted(f.reused_evidence.items()):
        if others:
            listed = ", ".join(str(c) for c in sorted(others))
            found.append(
                Flag("evidence-reused", f"file {digest[:12]}… also supports claim(s) {listed}")
            )
    if f.other_plan_claims:
        listed = ", ".join(f"{c} ({p})" for c, p in sorted(f.other_plan_claims))
        found.append(Flag("claims-in-other-plans", f"the same ID number also claimed: {listed}"))
    if f.same_hospital >= CLUSTER_MIN:
        found.append(
            Flag(
                "hospital-cluster",
                f"{f.same_hospital} other claim(s) from {f.hospital} within {CLUSTER_DAYS} days",
            )
        )
    if f.same_day >= CLUSTER_MIN:
        found.append(
            Flag(
                "date-cluster",
                f"{f.same_day} other claim(s) diagnosed on {f.diagnosis_date.isoformat()}",
            )
        )
    return found
