"""An RFC 3161 time-stamping authority over HTTP (`application/timestamp-query`).

The request and the response are built and parsed by `rfc3161-client` (Trail of Bits; the
sigstore projects use it): huzhu only moves the bytes and checks that the answer is a granted
token over the message it asked about, with the nonce it sent.
"""

from __future__ import annotations

import httpx
from rfc3161_client import (
    HashAlgorithm,
    PKIStatus,
    TimestampRequestBuilder,
    decode_timestamp_response,
)

from huzhu.domain.errors import HuzhuError


class TsaError(HuzhuError):
    """The time-stamping authority could not be reached or did not grant a token."""

    status = 502
    default_code = "tsa-failed"


def request_token(url: str, message: bytes, timeout_s: float) -> bytes:
    """Ask the TSA at `url` to time-stamp SHA-256(`message`); the DER TimeStampResp it sent."""
    request = TimestampRequestBuilder().data(message).hash_algorithm(HashAlgorithm.SHA256).build()
    try:
        reply = httpx.post(
            url,
            content=request.as_bytes(),
            headers={"Content-Type": "application/timestamp-query"},
            timeout=timeout_s,
        )
    except httpx.HTTPError as e:
        raise TsaError(f"the time-stamping authority at {url} did not answer: {e}") from None
    if reply.status_code != 200:
        raise TsaError(f"the time-stamping authority at {url} answered HTTP {reply.status_code}")
    try:
        response = decode_timestamp_response(reply.content)
    except ValueError as e:
        raise TsaError(f"the time-stamping authority at {url} sent no token: {e}") from None
    if PKIStatus(response.status) != PKIStatus.GRANTED:
        raise TsaError(f"the time-stamping authority refused: status {response.status}")
    if response.tst_info.message_imprint.message != request.message_imprint.message:
        raise TsaError("the time-stamping authority signed another message than the one asked")
    if response.tst_info.nonce != request.nonce:
        raise TsaError("the time-stamping authority's token does not carry the request's nonce")
    return reply.content
