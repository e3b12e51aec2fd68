"""POST/GET /api/payments: auth (401), Payout permission (403), isolation (404), body errors (400),
the error format and the response object (SPEC "Transport and auth", "POST", "GET")."""

from __future__ import annotations

import re

import httpx
import pytest

from payout_desk.sandbox.client import SandboxControl
from payout_desk.sandbox.embedded import EmbeddedSandbox
from tests.integration.sandbox.helpers import assert_error, auth, new_key, payout

RFC3339_UTC = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$")


def test_create_answers_201_with_the_payment_object(
    api_client: httpx.Client, sandbox_control: SandboxControl, sandbox_server: EmbeddedSandbox
) -> None:
    body = payout(
        externalId="order-1456",
        metadata={"orderId": 1456},
        customer={"id": "550e8400-e29b-41d4-a716-446655440000", "name": "User Name"},
        redirectUrl="https://merchant.example/return",
        webhookUrl="https://merchant.example/hooks",
        somethingUnknown="ignored",
    )
    response = api_client.post("/api/payments", json=body, headers={"Idempotency-Key": new_key()})
    assert response.status_code == 201
    assert "idempotent-replayed" not in response.headers
    created = response.json()
    assert set(created) == {"id", "status", "url", "externalId", "amount", "currency", "description", "metadata",
                            "createdAt"}  # fmt: skip
    assert created["id"].startswith("pay_")
    assert created["status"] == "pending"
    assert created["url"] == f"{sandbox_server.base_url}/checkin/{created['id']}"
    assert (created["externalId"], created["amount"], created["currency"]) == ("order-1456", "10.00", "EUR")
    assert (created["description"], created["metadata"]) == ("Order #1456", {"orderId": 1456})
    assert RFC3339_UTC.match(created["createdAt"])
    held = next(p for p in sandbox_control.payments() if p["id"] == created["id"])
    assert held["customer"] == body["customer"]
    assert held["redirectUrl"] == body["redirectUrl"]
    assert held["webhookUrl"] == body["webhookUrl"]
    assert held["type"] == "payout"


def test_get_returns_the_same_object_with_the_current_status(api_client: httpx.Client) -> None:
    created = api_client.post("/api/payments", json=payout()).json()
    fetched = api_client.get(f"/api/payments/{created['id']}")
    assert fetched.status_code == 200
    assert fetched.json() == created


def test_absent_optional_fields_read_as_null(api_client: httpx.Client) -> None:
    created = api_client.post("/api/payments", json={"amount": "5", "currency": "JPY", "type": "payout"}).json()
    assert created["externalId"] is None
    assert created["description"] is None
    assert created["metadata"] is None


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer tk_test_unknown"},
        {"Authorization": "Basic dXNlcjpwYXNz"},
        {"Authorization": "Bearer"},
    ],
    ids=["missing", "unknown", "not-bearer", "empty"],
)
def test_missing_or_unknown_token_is_401(sandbox_server: EmbeddedSandbox, headers: dict[str, str]) -> None:
    base = sandbox_server.base_url
    create = httpx.post(f"{base}/api/payments", json=payout(), headers=headers)
    assert_error(create, 401, "unauthorized")
    assert create.headers["www-authenticate"] == "Bearer"
    assert_error(httpx.get(f"{base}/api/payments/pay_0", headers=headers), 401, "unauthorized")


def test_revoked_token_is_401(api_client: httpx.Client, sandbox_control: SandboxControl, merchant_token: str) -> None:
    assert api_client.post("/api/payments", json=payout()).status_code == 201
    assert sandbox_control.revoke_token(merchant_token) is True
    assert_error(api_client.post("/api/payments", json=payout()), 401, "unauthorized")


def test_token_without_payout_permission_is_403_for_payouts(
    sandbox_server: EmbeddedSandbox, sandbox_control: SandboxControl
) -> None:
    base = sandbox_server.base_url
    record = sandbox_control.mint_token_record(payouts=False)
    headers = auth(record["token"], new_key())
    assert_error(httpx.post(f"{base}/api/payments", json=payout(), headers=headers), 403, "payouts_not_enabled")
    # A payin (the default type) needs no Payout permission.
    assert (
        httpx.post(f"{base}/api/payments", json=payout(type="payin"), headers=auth(record["token"])).status_code == 201
    )
    held = [p for p in sandbox_control.payments() if p["merchantId"] == record["merchantId"]]
    assert [p["type"] for p in held] == ["payin"]


def test_permission_probe_gets_403_or_422_and_creates_nothing(
    sandbox_server: EmbeddedSandbox, sandbox_control: SandboxControl
) -> None:
    """The app's "Test connection": POST {"type": "payout"} without an amount."""
    base = sandbox_server.base_url
    without = sandbox_control.mint_token_record(payouts=False)
    with_ = sandbox_control.mint_token_record(payouts=True)
    probe = {"type": "payout"}
    assert_error(
        httpx.post(f"{base}/api/payments", json=probe, headers=auth(without["token"])), 403, "payouts_not_enabled"
    )
    assert_error(
        httpx.post(f"{base}/api/payments", json=probe, headers=auth(with_["token"])), 422, "validation_error", "amount"
    )
    merchants = {without["merchantId"], with_["merchantId"]}
    assert not [p for p in sandbox_control.payments() if p["merchantId"] in merchants]


@pytest.mark.parametrize(
    "content",
    [
        b"not json",
        b"[1, 2]",
        b'"text"',
        b"",
        b"\xff\xfe{}",
        b'{"amount": NaN}',
        b"{'amount': '1'}",
        b'{"metadata": {"n": 1e400}}',
        b'{"description": "\\ud800"}',
        b'{"x": ' + b"[" * 65 + b"]" * 65 + b"}",
        b'{"x": ' + b"[" * 5000 + b"]" * 5000 + b"}",
    ],
    ids=[
        "text",
        "array",
        "string",
        "empty",
        "bad-utf8",
        "nan",
        "single-quotes",
        "infinite-number",
        "lone-surrogate",
        "too-deep",
        "far-too-deep",
    ],
)
def test_body_that_is_not_a_json_object_is_400(api_client: httpx.Client, content: bytes) -> None:
    response = api_client.post("/api/payments", content=content, headers={"Content-Type": "application/json"})
    assert_error(response, 400, "malformed_request")


def test_malformed_body_is_checked_before_the_token(sandbox_server: EmbeddedSandbox) -> None:
    base = sandbox_server.base_url
    assert_error(httpx.post(f"{base}/api/payments", content=b"{"), 400, "malformed_request")


def test_another_merchants_payment_is_404(
    api_client: httpx.Client, sandbox_control: SandboxControl, sandbox_server: EmbeddedSandbox
) -> None:
    created = api_client.post("/api/payments", json=payout()).json()
    other = sandbox_control.mint_token()
    response = httpx.get(f"{sandbox_server.base_url}/api/payments/{created['id']}", headers=auth(other))
    assert_error(response, 404, "not_found")
    assert api_client.get(f"/api/payments/{created['id']}").status_code == 200


def test_a_second_token_of_the_same_merchant_sees_its_payments(
    api_client: httpx.Client, sandbox_control: SandboxControl, sandbox_server: EmbeddedSandbox
) -> None:
    created = api_client.post("/api/payments", json=payout()).json()
    merchant = next(p["merchantId"] for p in sandbox_control.payments() if p["id"] == created["id"])
    second = sandbox_control.mint_token(merchant_id=merchant)
    url = f"{sandbox_server.base_url}/api/payments/{created['id']}"
    assert httpx.get(url, headers=auth(second)).status_code == 200


def test_unknown_payment_is_404(api_client: httpx.Client) -> None:
    assert_error(api_client.get("/api/payments/pay_doesnotexist"), 404, "not_found")


def test_routing_errors_use_the_error_format(api_client: httpx.Client) -> None:
    assert_error(api_client.get("/api/nothing-here"), 404, "not_found")
    wrong_method = api_client.delete("/api/payments/pay_x")
    assert_error(wrong_method, 405, "method_not_allowed")
    assert "GET" in wrong_method.headers["allow"]
