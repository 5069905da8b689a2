"""Fraud signals: flags shown to reviewers next to a claim. A flag asks for a closer look; it never
rejects a claim by itself.

A flag keeps its code and parameters; its sentence is a msgid (`TEXTS`, extracted by babel.cfg)
worded in the reader's language by `Flag.worded`. `message` is the English sentence, for the API
and the command line.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from huzhu.domain.msgid import N_

TEXTS = {
    "early-claim": N_("diagnosed {days} day(s) after the waiting period ended ({cover_started})"),
    "evidence-reused": N_("file {file}… also supports claim(s) {claims}"),
    "claims-in-other-plans": N_("the same ID number also claimed: {claims}"),
    "hospital-cluster": N_("{count} other claim(s) from {hospital} within {days} days"),
    "date-cluster": N_("{count} other claim(s) diagnosed on {date}"),
}


@dataclass(frozen=True)
class Flag:
    code: str
    params: dict[str, str] = field(default_factory=dict)

    @property
    def message(self) -> str:
        return self.worded(str)

    def worded(self, gettext: Callable[[str], str]) -> str:
        return gettext(TEXTS[self.code]).format(**self.params)


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
        started = f.cover_started.isoformat()
        found.append(Flag("early-claim", {"days": str(after_wait), "cover_started": started}))
    for digest, others in sorted(f.reused_evidence.items()):
        if others:
            listed = ", ".join(str(c) for c in sorted(others))
            found.append(Flag("evidence-reused", {"file": digest[:12], "claims": listed}))
    if f.other_plan_claims:
        listed = ", ".join(f"{c} ({p})" for c, p in sorted(f.other_plan_claims))
        found.append(Flag("claims-in-other-plans", {"claims": listed}))
    if f.same_hospital >= CLUSTER_MIN:
        cluster = {"count": str(f.same_hospital), "hospital": f.hospital, "days": str(CLUSTER_DAYS)}
        found.append(Flag("hospital-cluster", cluster))
    if f.same_day >= CLUSTER_MIN:
        on_day = {"count": str(f.same_day), "date": f.diagnosis_date.isoformat()}
        found.append(Flag("date-cluster", on_day))
    return found
