"""Fault injection (SPEC control surface): status, delay, rate_limit, malformed_json, drop_after_commit,
``times``, matching by method and path, clearing, and the control routes never being faulted."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import httpx
import pytest

from payout_desk.sandbox.client import AsyncSandboxControl, SandboxControl, SandboxControlError
from payout_desk.sandbox.embedded import EmbeddedSandbox
from tests.integration.sandbox.helpers import assert_error, auth, eventually, new_key, payout


@pytest.fixture
def control(sandbox: EmbeddedSandbox) -> SandboxControl:
    return SandboxControl(sandbox.base_url)


@pytest.fixture
def token(control: SandboxControl) -> str:
    return control.mint_token()


@pytest.fixture
def client(sandbox: EmbeddedSandbox) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=sandbox.base_url, trust_env=False, timeout=10) as c:
        yield c


def test_status_fault_answers_that_status_without_processing(
    control: SandboxControl, token: str, client: httpx.Client
) -> None:
    control.add_fault(method="POST", path="/api/payments", fault="status", status=503)
    assert_error(client.post("/api/payments", json=payout(), headers=auth(token, new_key())), 503, "internal_error")
    assert control.payments() == []
    assert client.post("/api/payments", json=payout(), headers=auth(token, new_key())).status_code == 201


def test_status_fault_with_a_client_error_status(control: SandboxControl, token: str, client: httpx.Client) -> None:
    control.add_fault(method="GET", path="/api/payments/*", fault="status", status=409)
    assert_error(client.get("/api/payments/pay_x", headers=auth(token)), 409, "idempotency_in_progress")


def test_rate_limit_fault_is_429_with_retry_after(control: SandboxControl, token: str, client: httpx.Client) -> None:
    control.add_fault(method="POST", path="/api/payments", fault="rate_limit", retryAfter=2)
    response = client.post("/api/payments", json=payout(), headers=auth(token, new_key()))
    assert_error(response, 429, "rate_limited")
    assert response.headers["retry-after"] == "2"
    assert control.payments() == []


def test_delay_fault_answers_normally_after_the_delay(
    control: SandboxControl, token: str, client: httpx.Client
) -> None:
    created = client.post("/api/payments", json=payout(), headers=auth(token)).json()
    control.add_fault(method="GET", path=f"/api/payments/{created['id']}", fault="delay", seconds=0.4)
    started = time.monotonic()
    response = client.get(f"/api/payments/{created['id']}", headers=auth(token))
    assert time.monotonic() - started >= 0.4
    assert response.status_code == 200
    assert control.faults() == []  # used up


async def test_delay_fault_on_create_times_out_the_client_but_commits(sandbox: EmbeddedSandbox) -> None:
    """The client gives up, the provider still commits; retries with the key see 409, then the replay."""
    control = AsyncSandboxControl(sandbox.base_url)
    token = await control.mint_token()
    key = new_key()
    await control.add_fault(method="POST", path="/api/payments", fault="delay", seconds=0.6)
    async with httpx.AsyncClient(base_url=sandbox.base_url, trust_env=False, timeout=0.2) as impatient:
        with pytest.raises(httpx.ReadTimeout):
            await impatient.post("/api/payments", json=payout(), headers=auth(token, key))
    statuses: list[int] = []
    async with httpx.AsyncClient(base_url=sandbox.base_url, trust_env=False, timeout=5) as client:

        async def replayed() -> httpx.Response | None:
            response = await client.post("/api/payments", json=payout(), headers=auth(token, key))
            statuses.append(response.status_code)
            return response if response.status_code == 200 else None

        replay = await eventually(replayed, within=5, interval=0.05)
    assert replay.headers["idempotent-replayed"] == "true"
    assert set(statuses[:-1]) <= {409}
    assert statuses[0] == 409
    assert len(await control.payments()) == 1


def test_malformed_json_fault_sends_a_body_that_is_not_json(
    control: SandboxControl, token: str, client: httpx.Client
) -> None:
    control.add_fault(method="POST", path="/api/payments", fault="malformed_json")
    key = new_key()
    response = client.post("/api/payments", json=payout(), headers=auth(token, key))
    assert response.status_code == 201
    with pytest.raises(json.JSONDecodeError):
        json.loads(response.content)
    [held] = control.payments()  # processed and committed
    replay = client.post("/api/payments", json=payout(), headers=auth(token, key))
    assert replay.status_code == 200
    assert replay.json()["id"] == held["id"]


def test_drop_after_commit_closes_the_connection_without_an_answer(
    control: SandboxControl, token: str, client: httpx.Client
) -> None:
    control.add_fault(method="POST", path="/api/payments", fault="drop_after_commit")
    key = new_key()
    with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
        client.post("/api/payments", json=payout(), headers=auth(token, key))
    [held] = control.payments()
    assert held["idempotencyKey"] == key
    retry = client.post("/api/payments", json=payout(), headers=auth(token, key))
    assert retry.status_code == 200
    assert retry.json()["id"] == held["id"]
    assert retry.headers["idempotent-replayed"] == "true"


def test_drop_after_commit_on_get(control: SandboxControl, token: str, client: httpx.Client) -> None:
    created = client.post("/api/payments", json=payout(), headers=auth(token)).json()
    control.add_fault(method="*", path="/api/payments/*", fault="drop_after_commit")
    with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
        client.get(f"/api/payments/{created['id']}", headers=auth(token))
    assert client.get(f"/api/payments/{created['id']}", headers=auth(token)).status_code == 200


def test_times_and_matching(control: SandboxControl, token: str, client: httpx.Client) -> None:
    control.add_fault(method="POST", path="/api/payments", fault="status", status=500, times=2)
    control.add_fault(method="GET", path="/api/payments/*", fault="status", status=502)
    assert client.get("/api/payments/pay_x", headers=auth(token)).status_code == 502  # GET matched the second
    assert client.post("/api/payments", json=payout(), headers=auth(token)).status_code == 500
    assert client.post("/api/payments", json=payout(), headers=auth(token)).status_code == 500
    assert client.post("/api/payments", json=payout(), headers=auth(token)).status_code == 201
    assert control.faults() == []


def test_faults_run_in_the_order_they_were_added(control: SandboxControl, token: str, client: httpx.Client) -> None:
    control.add_fault(method="POST", path="/api/payments", fault="status", status=503)
    control.add_fault(method="POST", path="/api/payments", fault="rate_limit", retryAfter=1)
    codes = [client.post("/api/payments", json=payout(), headers=auth(token)).status_code for _ in range(3)]
    assert codes == [503, 429, 201]


def test_clear_faults(control: SandboxControl, token: str, client: httpx.Client) -> None:
    control.add_fault(method="POST", path="/api/payments", fault="status", status=503, times=5)
    assert len(control.faults()) == 1
    control.clear_faults()
    assert control.faults() == []
    assert client.post("/api/payments", json=payout(), headers=auth(token)).status_code == 201


def test_control_routes_are_never_faulted(control: SandboxControl) -> None:
    control.add_fault(method="*", path="/_sandbox/*", fault="status", status=503)
    control.add_fault(method="*", path="*", fault="status", status=500)
    assert control.payments() == []
    assert control.mint_token().startswith("tk_test_")
    control.clear_faults()


def test_faults_apply_to_the_checkin_page(control: SandboxControl, token: str, client: httpx.Client) -> None:
    created = client.post("/api/payments", json=payout(), headers=auth(token)).json()
    control.add_fault(method="GET", path="/checkin/*", fault="status", status=500)
    assert client.get(f"/checkin/{created['id']}").status_code == 500
    assert client.get(f"/checkin/{created['id']}").status_code == 200


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"method": "POST", "path": "/api/payments", "fault": "explode"}, "fault"),
        ({"method": "POST", "path": "api/payments", "fault": "delay"}, "path"),
        ({"method": "POST", "path": "/api/payments", "fault": "status", "status": 200}, "status"),
        ({"method": "POST", "path": "/api/payments", "fault": "delay", "seconds": -1}, "seconds"),
        ({"method": "POST", "path": "/api/payments", "fault": "delay", "times": 0}, "times"),
    ],
)
def test_bad_fault_requests_are_422(sandbox: EmbeddedSandbox, body: dict[str, object], field: str) -> None:
    response = httpx.post(f"{sandbox.base_url}/_sandbox/faults", json=body)
    assert_error(response, 422, "validation_error", field)


def test_add_fault_through_the_client_reports_errors(control: SandboxControl) -> None:
    with pytest.raises(SandboxControlError) as error:
        control.add_fault(method="POST", path="/api/payments", fault="nonsense")
    assert error.value.status_code == 422


def test_rewrite_fault_answers_with_fields_replaced_after_processing(
    control: SandboxControl, token: str, client: httpx.Client
) -> None:
    control.add_fault(
        method="POST", path="/api/payments", fault="rewrite", fields={"amount": "1000.00", "currency": "JPY"}
    )
    key = new_key()
    response = client.post("/api/payments", json=payout(), headers=auth(token, key))
    assert response.status_code == 201
    assert (response.json()["amount"], response.json()["currency"]) == ("1000.00", "JPY")
    [held] = control.payments()  # the real payout is the one that was asked for
    assert (held["amount"], held["currency"]) == (payout()["amount"], payout()["currency"])
    assert response.json()["id"] == held["id"]


def test_rewrite_fault_needs_fields(control: SandboxControl) -> None:
    with pytest.raises(SandboxControlError) as caught:
        control.add_fault(method="POST", path="/api/payments", fault="rewrite")
    assert caught.value.status_code == 422


def test_huge_body_fault_pads_a_field_to_the_size_asked(
    control: SandboxControl, token: str, client: httpx.Client
) -> None:
    created = client.post("/api/payments", json=payout(), headers=auth(token)).json()
    control.add_fault(method="GET", path="/api/payments/*", fault="huge_body", field="failureReason", bytes=3_000_000)
    response = client.get(f"/api/payments/{created['id']}", headers=auth(token))
    assert response.status_code == 200
    assert len(response.content) > 3_000_000
    body = response.json()
    assert body["id"] == created["id"]
    assert body["failureReason"] == "x" * 3_000_000
