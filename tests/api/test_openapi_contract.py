"""The OpenAPI document as client generators read it (issue 15): short ids, tags, problem+json with
the Problem schema, only answerable statuses, named schemas, required Idempotency-Key, binary
evidence, webhooks, servers."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from apikit import FAST
from sqlalchemy import create_engine

from huzhu.api.app import create_app
from huzhu.api.problems import MEDIA


@pytest.fixture(scope="module")
def doc() -> dict[str, Any]:
    document: dict[str, Any] = create_app(FAST, create_engine("sqlite://")).openapi()
    return document


def operations(doc: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(m, p, op) for p, item in doc["paths"].items() for m, op in item.items()]


def test_every_operation_has_a_short_unique_id_and_a_tag(doc: dict[str, Any]) -> None:
    ids = [op["operationId"] for _, _, op in operations(doc)]
    assert len(ids) == len(set(ids)) >= 60
    assert all(re.fullmatch(r"[a-z][a-z0-9_]{1,30}", i) for i in ids), ids
    assert all(op.get("tags") for _, _, op in operations(doc))
    joins = [op for m, p, op in operations(doc) if (m, p) == ("post", "/v1/memberships")]
    assert joins[0]["operationId"] == "join"


def test_errors_are_problem_json_with_the_problem_schema_only(doc: dict[str, Any]) -> None:
    for method, path, op in operations(doc):
        for status, response in op["responses"].items():
            if status.startswith(("4", "5")):
                assert response["content"] == {
                    MEDIA: {"schema": {"$ref": "#/components/schemas/Problem"}}
                }, (method, path, status)
    assert "HTTPValidationError" not in doc["components"]["schemas"]


def test_operations_list_only_statuses_they_can_answer(doc: dict[str, Any]) -> None:
    public = doc["paths"]["/v1/plans"]["get"]["responses"]
    assert not {"401", "403", "409", "413", "415", "429"} & set(public)
    signed_in = doc["paths"]["/v1/memberships/{membership_id}"]["get"]["responses"]
    assert {"401", "403", "404"} <= set(signed_in) and "415" not in signed_in
    join = doc["paths"]["/v1/memberships"]["post"]["responses"]
    assert {"401", "403", "429"} <= set(join)  # it checks the caller itself
    assert "429" not in doc["paths"]["/v1/claims"]["post"]["responses"]


def test_generic_schemas_have_names(doc: dict[str, Any]) -> None:
    names = list(doc["components"]["schemas"])
    assert all(re.fullmatch(r"[A-Za-z0-9]+", n) for n in names), names
    assert "AccountOutPage" in names
    assert "Page_AccountOut_" not in json.dumps(doc)


def test_idempotency_key_is_required_where_the_server_requires_it(doc: dict[str, Any]) -> None:
    for method, path in [
        ("post", "/v1/memberships"),
        ("post", "/v1/memberships/{membership_id}/top-ups"),
        ("post", "/v1/memberships/{membership_id}/successor-offer"),
        ("post", "/v1/plans/{plan_id}/rounds"),
    ]:
        (key,) = [
            p for p in doc["paths"][path][method]["parameters"] if p["name"] == "Idempotency-Key"
        ]
        assert key["required"] is True


def test_evidence_upload_and_download_are_binary(doc: dict[str, Any]) -> None:
    upload = doc["paths"]["/v1/claims/{claim_id}/evidence"]["post"]
    assert upload["requestBody"]["content"]["application/octet-stream"]["schema"] == {
        "type": "string",
        "format": "binary",
    }
    assert all(p["name"].lower() != "content-type" for p in upload.get("parameters", []))
    download = doc["paths"]["/v1/claims/{claim_id}/evidence/{evidence_id}"]["get"]
    for body in download["responses"]["200"]["content"].values():
        assert body["schema"]["format"] == "binary"


def test_webhooks_and_servers_are_published(doc: dict[str, Any]) -> None:
    assert doc["openapi"].startswith("3.1")
    assert doc["servers"]
    assert set(doc["webhooks"]) == {
        "member.joined", "member.left", "claim.status_changed",
        "charge.due", "charge.collected", "balance.low",
    }  # fmt: skip
    joined = doc["webhooks"]["member.joined"]["post"]
    ref = joined["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    schema = doc["components"]["schemas"][ref.rsplit("/", 1)[-1]]
    assert set(schema["required"]) == {"id", "type", "created_at", "data"}
    assert "webhook-signature" in joined["description"]
    assert doc["components"]["schemas"]["Problem"]["examples"]


def test_every_request_body_has_a_valid_example(doc: dict[str, Any]) -> None:
    """Each request schema carries a realistic example (money in fen) that its model accepts."""
    from huzhu.api.examples import EXAMPLES

    schemas = doc["components"]["schemas"]
    for method, path, op in operations(doc):
        for media, body in op.get("requestBody", {}).get("content", {}).items():
            schema = body["schema"]
            if schema.get("format") == "binary":
                continue  # an evidence file: its example is a file
            refs = [schema.get("$ref"), *(s.get("$ref") for s in schema.get("anyOf", []))]
            named = [r.rsplit("/", 1)[-1] for r in refs if r]
            examples = schemas[named[0]].get("examples") if named else schema.get("examples")
            assert examples, (method, path, media)
    for model, example in EXAMPLES.items():
        model.model_validate(example)  # an example the server would refuse teaches nothing
        assert not any(isinstance(v, float) for v in json.loads(json.dumps(example)).values())


def test_the_proof_and_the_findings_answers_are_typed(doc: dict[str, Any]) -> None:
    from huzhu.domain.merkle import PROOF_FORMAT

    schemas = doc["components"]["schemas"]
    proof = doc["paths"]["/v1/memberships/{membership_id}/rounds/{round_id}/proof"]["get"]
    assert proof["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ChargeProofOut"
    }
    typed = schemas["ChargeProofOut"]
    assert set(typed["required"]) >= {"leaf", "index", "leaves", "path", "root", "context"}
    assert typed["properties"]["format"]["const"] == PROOF_FORMAT
    assert schemas["ProofStepOut"]["properties"]["side"]["enum"] == ["left", "right"]
    findings = doc["paths"]["/v1/claims/{claim_id}/findings"]["post"]["responses"]["201"]
    assert findings["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ClaimOut"
    }
    # No answer of the API is an object without properties any more.
    for method, path, op in operations(doc):
        for status, response in op["responses"].items():
            for body in response.get("content", {}).values():
                schema = body.get("schema", {})
                if path.startswith("/v1/") and status.startswith("2"):
                    assert schema.get("additionalProperties") is not True, (method, path)
                    assert schema != {} or status == "204", (method, path, status)


def test_accepting_a_successor_offer_is_documented(doc: dict[str, Any]) -> None:
    op = doc["paths"]["/v1/memberships/{membership_id}/successor-offer"]["post"]
    assert (op["operationId"], op["tags"]) == ("accept_successor_offer", ["memberships"])
    assert {"400", "401", "404", "409", "422"} <= set(op["responses"])
    ref = op["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    assert doc["components"]["schemas"][ref.rsplit("/", 1)[-1]]["examples"]
    assert op["responses"]["201"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/JoinOut"
    }
