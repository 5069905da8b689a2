"""One realistic example for every request body, as client generators and the docs show them.

Money is integer fen (`amount_fen: 5000` is 50.00 yuan). `tests/api/test_openapi_contract.py`
validates each example against its model and fails on a request body without one: a new
request model gets its line here.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from huzhu.api import schemas_accounts as a
from huzhu.api import schemas_claims as c
from huzhu.api import schemas_identity as i
from huzhu.api import schemas_lifecycle as lc
from huzhu.api import schemas_memberships as m
from huzhu.api import schemas_rounds as r

_PERSON = {
    "id_type": "resident-id",
    "id_number": "110105199005170011",
    "name": "吴小漫",
    "phone": "13800138000",
    "email": "xiaoman@example.cn",
}
_ANSWERS = {"no-current-critical-illness": False, "no-pending-tests": False}

EXAMPLES: dict[type[BaseModel], dict[str, Any]] = {
    a.RegisterIn: {"username": "wuxiaoman", "password": "correct horse battery staple"},
    a.SignInIn: {"username": "wuxiaoman", "password": "correct horse battery staple"},
    a.AssertionIn: {"app": "xiaoman-app", "assertion": "eyJ1c2VyIjoiNDIifQ.c2lnbmF0dXJl"},
    a.RolesIn: {"roles": ["member", "reviewer"]},
    a.HostAppIn: {"name": "xiaoman-app", "webhook_url": "https://app.example.cn/huzhu/hooks"},
    a.PersonIn: _PERSON,
    m.JoinIn: {"plan_id": "xiang-hu-bao", "health_answers": _ANSWERS, "person": _PERSON},
    m.TopUpIn: {"amount_fen": 5000},
    m.SuccessorOfferIn: {"health_answers": _ANSWERS},
    c.ClaimIn: {
        "membership_id": 42,
        "condition_code": "CA-01",
        "diagnosis_date": "2026-03-01",
        "hospital": "北京协和医院",
        "evidence": ["pathology-report.pdf"],
    },
    c.RejectIn: {
        "reason_code": "in-waiting-period",
        "explanation": "确诊日期在等待期内（加入后 90 天）。",
    },
    r.RoundRunIn: {"announce_date": "2026-03-07"},
    c.PayoutIn: {"payout_fen": 30_000_000, "reason": "the jury overturned the rejection"},
    c.AssignIn: {"account_id": 7},
    c.DocumentsIn: {"what": "the pathology report of the biopsy", "days": 14},
    c.FindingsIn: {"text": "The hospital confirmed the diagnosis date by telephone."},
    c.ReasonIn: {"reason": "The claimant's file was incomplete when it was refused."},
    c.AppealIn: {"statement": "The diagnosis was on day 95, after the waiting period."},
    c.ObjectionReviewIn: {
        "outcome": "dismiss",
        "explanation": "The hospital's records match the claim.",
    },
    c.DrawJuryIn: {"seed": "claim-42-2026-03-09"},
    c.VoteIn: {"vote": "uphold"},
    c.JurorTestIn: {"answers": {"not-insurance": "no", "secret": "no"}},
    c.SweepIn: {"plan_id": "xiang-hu-bao"},
    c.LanguageIn: {"locale": "en"},
    i.DecisionIn: {"confirm": True},
    lc.CloseIn: {
        "notice_date": "2026-03-10",
        "end_date": "2026-04-30",
        "refund_past_shares": False,
    },
    lc.OperatorPaidIn: {
        "first_date": "2026-03-01",
        "last_date": "2026-03-31",
        "note": "the first month is free for members who joined in February",
    },
}


def add_examples(schemas: dict[str, Any]) -> None:
    """Put each model's example into its component schema."""
    for model, example in EXAMPLES.items():
        schema = schemas.get(model.__name__)
        if schema is not None:
            schema["examples"] = [example]
