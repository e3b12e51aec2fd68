"""``domain.body_check.body_shape_problems``: the agent's allow-list (second audit N1), the same bodies the team
database refuses (tests/integration/postgres/test_body_allowlist.py)."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from payout_desk.domain.body_check import body_disagreements, body_shape_problems, parse_body_once
from tests.fixtures.bodies import ATTACKS, DESK_BODIES


@pytest.mark.parametrize(("what", "body"), DESK_BODIES, ids=[what for what, _ in DESK_BODIES])
def test_every_body_the_desk_writes_has_the_desks_shape(what: str, body: str) -> None:
    assert body_shape_problems(parse_body_once(body)) == [], what
    parsed = json.loads(body)
    customer = parsed.get("customer", {})
    found = body_disagreements(
        body,
        amount=Decimal(parsed["amount"]),
        currency=parsed["currency"],
        external_id=parsed.get("externalId"),
        recipient_id=customer.get("id"),
        recipient_name=customer.get("name"),
    )
    assert found == []


@pytest.mark.parametrize(("key", "body"), ATTACKS, ids=[f"{n}-{key}" for n, (key, _) in enumerate(ATTACKS)])
def test_a_body_the_desk_never_writes_is_refused_naming_the_key(key: str, body: str) -> None:
    problems = body_shape_problems(parse_body_once(body))
    assert problems, body
    assert problems[0].startswith(key + ":"), problems
    # the agent's last look (a body journaled before migration 0020) holds it back in the same words
    parsed = json.loads(body)
    held = body_disagreements(
        body, amount=Decimal(parsed["amount"]), currency="EUR", external_id="HIDE-1", recipient_id=None,
        recipient_name=None,
    )  # fmt: skip
    assert held
    if key != '"externalId"':  # that one is compared with the journal's reference: "the body says nothing"
        assert problems[0] in held


def test_a_case_variant_is_named_with_the_key_the_desk_writes() -> None:
    body = parse_body_once(ATTACKS[0][1])
    assert body_shape_problems(body) == [
        '"Amount": the desk never writes this key (names are case-sensitive: the desk writes "amount")'
    ]
    nested = parse_body_once('{"customer":{"Name":"x","nick":"y"},"metadata":{"a":{"b":"c"}}}')
    assert body_shape_problems(nested) == [
        '"customer.Name": the desk never writes this key (names are case-sensitive: the desk writes "name")',
        '"customer.nick": the desk never writes this key',
        '"metadata.a": metadata values must be text, not object',
    ]
