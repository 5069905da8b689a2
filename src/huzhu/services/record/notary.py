"""Notarisation of the public record: RFC 3161 time-stamp tokens over the chain head.

A token is a time-stamping authority's signed statement that a message existed at its gen_time.
The message huzhu time-stamps is `head_message(seq, digest)`, the text "huzhu-chain-head:<seq>:
<digest>"; its SHA-256 is the token's message imprint. Since the chain head commits the operator
to every entry before it, one token dates the whole log up to that entry: an entry cannot have
been rewritten later without breaking the chain or the token.

`huzhu verify` re-checks every stored token: the imprint is the hash of the head it claims, the
head is still the chain's entry at that seq, and the signature verifies, the TSA certificate
chaining to the configured CA (HUZHU_TSA_CA_FILE).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from cryptography import x509
from rfc3161_client import VerificationError, VerifierBuilder, decode_timestamp_response

from huzhu.domain.errors import InvalidInput
from huzhu.domain.msgid import N_
from huzhu.services.record.public_record import chain_head
from huzhu.storage.repositories.record.timestamps import StoredToken
from huzhu.storage.uow import UnitOfWork

TOKENS_CHECK = N_("every time-stamp token signs the chain head it claims")

Requester = Callable[[str, bytes, float], bytes]


def head_message(seq: int, digest: str) -> bytes:
    return f"huzhu-chain-head:{seq}:{digest}".encode()


@dataclass(frozen=True)
class Stamped:
    id: int
    seq: int
    digest: str
    gen_time: datetime


def timestamp(
    uow: UnitOfWork, url: str | None, requester: Requester, now: datetime, timeout_s: float = 10
) -> Stamped:
    """Ask the TSA at `url` to sign the current chain head, and keep its token."""
    if not url:
        raise InvalidInput("no time-stamping authority is set (HUZHU_TSA_URL)", field="tsa_url")
    seq, digest = chain_head(uow)
    if seq == 0:
        raise InvalidInput("the public log is empty: there is no chain head to time-stamp")
    token = requester(url, head_message(seq, digest), timeout_s)
    gen_time = decode_timestamp_response(token).tst_info.gen_time
    token_id = uow.timestamps.add(seq, digest, url, token, gen_time, now)
    return Stamped(token_id, seq, digest, gen_time)


def load_roots(path: Path | None) -> list[x509.Certificate]:
    if path is None:
        return []
    try:
        return x509.load_pem_x509_certificates(path.read_bytes())
    except (OSError, ValueError) as e:
        raise InvalidInput(f"cannot read the TSA CA file {path}: {e}", field="tsa_ca_file") from e


def _problem(uow: UnitOfWork, t: StoredToken, roots: list[x509.Certificate]) -> str | None:
    name = f"time-stamp token {t.id} (chain head seq {t.seq} digest {t.digest[:12]})"
    try:
        response = decode_timestamp_response(t.token)
    except ValueError:
        return f"{name}: is not an RFC 3161 time-stamp response"
    expected = hashlib.sha256(head_message(t.seq, t.digest)).digest()
    if response.tst_info.message_imprint.message != expected:
        return f"{name}: its message imprint is not the hash of the chain head it claims"
    found = uow.public_record.entries(after_seq=t.seq - 1, limit=1)
    if not found or found[0].seq != t.seq or found[0].digest != t.digest:
        return f"{name}: the log's entry at seq {t.seq} no longer has that digest"
    if not roots:
        return f"{name}: cannot check its signature: set HUZHU_TSA_CA_FILE to the TSA's CA"
    builder = VerifierBuilder()
    for root in roots:
        builder = builder.add_root_certificate(root)
    try:
        builder.build().verify(response, expected)
    except (VerificationError, ValueError) as e:
        return f"{name}: its signature does not verify against the TSA certificate: {e}"
    return None


def token_problems(uow: UnitOfWork, roots: list[x509.Certificate] | None = None) -> list[str]:
    found = (_problem(uow, t, roots or []) for t in uow.timestamps.all())
    return [p for p in found if p is not None]
