"""Use cases for the public record: the hash-chained log, Merkle roots, verification, archives.

- archive: Archiving old rounds: their charges leave the hot `member_charges` table and stay…
- merkle_proofs: Merkle roots over a round's charges: publishing a round's root (its chunks and…
- notary: Notarisation of the public record: RFC 3161 time-stamp tokens over the chain head.
- public_record: The public record: a hash-chained log of what the operator published.
- verify: `huzhu verify`: the public record still says what the operator published.
- verify_juries: `huzhu verify`: every published jury result follows from its own tally and rule.
- verify_merkle: `huzhu verify`'s Merkle check: every published root against a recomputation from…
"""
