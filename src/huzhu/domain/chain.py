"""Hash chaining: each entry's digest covers the previous digest and the entry's own content.

Editing, inserting or deleting an entry changes every digest after it, so publishing the newest
digest (the chain head) commits the operator to the whole history.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from datetime import UTC, datetime

GENESIS = "0" * 64


def canonical_transaction(
    key: str,
    kind: str,
    plan_id: str,
    memo: str,
    posted_at: datetime,
    postings: Iterable[tuple[str, int]],
) -> str:
    # JSON quotes every string, so no choice of key, memo or account code can make two different
    # transactions read the same.
    stamp = posted_at.astimezone(UTC).isoformat(timespec="microseconds")
    legs = [[code, amount] for code, amount in sorted(postings)]
    return json.dumps([key, kind, plan_id, memo, stamp, legs], ensure_ascii=False)


def chain_digest(prev_digest: str, content: str) -> str:
    return hashlib.sha256(f"{prev_digest}\n{content}".encode()).hexdigest()
