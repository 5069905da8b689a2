"""Evidence uploads: PDF, JPEG or PNG only, recognised from their bytes (the type the client claims
must agree, and is never trusted on its own), non-empty and at most `MAX_BYTES`. Files are kept in
an evidence store by SHA-256; the same file on another claim is flagged to reviewers.
"""

from __future__ import annotations

import re
from datetime import datetime

from huzhu.domain.claims import EVIDENCE_STATES, Claim, ClaimState
from huzhu.domain.errors import HuzhuError, InvalidInput, RuleViolation, Violation
from huzhu.services.claims.investigation import documents_received
from huzhu.services.claims.service import hold, require, step
from huzhu.storage.evidence import EvidenceStore
from huzhu.storage.repositories.claims.review import Evidence
from huzhu.storage.uow import UnitOfWork

MAX_BYTES = 10 * 1024 * 1024
# Files one claim may hold: a claim is proven by a handful of records, and each file costs a
# reviewer's time and storage; a loop of uploads must not flood either.
MAX_FILES_PER_CLAIM = 30
PDF, JPEG, PNG = "application/pdf", "image/jpeg", "image/png"
MEDIA_TYPES = (PDF, JPEG, PNG)
OCTET_STREAM = "application/octet-stream"
EXTENSIONS = {".pdf": PDF, ".jpg": JPEG, ".jpeg": JPEG, ".png": PNG}
SIGNATURES = ((b"%PDF-", PDF), (b"\xff\xd8\xff", JPEG), (b"\x89PNG\r\n\x1a\n", PNG))
SAFE_NAME = re.compile(r"[^\w.\- ]+")


class UnsupportedEvidence(HuzhuError):
    status = 415
    default_code = "unsupported-evidence-type"


class EvidenceTooLarge(HuzhuError):
    status = 413
    default_code = "evidence-too-large"


def sniff(data: bytes) -> str | None:
    """The media type the bytes say they are (PDF, JPEG, PNG), or None."""
    for signature, media in SIGNATURES:
        if data.startswith(signature):
            return media
    return None


def clean_filename(name: str | None) -> str | None:
    if not name:
        return None
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = SAFE_NAME.sub("_", base).strip(" .")[:200]
    return cleaned or None


def check_upload(data: bytes, claimed: str | None, filename: str | None) -> str:
    """The file's media type, or a refusal: empty, too large, not a PDF/JPEG/PNG, or bytes that
    do not match the type (or file extension) the client claimed."""
    if not data:
        raise InvalidInput("the file is empty", code="evidence-empty", field="file")
    if len(data) > MAX_BYTES:
        raise EvidenceTooLarge(f"evidence files are limited to {MAX_BYTES:,} bytes", field="file")
    claimed = (claimed or "").split(";")[0].strip().lower()
    if claimed == OCTET_STREAM:  # a client that does not name the type: the bytes say it
        claimed = sniff(data) or claimed
    if claimed not in MEDIA_TYPES:
        raise UnsupportedEvidence(
            f"send the file as one of {', '.join(MEDIA_TYPES)}, not {claimed or 'no type'}",
            field="content-type",
        )
    actual = sniff(data)
    if actual is None:
        raise UnsupportedEvidence("the bytes are not a PDF, JPEG or PNG file", field="file")
    if actual != claimed:
        raise UnsupportedEvidence(
            f"the file was sent as {claimed} but its bytes are {actual}",
            code="evidence-type-mismatch",
            field="content-type",
        )
    name = clean_filename(filename)
    if name is not None and "." in name:
        ext = "." + name.rsplit(".", 1)[-1].lower()
        if EXTENSIONS.get(ext) != actual:
            raise UnsupportedEvidence(
                f"the file name ends in {ext} but its bytes are {actual}",
                code="evidence-type-mismatch",
                field="filename",
            )
    return actual


def upload(
    uow: UnitOfWork,
    store: EvidenceStore,
    claim_id: int,
    data: bytes,
    claimed: str | None,
    filename: str | None,
    by: str,
    now: datetime,
) -> tuple[Evidence, bool]:
    """Attach a file to a claim: (the evidence row, whether it was new). A file answering a
    request for documents puts the claim back under investigation."""
    media = check_upload(data, claimed, filename)
    claim = hold(uow, claim_id)  # an upload may answer a request for documents: a step
    require(claim, EVIDENCE_STATES, "given new evidence")
    wf = uow.workflow.get(claim_id)
    due = wf.documents_due
    if claim.state is ClaimState.DOCUMENTS_REQUESTED and due is not None and now > due:
        raise RuleViolation(
            [
                Violation(
                    "documents-deadline-passed",
                    f"the documents were due by {due.isoformat()}",
                    "file",
                )
            ]
        )
    digest = store.put(data)  # content-addressed: a rolled-back upload leaves a harmless blob
    existing = uow.evidence.find(claim_id, digest)
    if existing is not None:
        return existing, False
    if len(uow.evidence.for_claim(claim_id)) >= MAX_FILES_PER_CLAIM:
        raise RuleViolation(
            [
                Violation(
                    "evidence-limit-reached",
                    f"a claim holds at most {MAX_FILES_PER_CLAIM} evidence files",
                    "file",
                )
            ]
        )
    row = uow.evidence.add(claim_id, digest, media, len(data), clean_filename(filename), by, now)
    reused = uow.evidence.reused(claim_id).get(digest, [])
    details = {"evidence_id": row.id, "reused": reused}
    step(uow, claim, claim.state, "evidence-added", by, now, None, **details)
    if claim.state is ClaimState.DOCUMENTS_REQUESTED:
        documents_received(uow, claim, by, now)
    return row, True


def read(store: EvidenceStore, evidence: Evidence) -> bytes:
    return store.get(evidence.sha256)


def claim_files(uow: UnitOfWork, claim: Claim) -> list[Evidence]:
    assert claim.id is not None
    return uow.evidence.for_claim(claim.id)
