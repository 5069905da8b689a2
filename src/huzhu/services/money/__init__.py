"""Use cases for money: collection, gateway callbacks, payouts, clearing, reconciliation, operator
funding.

- callbacks: Gateway callbacks: checked, applied once, and every one logged whatever happens to…
- clearing: The audit's view of gateway-clearing: money in flight is normal, money wrong or late…
- collection: Post-paid collection: debit each member's charge through the payment gateway, in…
- funding: The operator's money: a payout is never sent without the money for it.
- ledger: Money arriving for a member: a top-up that has already reached the plan.
- payouts: Paying approved claims through the gateway once a round has collected.
- reconcile: Reconciliation: the gateway's statement of a day against the books.
"""
