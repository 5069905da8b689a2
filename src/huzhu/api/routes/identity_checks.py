"""The operator's queue of identity checks: ID numbers given while already on file.

Reviewers and auditors may read the queue; only an operator decides a check, after a real-name
check outside huzhu (services.identity).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from huzhu.api.deps import Now, Uow, role
from huzhu.api.params import PathId
from huzhu.api.problems import ERROR_RESPONSES
from huzhu.api.schemas_identity import DecisionIn, IdentityCheckOut
from huzhu.domain.access import Principal, Role
from huzhu.domain.identity import mask_id_number
from huzhu.services.members import identity
from huzhu.storage.repositories.members.identity_checks import IdentityCheck

router = APIRouter(
    prefix="/v1/identity-checks", tags=["identity checks"], responses=ERROR_RESPONSES
)
Operator = Annotated[Principal, Depends(role(Role.OPERATOR))]
Reader = Annotated[Principal, Depends(role(Role.OPERATOR, Role.REVIEWER, Role.AUDITOR))]


def check_out(uow: Uow, c: IdentityCheck) -> IdentityCheckOut:
    on_file = uow.people.get(c.person_id)
    return IdentityCheckOut(
        id=c.id, account_id=c.account_id, kind=c.kind, state=c.state, name_given=c.name,
        person_id=c.person_id, person_name=on_file.name,
        person_id_number=mask_id_number(on_file.id_number), created_at=c.created_at,
    )  # fmt: skip


@router.get("")
def queue(_: Reader, uow: Uow, state: str = "pending") -> list[IdentityCheckOut]:
    return [check_out(uow, c) for c in uow.identity_checks.queue(state)]


@router.post("/{check_id}/decision")
def decide(
    check_id: PathId, body: DecisionIn, principal: Operator, uow: Uow, now: Now
) -> IdentityCheckOut:
    """Confirm (link the identity to the account, or the dependant to the guardian) or refuse."""
    done = identity.resolve(uow, check_id, body.confirm, principal.account_id, now)
    out = check_out(uow, done)
    uow.commit()
    return out
