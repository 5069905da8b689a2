"""Evidence files of a claim. Uploads are the raw bytes of one PDF, JPEG or PNG file, sent with
that Content-Type (the bytes are checked, never trusted from the header alone) and at most 10 MB.
Files are served only to the claimant, the assigned account, operators and auditors."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import Response
from pydantic import AfterValidator

from huzhu.api.deps import Caller, Now, Uow
from huzhu.api.params import ClaimId, ItemId
from huzhu.api.problems import ERROR_RESPONSES
from huzhu.api.schemas import no_nul
from huzhu.api.schemas_claims import EvidenceOut
from huzhu.domain.errors import NotFound
from huzhu.services.claims import access
from huzhu.services.claims import evidence as svc
from huzhu.storage.evidence import EvidenceStore, local_store
from huzhu.storage.repositories.claims.review import Evidence

router = APIRouter(prefix="/v1/claims", tags=["evidence"], responses=ERROR_RESPONSES)

# The body limit of the upload route (BodyGuard lets it through with this limit instead of JSON).
UPLOAD_PATH = r"^/v1/claims/[0-9]+/evidence$"
UPLOADS = ((UPLOAD_PATH, svc.MAX_BYTES),)
EXTENSION = {svc.PDF: ".pdf", svc.JPEG: ".jpg", svc.PNG: ".png"}

UPLOAD_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            media: {"schema": {"type": "string", "format": "binary"}} for media in svc.MEDIA_TYPES
        },
    }
}


def get_store(request: Request) -> EvidenceStore:
    store: EvidenceStore | None = getattr(request.app.state, "evidence_store", None)
    if store is None:
        settings = request.app.state.settings
        store = local_store(request.app.state.engine.url, settings.evidence_dir, settings.data_dir)
        request.app.state.evidence_store = store
    return store


async def raw_body(request: Request) -> bytes:
    return await request.body()


Store = Annotated[EvidenceStore, Depends(get_store)]
Body = Annotated[bytes, Depends(raw_body)]


def evidence_out(e: Evidence, reused: list[int] | None) -> EvidenceOut:
    return EvidenceOut(
        id=e.id,
        claim_id=e.claim_id,
        sha256=e.sha256,
        media_type=e.media_type,
        size=e.size,
        filename=e.filename,
        uploaded_at=e.uploaded_at,
        reused_in_claims=reused,
    )


@router.post("/{claim_id}/evidence", status_code=201, openapi_extra=UPLOAD_BODY)
def upload(
    claim_id: ClaimId,
    principal: Caller,
    uow: Uow,
    now: Now,
    store: Store,
    data: Body,
    content_type: Annotated[str | None, Header()] = None,
    filename: Annotated[str | None, Query(max_length=200), AfterValidator(no_nul)] = None,
) -> EvidenceOut:
    """Attach one file to your claim (or one you investigate). A file answering a request for
    documents puts the claim back under investigation. Sending the same file again changes
    nothing."""
    _, as_staff = access.evidence_reader(uow, principal, claim_id)
    if as_staff and principal.sees_everything and not access.assigned(uow, principal, claim_id):
        raise access.hidden("claim", claim_id)  # operators and auditors read, they do not upload
    row, new = svc.upload(
        uow, store, claim_id, data, content_type, filename, access.actor(principal), now
    )
    if new:
        access.log(uow, principal, uow.claims.get(claim_id), "claim.evidence_added", now)
    reused = uow.evidence.reused(claim_id).get(row.sha256, []) if as_staff else None
    uow.commit()
    return evidence_out(row, reused)


@router.get("/{claim_id}/evidence")
def list_evidence(claim_id: ClaimId, principal: Caller, uow: Uow) -> list[EvidenceOut]:
    """The claim's files; to reviewers, with the other claims that carry the same file."""
    _, as_staff = access.evidence_reader(uow, principal, claim_id)
    reused = uow.evidence.reused(claim_id) if as_staff else {}
    return [
        evidence_out(e, reused.get(e.sha256, []) if as_staff else None)
        for e in uow.evidence.for_claim(claim_id)
    ]


@router.get(
    "/{claim_id}/evidence/{evidence_id}",
    response_class=Response,
    responses={200: {"content": {m: {} for m in svc.MEDIA_TYPES}}},
)
def download(
    claim_id: ClaimId, evidence_id: ItemId, principal: Caller, uow: Uow, store: Store
) -> Response:
    """The file itself, as an attachment that is never cached."""
    access.evidence_reader(uow, principal, claim_id)
    try:
        row = uow.evidence.get(evidence_id)
    except NotFound:
        raise access.hidden("evidence", evidence_id) from None
    if row.claim_id != claim_id:
        raise access.hidden("evidence", evidence_id)
    fallback = f"evidence-{row.id}{EXTENSION[row.media_type]}"
    name = quote(row.filename or fallback)
    return Response(
        content=svc.read(store, row),
        media_type=row.media_type,
        headers={
            "Content-Disposition": f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{name}",
            "Cache-Control": "private, no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )
