"""Response bodies of the public record: a member's charge proof, typed so that client
generators read it. Its JSON is exactly the file `huzhu verify --proof FILE.json` checks."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from huzhu.domain.merkle import Proof


class ProofLeafOut(BaseModel):
    round_id: int
    membership_id: int
    amount: Annotated[int, Field(description="The member's charge in the round, in fen.")]


class ProofStepOut(BaseModel):
    hash: Annotated[str, Field(description="The sibling's hash, hex.")]
    side: Annotated[
        Literal["left", "right"],
        Field(description="The sibling's side: left means parent = node(sibling, current)."),
    ]


class ProofContextOut(BaseModel):
    """Descriptive only: the proof is checked against `root`, not against these."""

    plan: str | None = None
    announce_date: date | None = None
    log_seq: Annotated[int | None, Field(description="The public log entry holding the root.")] = (
        None
    )
    log_digest: str | None = None


class ChargeProofOut(BaseModel):
    format: Literal["huzhu-charge-proof/1"] = "huzhu-charge-proof/1"
    leaf: ProofLeafOut
    index: Annotated[int, Field(description="The leaf's position among the round's leaves.")]
    leaves: int
    chunk: int
    chunk_size: int
    path: list[ProofStepOut]
    root: Annotated[str, Field(description="The round's published Merkle root, hex.")]
    context: ProofContextOut


def proof_out(proof: Proof) -> ChargeProofOut:
    return ChargeProofOut.model_validate(proof.to_dict())
