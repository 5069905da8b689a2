"""Use cases for the public record: the hash-chained log, Merkle roots, verification, archives.

- archive: Archiving old rounds: their charges leave the hot `member_charges` table and stay…
- public_record: The public record: a hash-chained log of what the operator published.
- verify: `huzhu verify`: the public record still says what the operator published.
- verify_merkle: `huzhu verify`'s Merkle check: every published root against a recomputation from…
"""
