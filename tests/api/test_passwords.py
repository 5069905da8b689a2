"""Passwords: common and guessable ones are refused, the username's included; spaces are kept
(issue 10, section 4, "Passwords")."""

from __future__ import annotations

import pytest
from apikit import Api, problem

from huzhu.domain.errors import InvalidInput
from huzhu.services.accounts.service import check_password_rules

STRONG = "correct horse battery staple"


@pytest.mark.parametrize(
    "password",
    [
        "password123",  # a very common password
        "qwertyuiop1",  # a keyboard walk
        "Summer2026!",  # a season and a year
        "1234567890",
        "alice2026!!",  # the username and a tail
        "ecila2026!!",  # the username reversed
        "AliceAlice99",
        "alice.wang1990",  # built from parts of the username
    ],
)
def test_guessable_passwords_are_refused(password: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        check_password_rules(password, "alice.wang")
    assert refused.value.code == "guessable-password"
    assert refused.value.field == "password"


@pytest.mark.parametrize("password", [STRONG, "Tr0ub4dor&3x-7", "alice walks nine quiet ferns"])
def test_strong_passwords_pass_even_with_the_username_in_them(password: str) -> None:
    check_password_rules(password, "alice")


def test_a_long_password_is_judged_quickly_by_its_start() -> None:
    check_password_rules(STRONG + " x" * 110, "alice")  # 248 characters
    with pytest.raises(InvalidInput):
        check_password_rules("a" * 200 + STRONG, "alice")


def test_registration_refuses_a_guessable_password_and_keeps_spaces(api: Api) -> None:
    body = {"username": "alice", "password": "alice2026!!"}
    refused = problem(api.post("/v1/accounts", json=body), 400, "guessable-password")
    assert refused["field"] == "password"
    assert api.count("accounts") == 0
    spaced = f"  {STRONG}  "
    r = api.post("/v1/accounts", json={"username": "alice", "password": spaced})
    assert r.status_code == 201, r.text
    trimmed = api.post("/v1/auth/token", json={"username": "alice", "password": STRONG})
    problem(trimmed, 401, "bad-credentials")
    exact = api.post("/v1/auth/token", json={"username": "alice", "password": spaced})
    assert exact.status_code == 200, exact.text
