"""``domain.body_fields.group_body_fields``: what the approval dialog shows first (second audit N7)."""

from __future__ import annotations

import json

from payout_desk.domain.body_fields import group_body_fields

OWN = "https://checkin-return.payout-desk.invalid/done"


def test_fields_the_desk_never_writes_and_addresses_elsewhere_come_first_with_why() -> None:
    body = json.dumps(
        {"amount": "1.00", "currency": "EUR", "type": "payout", "customer": {"name": "H", "id": "c", "iban": "X"},
         "metadata": {"a": "1", "a.b": "2", "n": {"amount": "9"}}, "redirectUrl": "https://elsewhere.example",
         "Amount": "15000000.00"},
    )  # fmt: skip
    groups = group_body_fields(body, own_redirect=OWN)
    assert [(name, why) for name, _, why in groups.dangerous] == [
        ("customer.iban", "a field the desk never writes"),
        ("metadata.n.amount", "a field the desk never writes"),
        ("redirectUrl", "the payee is sent to this address after the checkin"),
        ("Amount", "a field the desk never writes"),
    ]
    assert groups.metadata == [("a", "1"), ("a.b", "2")]
    assert groups.other == [("customer.id", "c")]


def test_the_desks_own_return_address_and_a_plain_body_need_no_check() -> None:
    body = '{"amount":"1.00","currency":"EUR","type":"payout","redirectUrl":"' + OWN + '"}'
    groups = group_body_fields(body, own_redirect=OWN)
    assert (groups.dangerous, groups.metadata, groups.other) == ([], [], [("redirectUrl", OWN)])
    assert group_body_fields('{"type":"refund"}').dangerous == [
        ("type", "refund", 'not a payout: the desk always writes "payout"')
    ]
    assert group_body_fields("[1]").dangerous == [("body", "[1]", "the body is not one JSON object")]
