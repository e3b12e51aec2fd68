"""``domain.body_check``: the sender's last look at a journaled body (audit F1)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from payout_desk.domain.body_check import DuplicateKeyError, body_disagreements, parse_body_once
from tests.unit.journal.helpers import request

BODY = request(amount="15000.00", external_id="INV-7").body_json()


def _check(body: str, amount: str = "15000.00", code: str = "EUR", ref: str | None = "INV-7") -> list[str]:
    return body_disagreements(
        body, amount=Decimal(amount), currency=code, external_id=ref, recipient_id="cus_1", recipient_name="Anna Müller"
    )


def test_the_desks_own_body_says_what_its_columns_say() -> None:
    assert _check(BODY) == []
    assert _check(request(amount="0.10", external_id=None).body_json(), "0.10", ref=None) == []
    nobody = request(recipient_id=None, recipient_name=None).body_json()
    assert (
        body_disagreements(
            nobody, amount=Decimal("10.00"), currency="EUR", external_id="ORD-1", recipient_id=None, recipient_name=""
        )
        == []
    )


@pytest.mark.parametrize(
    "text",
    [
        '{"a":1,"a":2}',
        '{"customer":{"name":"x","name":"y"}}',
        '{"items":[{"id":1},{"id":2,"id":3}]}',
        '{"amount":"1.00","\\u0061mount":"2.00"}',
    ],
)
def test_a_key_named_twice_at_any_depth_is_refused(text: str) -> None:
    with pytest.raises(DuplicateKeyError):
        parse_body_once(text)


@pytest.mark.parametrize("text", ["[1]", '"x"', "{", '{"amount": NaN}'])
def test_only_one_json_object_is_a_body(text: str) -> None:
    with pytest.raises(ValueError, match=r"."):
        parse_body_once(text)


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (('"amount":"15000.00"', '"amount":"15000.0"'), 'amount: the body says "15000.0", the journal 15000.00'),
        (('"amount":"15000.00"', '"amount":15000.00'), "says the number 15000.00 (not text), the journal 15000.00"),
        (('"currency":"EUR"', '"currency":"HUF"'), 'currency: the body says "HUF", the journal EUR'),
        (('"externalId":"INV-7"', '"externalId":"INV-8"'), 'reference: the body says "INV-8", the journal "INV-7"'),
        (('"type":"payout"', '"type":"refund"'), 'type: the body says "refund", not "payout"'),
        (('"name":"Anna Müller"', '"name":"Mallory"'), 'recipient name: the body says "Mallory", the journal "Anna'),
        (('"id":"cus_1"', '"id":"cus_666"'), 'recipient ID: the body says "cus_666", the journal "cus_1"'),
        ((',"name":"Anna Müller"', ""), 'recipient name: the body says nothing, the journal "Anna Müller"'),
        (('"amount":"15000.00"', '"amount":"15000.00","amount":"1.00"'), 'the key "amount" appears twice'),
    ],
)
def test_every_disagreement_is_named(change: tuple[str, str], words: str) -> None:
    assert change[0] in BODY
    problems = _check(BODY.replace(*change))
    assert len(problems) == 1
    assert words in problems[0]
