"""Refusals worded for people, by the error's stable code. English msgids, Chinese in the
catalogue; a code not listed here falls back to the service's own message."""

from __future__ import annotations

from collections.abc import Callable

from huzhu.domain.msgid import N_

BY_CODE = {
    "age-out-of-range": N_("Your age is outside the ages this plan accepts."),
    "guardian-required": N_(
        "A person under 18 is enrolled by a guardian (add them as a dependant)."
    ),
    "credit-score-missing": N_("This plan needs a credit score, and none is on file."),
    "credit-score-too-low": N_("Your credit score is below the plan's minimum."),
    "health-declaration-incomplete": N_("Please answer every health question."),
    "health-declaration-failed": N_(
        "Your answer to a health question means this plan cannot accept you."
    ),
    "already-member": N_("You are already a member of this plan."),
    "bad-credentials": N_("Wrong username or password."),
    "bad-username": N_("A username is 3 to 64 letters, digits or _.@+-"),
    "weak-password": N_("A password needs 10 to 256 characters."),
    "username-taken": N_("That username is taken."),
    "conflict-retry": N_(
        "Another change was made at the same moment and nothing was saved. Please send the "
        "form again."
    ),
    "identity-pending": N_(
        "Your identity waits for the operator's identity check. You can join once it is "
        "confirmed; you will get a message."
    ),
    "guessable-password": N_(
        "This password is easy to guess (a common word, a pattern, or made from your username "
        "or a date). Choose a longer, unusual one."
    ),
    "deposit-required": N_(
        "This plan asks a deposit on joining. Please send the form again to pay it."
    ),
    "plan-closed": N_("This plan is closing and takes no new members or top-ups."),
    "birth-date-out-of-range": N_("That birth date is not possible."),
    "id-number-mismatch": N_("The birth date or sex does not match the ID number."),
    "unknown-document-type": N_("That kind of identity document is not accepted."),
    "sex-invalid": N_("Please choose a sex."),
    "amount-type": N_("An amount is a number of yuan, such as 10 or 9.50."),
    "amount-precision": N_("An amount has at most two decimal places (fen)."),
    "amount-negative": N_("An amount cannot be negative."),
    "plan-not-prepaid": N_("This plan is paid round by round; it holds no balance to top up."),
    "not-your-membership": N_("This membership is not yours."),
    "successor-offer-accepted": N_("This offer was already accepted."),
    "no-successor-offer": N_("There is no offer to accept."),
    "role-required": N_("Your role may not open this page or take this step."),
    "csrf-failed": N_("This form has expired. Please go back, reload the page and try again."),
    "id-number-registered": N_(
        "This ID number is already registered. The operator can link it after checking who you are."
    ),
    "document-number-malformed": N_("That ID number is not valid."),
    "person-already-set": N_("Your account already has its identity."),
    "no-person": N_("Give your own identity first."),
    "unknown-membership": N_("There is no such membership."),
    "unknown-claim": N_("There is no such claim."),
    "unknown-plan": N_("There is no such plan."),
    "unknown-round": N_("There is no such round."),
    "unknown-jury": N_("There is no such jury."),
    "unknown-page": N_("There is no such page."),
    "objection-window-closed": N_("The time to object to this case has ended."),
    "already-objected": N_("You have already objected to this case."),
    "not-a-member": N_("Only members of the plan may object."),
    "own-claim": N_("You cannot object to your own case."),
    "already-voted": N_("You have already voted."),
    "not-a-juror": N_("You were not drawn for this jury."),
    "vote-deadline-passed": N_("The time to vote has ended."),
    "appeal-not-open": N_("This claim cannot be appealed now."),
    "membership-already-left": N_("You have already left this plan."),
    "missing-field": N_("Please fill in every field."),
    "evidence-empty": N_("The file is empty."),
    "evidence-type-mismatch": N_("Upload a PDF, JPEG or PNG file."),
    "unsupported-evidence-type": N_("Upload a PDF, JPEG or PNG file."),
    "evidence-too-large": N_("The file is too large: at most 10 MB."),
    "claim-state": N_("The claim cannot take this step in its present state."),
    "amount-malformed": N_("Write an amount in yuan, like 10 or 10.50."),
    "amount-not-positive": N_("The amount must be more than zero."),
    "amount-too-large": N_("The amount is too large."),
    "in-waiting-period": N_("The waiting period has not ended for this condition."),
    "condition-not-covered": N_("This plan does not cover that condition."),
    "no-merkle-root": N_("The charge proofs of this round are not published yet."),
    "no-charge": N_("There is no charge of yours in this round."),
    "bad-assertion": N_(
        "The host app's sign-in could not be checked. Open the page again from the app."
    ),
    "assertion-replayed": N_(
        "This sign-in link was already used. Open the page again from the app."
    ),
    "rate-limited": N_("Too many attempts. Please wait a minute."),
    "resolution-note-missing": N_("Say what you found and what you did."),
    "issue-already-resolved": N_("This issue is already resolved."),
    "unknown-issue": N_("There is no such reconciliation issue."),
    "plan-changes-missing": N_(
        "Say in `changes` what changed and why: members see it beside the rules."
    ),
    "jury-still-voting": N_("Jurors may still vote: close the jury at its deadline."),
    "jury-closed": N_("This jury has already closed."),
    "not-enough-jurors": N_("Too few members may sit on this jury for a quorum."),
    "round-running": N_("This round is running already: watch its progress below."),
    "collection-not-settled": N_(
        "Claimants are paid once every debit of the round has been sent and settled."
    ),
}


# Reconciliation issues by kind (services.money.reconcile), for the console's table: the figures
# stand in their own columns, so the words say what happened.
RECONCILIATION = {
    "unknown-ref": N_("The gateway moved money under a reference the books do not know."),
    "callback-missing": N_(
        "The gateway moved the money, but its callback has not arrived: the books still wait."
    ),
    "paid-but-failed": N_("The gateway paid it, but the books recorded the payout as failed."),
    "amount-mismatch": N_("The books and the gateway's statement show different amounts."),
    "missing-from-statement": N_(
        "The books moved money that the gateway's statement does not show."
    ),
}


def worded(gettext: Callable[[str], str], code: str, fallback: str) -> str:
    message = BY_CODE.get(code)
    return gettext(message) if message else fallback
