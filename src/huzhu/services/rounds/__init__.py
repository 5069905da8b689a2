"""Use cases for apportionment rounds: quote, run, charge.

- service: Running an apportionment round: lock, share, charge every member, post one transaction.
"""
