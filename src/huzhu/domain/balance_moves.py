"""Money into and out of a prepaid balance, as a member's statement lists it.

Each credit row of a family account is one move: a deposit or a top-up (in), a plan's shutdown
refund (out), a failed refund given back (in), a dormancy fee (out) or its refund (in). A move
shows the gateway's reference when money went through the gateway. References that name a
membership (a refund's `PLAN-refund-mID[-aN]`) are personal: the membership id is masked, so a
statement shared or printed does not give away whose transfer it was. A top-up's reference is a
hash of its request key and names no one: it is shown whole, for the member to match their bank.
"""

from __future__ import annotations

import re

DEPOSIT = "deposit"
TOP_UP = "top-up"
REFUND = "refund"
REFUND_FAILED = "refund-failed"
DORMANCY_FEE = "dormancy-fee"
DORMANCY_REFUND = "dormancy-refund"
KINDS = (DEPOSIT, TOP_UP, REFUND, REFUND_FAILED, DORMANCY_FEE, DORMANCY_REFUND)

_PERSONAL = re.compile(r"-refund-m\d+")


def mask_ref(ref: str | None) -> str | None:
    """A gateway reference fit to show: the membership id in a refund's reference is masked."""
    if ref is None:
        return None
    return _PERSONAL.sub("-refund-m***", ref)
