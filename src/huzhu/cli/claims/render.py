"""How a claim reads on the command line: its state, and a payout only where one is owed."""

from __future__ import annotations

from huzhu.cli.context import out
from huzhu.domain.claims import PROMISED_STATES, Claim, ClaimState
from huzhu.domain.money import format_yuan

# A rejected or withdrawn claim owes nothing: printing its would-be payout read as a promise.
NO_PAYOUT = frozenset({ClaimState.REJECTED, ClaimState.WITHDRAWN})


def payout_text(claim: Claim) -> str:
    if claim.state in NO_PAYOUT:
        return "no payout"
    if claim.payout is None:
        return "payout not set yet"
    amount = f"{format_yuan(claim.payout)} yuan"
    return f"payout {amount}" if claim.state in PROMISED_STATES else f"payout {amount} if approved"


def show_claim(claim: Claim) -> None:
    out.print(f"claim {claim.id}: {claim.state.value}, {payout_text(claim)}")
    if claim.reason_code:
        out.print(f"  reason {claim.reason_code}: {claim.reason_text}")
