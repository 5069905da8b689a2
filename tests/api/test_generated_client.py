"""An independent generator (openapi-python-client) reads the live document (issue 15): the
client it generates runs the README's flow and an evidence upload, and reads a refusal's `code`."""

from __future__ import annotations

import importlib
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from apikit import AFTER_LOCK, PLAN, Api, Clock, World, real_now
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from huzhu.domain.merkle import verify_proof
from huzhu.services.record import merkle_proofs
from huzhu.storage.uow import UnitOfWork

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from sqlalchemy import create_engine

    from huzhu.api.app import create_app
    from huzhu.settings import Settings

    where = tmp_path_factory.mktemp("client")
    spec = where / "openapi.json"
    spec.write_text(json.dumps(create_app(Settings(), create_engine("sqlite://")).openapi()))
    # The generator pins an older Typer than huzhu's CLI uses, so `make install` puts it in a
    # virtualenv of its own (.venv-tools); it is a program here, not a library.
    tools = Path(__file__).resolve().parents[2] / ".venv-tools" / "bin"
    tool = shutil.which("openapi-python-client", path=f"{tools}:{Path(sys.executable).parent}")
    assert tool is not None, "openapi-python-client is installed by `make install` (.venv-tools)"
    env = os.environ | {"PATH": f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}"}
    done = subprocess.run(
        [tool, "generate", "--path", str(spec), "--output-path", str(where / "huzhu_client"),
         "--meta", "none"],
        capture_output=True, text=True, env=env, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    sys.path.insert(0, str(where))
    try:
        yield importlib.import_module("huzhu_client")
    finally:
        sys.path.remove(str(where))
        for name in [m for m in sys.modules if m.startswith("huzhu_client")]:
            del sys.modules[name]


def module(root: Any, name: str) -> ModuleType:
    return importlib.import_module(f"{root.__name__}.{name}")


def test_the_readme_flow_and_an_evidence_upload(generated: Any, engine: Engine) -> None:
    api = Api(engine, Clock(real_now()))
    models = module(generated, "models")
    anonymous = generated.Client(base_url="http://testserver").set_httpx_client(api.client)
    register = module(generated, "api.accounts.register")
    sign_in = module(generated, "api.accounts.sign_in")

    credentials = {"username": "wuxiaoman", "password": "correct horse battery"}
    account = register.sync(client=anonymous, body=models.RegisterIn.from_dict(credentials))
    assert isinstance(account, models.AccountOut)
    token = sign_in.sync(client=anonymous, body=models.SignInIn.from_dict(credentials))
    assert isinstance(token, models.TokenOut)

    bearer = TestClient(api.app, headers={"authorization": f"Bearer {token.access_token}"})
    client = generated.AuthenticatedClient(
        base_url="http://testserver", token=token.access_token
    ).set_httpx_client(bearer)
    join = module(generated, "api.memberships.join")
    body = {"plan_id": PLAN, "health_answers": _answers(api),
            "person": {"id_number": "110105199005170011", "name": "吴小漫"}}  # fmt: skip
    joined = join.sync(client=client, body=models.JoinIn.from_dict(body), idempotency_key="j-1")
    assert isinstance(joined, models.JoinOut), joined
    membership_id = joined.membership.id
    mine = module(generated, "api.memberships.my_memberships").sync(client=client)
    assert [m.id for m in mine.items] == [membership_id]
    statement = module(generated, "api.memberships.my_statement").sync(membership_id, client=client)
    assert isinstance(statement, models.StatementOut)

    # a refusal: joining the same plan again, under a new key
    again = join.sync_detailed(
        client=client, body=models.JoinIn.from_dict(body), idempotency_key="j-2"
    )
    assert again.status_code == 409
    assert isinstance(again.parsed, models.Problem)
    assert again.parsed.code and again.parsed.type_ == f"urn:huzhu:problem:{again.parsed.code}"

    # an evidence upload, and the file back
    claim = module(generated, "api.claims.submit").sync(
        client=client, body=models.ClaimIn.from_dict(api.claim_body(membership_id))
    )
    assert isinstance(claim, models.ClaimOut), claim
    types = module(generated, "types")
    uploaded = module(generated, "api.evidence.upload").sync(
        claim.id, client=client, body=types.File(payload=PDF, file_name="report.pdf"),
        filename="report.pdf",
    )  # fmt: skip
    assert isinstance(uploaded, models.EvidenceOut), uploaded
    assert uploaded.media_type == "application/pdf"
    got = module(generated, "api.evidence.download").sync_detailed(
        claim.id, uploaded.id, client=client
    )
    assert got.status_code == 200 and got.content == PDF


def test_a_member_reads_a_typed_charge_proof(generated: Any, world: World) -> None:
    """The proof is a model of the generated client, and it still checks offline."""
    with UnitOfWork(world.api.engine) as uow:
        published = merkle_proofs.publish_round_proofs(uow, world.round_id, AFTER_LOCK)
        uow.commit()
    models = module(generated, "models")
    bearer = TestClient(world.api.app, headers=world.a.auth)
    client = generated.AuthenticatedClient(
        base_url="http://testserver", token=world.a.token
    ).set_httpx_client(bearer)
    prove = module(generated, "api.memberships.charge_proof")
    proof = prove.sync(world.m_a, world.round_id, client=client)
    assert isinstance(proof, models.ChargeProofOut), proof
    assert isinstance(proof.leaf, models.ProofLeafOut) and proof.leaf.membership_id == world.m_a
    assert isinstance(proof.leaf.amount, int) and proof.root == published.root
    assert all(isinstance(step, models.ProofStepOut) for step in proof.path)
    assert verify_proof(proof.to_dict())


def _answers(api: Api) -> dict[str, bool]:
    from helpers import healthy

    return healthy(api.engine, PLAN)
