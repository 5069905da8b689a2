"""Path parameters of the claim routes; who may see and do what lives in
`services.claim_access`, where the web pages reach it too."""

from huzhu.api.params import PathId
from huzhu.services.claims.access import (
    actor,
    assigned,
    claim_and_claimant,
    decider,
    evidence_reader,
    hidden,
    investigator,
    log,
    object_as,
    own_claim,
    owns,
    staff,
    visible,
)

ClaimId = PathId
ItemId = PathId

__all__ = [
    "ClaimId",
    "ItemId",
    "actor",
    "assigned",
    "claim_and_claimant",
    "decider",
    "evidence_reader",
    "hidden",
    "investigator",
    "log",
    "object_as",
    "own_claim",
    "owns",
    "staff",
    "visible",
]
