"""Every rule of the SPEC's body table: a broken rule is 422 ``validation_error`` naming the field;
the values at the edges of each rule are accepted (201)."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from payout_desk.sandbox.client import SandboxControl
from tests.integration.sandbox.helpers import assert_error, payout

ABSENT = object()


def _body(field: str, value: Any) -> dict[str, Any]:
    body = payout()
    if value is ABSENT:
        body.pop(field, None)
    else:
        body[field] = value
    return body


def _id(field: str, value: Any) -> str:
    return f"{field}-absent" if value is ABSENT else f"{field}={str(value)[:24]!r}"


def _metadata_of_size(size: int) -> dict[str, str]:
    """A metadata object whose compact UTF-8 JSON is exactly ``size`` bytes."""
    overhead = len(json.dumps({"k": ""}, separators=(",", ":")))
    return {"k": "x" * (size - overhead)}


INVALID = [
    ("amount", ABSENT),
    ("amount", None),
    ("amount", 10),
    ("amount", 10.5),
    ("amount", ""),
    ("amount", "-1.00"),
    ("amount", "+1.00"),
    ("amount", "1,00"),
    ("amount", "1,000.00"),
    ("amount", "1e3"),
    ("amount", " 1.00"),
    ("amount", "1."),
    ("amount", ".5"),
    ("amount", "0"),
    ("amount", "0.00"),
    ("amount", "1000000000.01"),
    ("amount", "1000000001"),
    ("amount", "10.001"),  # EUR has 2 minor digits
    ("currency", ABSENT),
    ("currency", "eur"),
    ("currency", "EU"),
    ("currency", "EURO"),
    ("currency", 978),
    ("currency", "ABC"),  # three capitals, but not an ISO 4217 code
    ("currency", "DEM"),  # withdrawn, no longer active
    ("type", "refund"),
    ("type", "PAYOUT"),
    ("type", None),
    ("type", 1),
    ("description", "x" * 256),
    ("description", 5),
    ("metadata", "text"),
    ("metadata", [1, 2]),
    ("metadata", {"items": [1, 2]}),
    ("metadata", {"gone": None}),
    ("metadata", _metadata_of_size(4097)),
    ("externalId", "e" * 256),
    ("externalId", 12),
    ("redirectUrl", "http://merchant.example/return"),
    ("redirectUrl", "ftp://merchant.example/return"),
    ("redirectUrl", "/relative/return"),
    ("redirectUrl", "https://"),
    ("redirectUrl", "https://merchant.example/" + "r" * 2048),
    ("redirectUrl", "https://merchant.example/a b"),
    ("redirectUrl", 5),
    ("webhookUrl", "http://merchant.example/hooks"),
    ("webhookUrl", "merchant.example/hooks"),
    ("webhookUrl", "https://merchant.example/" + "h" * 2048),
    ("customer", "User Name"),
    ("customer", ["id"]),
    ("customer", {"id": 5, "name": "User"}),
    ("customer", {"id": "c1", "name": 7}),
]


@pytest.mark.parametrize(("field", "value"), INVALID, ids=[_id(f, v) for f, v in INVALID])
def test_broken_rule_is_422_naming_the_field(api_client: httpx.Client, field: str, value: Any) -> None:
    assert_error(api_client.post("/api/payments", json=_body(field, value)), 422, "validation_error", field)


@pytest.mark.parametrize(
    ("currency", "amount", "ok"),
    [("JPY", "10", True), ("JPY", "10.0", False), ("BHD", "1.234", True), ("BHD", "1.2345", False),
     ("CLF", "1.2345", True), ("EUR", "10.5", True)],
)  # fmt: skip
def test_fraction_digits_follow_the_iso_4217_minor_unit(
    api_client: httpx.Client, currency: str, amount: str, ok: bool
) -> None:
    response = api_client.post("/api/payments", json=payout(currency=currency, amount=amount))
    if ok:
        assert response.status_code == 201, response.text
        assert response.json()["amount"] == amount
    else:
        assert_error(response, 422, "validation_error", "amount")


@pytest.mark.parametrize("currency", ["XAU", "XAG", "XPT", "XPD", "XDR", "XXX", "XTS", "XSU", "XUA", "XBA"])
def test_codes_without_a_minor_unit_are_refused(api_client: httpx.Client, currency: str) -> None:
    """The SPEC and the app refuse them; so does the sandbox (it accepted XAU, XXX, XTS)."""
    response = api_client.post("/api/payments", json=payout(currency=currency, amount="1"))
    assert_error(response, 422, "validation_error", "currency")
    assert "no minor unit" in response.json()["error"]["message"]


VALID = [
    ("amount", "1000000000"),
    ("amount", "1000000000.00"),
    ("amount", "0.01"),
    ("amount", "007.50"),
    ("type", "payin"),
    ("description", "x" * 255),
    ("description", "é" * 255),
    ("description", None),
    ("metadata", {"nested": {"list": [1, None]}, "n": 1, "ok": True}),
    ("metadata", _metadata_of_size(4096)),
    ("metadata", {}),
    ("metadata", None),
    ("externalId", "e" * 255),
    ("redirectUrl", "https://merchant.example/return?x=1"),
    ("redirectUrl", "http://127.0.0.1:8080/return"),
    ("redirectUrl", "http://localhost/return"),
    ("redirectUrl", "http://[::1]:9000/return"),
    ("redirectUrl", "https://merchant.example/" + "r" * (2048 - 25)),
    ("webhookUrl", "https://merchant.example/hooks"),
    ("webhookUrl", "http://127.0.0.2:9/hooks"),
    ("customer", {"id": "550e8400-e29b-41d4-a716-446655440000", "name": "User Name"}),
    ("customer", None),
    ("unknownField", {"anything": ["goes"]}),
]


@pytest.mark.parametrize(("field", "value"), VALID, ids=[_id(f, v) for f, v in VALID])
def test_values_within_the_rules_are_accepted(api_client: httpx.Client, field: str, value: Any) -> None:
    response = api_client.post("/api/payments", json=_body(field, value))
    assert response.status_code == 201, response.text


def test_metadata_size_counts_utf8_bytes(api_client: httpx.Client) -> None:
    # 2 bytes per "é": 2047 of them plus {"k":""} (8 bytes) is 4102 bytes but only 2055 characters.
    response = api_client.post("/api/payments", json=payout(metadata={"k": "é" * 2047}))
    assert_error(response, 422, "validation_error", "metadata")


def test_the_first_broken_rule_in_table_order_is_reported(api_client: httpx.Client) -> None:
    body = payout(amount="x", currency="nope", description="d" * 300)
    assert_error(api_client.post("/api/payments", json=body), 422, "validation_error", "amount")
    body = payout(currency="nope", description="d" * 300)
    assert_error(api_client.post("/api/payments", json=body), 422, "validation_error", "currency")


def test_a_rejected_body_creates_nothing(api_client: httpx.Client, sandbox_control: SandboxControl) -> None:
    before = len(sandbox_control.payments())
    api_client.post("/api/payments", json=payout(amount="0"))
    assert len(sandbox_control.payments()) == before
