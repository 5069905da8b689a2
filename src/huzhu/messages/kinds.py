"""Every kind of message huzhu sends a member: its title and body as catalogue msgids.

One line per kind (see the package docstring for the parameter suffixes). Placeholders are
`str.format` fields named after the parameters; the catalogue's translations keep them.
"""

from __future__ import annotations

from dataclasses import dataclass

from huzhu.domain.msgid import N_


@dataclass(frozen=True)
class Kind:
    title: str
    body: str


LEGACY = "legacy-text"  # rows from before kinds: params {"title", "body"}, shown as written

# fmt: off
KINDS: dict[str, Kind] = {
    "claim.submitted": Kind(N_("Claim {claim_id} received"), N_("We received your claim {claim_id}; a reviewer will look at it.")),  # noqa: E501
    "claim.refused": Kind(N_("Claim {claim_id} refused"), N_("The plan's rules refuse it: {reason_codes}. You may appeal to a jury of members until {appeal_until_at}.")),  # noqa: E501
    "claim.approved": Kind(N_("Claim {claim_id} approved"), N_("{payout_fen} yuan will be paid.")),
    "claim.announced": Kind(N_("Claim {claim_id} announced"), N_("Approved for {payout_fen} yuan and announced to the members; it becomes final when no objection is upheld by {window_ends_at}.")),  # noqa: E501
    "claim.final": Kind(N_("Claim {claim_id} is final"), N_("No objection was upheld: {payout_fen} yuan is final.")),  # noqa: E501
    "claim.rejected": Kind(N_("Claim {claim_id} rejected"), N_("{reason_code}: {reason}. You may appeal to a jury of members until {appeal_until_at}.")),  # noqa: E501
    "claim.rejected-final": Kind(N_("Claim {claim_id} rejected"), N_("{reason_code}: {reason}. This decision is final.")),  # noqa: E501
    "claim.assigned": Kind(N_("Claim {claim_id} under investigation"), N_("An investigator is looking at it.")),  # noqa: E501
    "claim.documents-requested": Kind(N_("Claim {claim_id}: documents needed"), N_("Please send: {what}. Deadline {documents_due_at}; without them the claim is rejected, and you may appeal.")),  # noqa: E501
    "claim.documents-received": Kind(N_("Claim {claim_id}: documents received"), N_("The investigation continues.")),  # noqa: E501
    "claim.withdrawn": Kind(N_("Claim {claim_id} withdrawn"), N_("You withdrew the claim.")),
    "claim.reopened": Kind(N_("Claim {claim_id} reopened"), N_("Your claim is being looked at again: {reason}")),  # noqa: E501
    "claim.objection": Kind(N_("Claim {claim_id}: an objection"), N_("A member objected: {reason}")),  # noqa: E501
    "claim.appealed": Kind(N_("Claim {claim_id}: appeal received"), N_("A jury of members will decide it.")),  # noqa: E501
    "claim.jury-drawn": Kind(N_("Claim {claim_id}: jury drawn"), N_("{jurors} jurors were drawn (seed {seed}); they vote until {deadline_at}.")),  # noqa: E501
    "claim.public-vote-opened": Kind(N_("Claim {claim_id}: public vote opened"), N_("Members may vote until {deadline_at}; the votes stay sealed until then.")),  # noqa: E501
    "claim.jury-no-quorum": Kind(N_("Claim {claim_id}: no quorum"), N_("{overturn} to overturn, {uphold} to uphold, quorum {quorum}. A new jury will be drawn.")),  # noqa: E501
    "claim.jury-overturned": Kind(N_("Claim {claim_id}: the jury overturned the rejection"), N_("A payout is being set.")),  # noqa: E501
    "objection.reviewed": Kind(N_("Your objection to case {claim_id}: {outcome_code}"), N_("The reviewer's note: {note}")),  # noqa: E501
    "jury.drawn": Kind(N_("You are drawn for a jury"), N_("You were drawn (seed {seed}) to decide the appeal of case {claim_id}. Vote before {deadline_at}, or decline so that a replacement is drawn.")),  # noqa: E501
    "jury.result": Kind(N_("Jury result for case {claim_id}"), N_("{result_code}: {overturn} to overturn, {uphold} to uphold.")),  # noqa: E501
    "charge-due": Kind(N_("{plan_id}: {amount_fen} yuan"), N_("{amount_fen} yuan for the round of {round_date} will be debited on {collect_date}. If you leave the plan before then, it will not be taken.")),  # noqa: E501
    "plan.successor-offer": Kind(N_("{plan_id}: you are offered {successor_id}"), N_("You have reached the exit age of {plan_id} ({exit_age}), so your cover in it has ended. You may join {successor_id}: nothing happens unless you accept the offer, and joining it starts a new waiting period.")),  # noqa: E501
    "identity.given": Kind(N_("Your ID number was given by another account"), N_("Someone gave an ID number on file for you (or your dependant) to another account. Nothing changes until the operator has checked the identity; if it was not you, tell the operator.")),  # noqa: E501
    "identity.confirmed": Kind(N_("Your identity was confirmed"), N_("The operator confirmed the identity you gave; it is now on your account.")),  # noqa: E501
    "identity.refused": Kind(N_("Your identity was not confirmed"), N_("The operator could not confirm the identity you gave; contact the operator.")),  # noqa: E501
    "plan.closing": Kind(N_("{plan_id} is closing"), N_("From {notice_date} nobody joins and members share nothing more: the operator pays the remaining cases. Cover ends on {end_date}; an illness diagnosed before then may be claimed until {last_claim_date}. Any balance is refunded by {refund_due_date}.")),  # noqa: E501
    "charge-taken": Kind(N_("{plan_id}: {amount_fen} yuan"), N_("{amount_fen} yuan was taken from your balance for the round of {round_date}.")),  # noqa: E501
}

# Codes a message may carry (`*_code`, `*_codes`): the claim rules' refusals, outcomes.
CODES: dict[str, str] = {
    "condition-not-covered": N_("the plan does not cover this condition"),
    "membership-not-active": N_("the membership was not active"),
    "in-waiting-period": N_("the condition was diagnosed in the waiting period"),
    "diagnosed-before-activation": N_("the condition was diagnosed before the cover began"),
    "already-paid-out": N_("the member has already been paid out"),
    "no-payout-band": N_("the plan pays nothing at this age"),
    "disability-grade-required": N_("a disability grade is needed"),
    "age-out-of-range": N_("the age is outside the plan's ages"),
    "cover-suspended": N_("the cover was suspended on the day of diagnosis"),
    "documents-not-provided": N_("the documents asked for did not arrive in time"),
    "objection-upheld": N_("an objection to the case was upheld"),
    "objection-outcome-upheld": N_("upheld"),
    "objection-outcome-dismissed": N_("dismissed"),
    "overturned": N_("the rejection is overturned"),
    "upheld": N_("the rejection is upheld"),
    "no-quorum": N_("no quorum"),
}
# fmt: on
