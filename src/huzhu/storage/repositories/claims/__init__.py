"""Queries for claims: the workflow from submission to payout, evidence, investigation, objections,
juries, cards.

- juries: Juries, their jurors and sealed votes, and the juror test.
- repository: Claims.
- review: Evidence files attached to claims, and objections to announced cases.
- signals: What the fraud signals count around a set of claims, a page at a time: one query per…
- workflow: The claims workflow: deadlines and assignment, the claim's history, and the deadline…
"""
