"""The control surface (SPEC "Sandbox-only surface"): tokens, the payments listing, loopback only,
and the server binding to 127.0.0.1 by default."""

from __future__ import annotations

import socket
from collections.abc import Callable

import httpx
import pytest

from payout_desk.sandbox.app import create_app
from payout_desk.sandbox.client import AsyncSandboxControl, SandboxControl
from payout_desk.sandbox.embedded import EmbeddedSandbox
from tests.integration.sandbox.helpers import assert_error, auth, payout


def test_tokens_are_minted_with_or_without_the_payout_permission(sandbox_server: EmbeddedSandbox) -> None:
    with_payouts = httpx.post(f"{sandbox_server.base_url}/_sandbox/tokens", json={"payouts": True})
    without = httpx.post(f"{sandbox_server.base_url}/_sandbox/tokens", json={"payouts": False})
    assert with_payouts.json()["token"].startswith("tk_test_")
    assert with_payouts.json()["payouts"] is True
    assert without.json()["payouts"] is False
    assert with_payouts.json()["token"] != without.json()["token"]
    assert with_payouts.json()["merchantId"] != without.json()["merchantId"]


def test_listing_shows_what_the_api_does_not_echo(api_client: httpx.Client, sandbox_control: SandboxControl) -> None:
    key = "a3e3f379-4c3a-41e2-a90a-2c0f3e20b0a1"
    body = payout(customer={"id": "c-1", "name": "User"}, redirectUrl="https://m.example/r",
                  webhookUrl="https://m.example/h")  # fmt: skip
    created = api_client.post("/api/payments", json=body, headers={"Idempotency-Key": key}).json()
    held = next(p for p in sandbox_control.payments() if p["id"] == created["id"])
    assert {k: held[k] for k in created} == created
    assert held["idempotencyKey"] == key
    assert (held["customer"], held["redirectUrl"], held["webhookUrl"]) == (
        {"id": "c-1", "name": "User"}, "https://m.example/r", "https://m.example/h")  # fmt: skip


def test_the_request_log_has_every_api_request_in_order(
    api_client: httpx.Client, sandbox_control: SandboxControl
) -> None:
    """What the team's shared rate cap is checked against: the API requests as the provider saw them."""
    before = len(sandbox_control.requests())
    api_client.get("/api/payments/pay_missing")
    api_client.get("/api/payments/pay_missing_too")
    sandbox_control.payments()  # control routes are not the provider's API: not logged
    seen = sandbox_control.requests()[before:]
    assert [(r["method"], r["path"]) for r in seen] == [
        ("GET", "/api/payments/pay_missing"), ("GET", "/api/payments/pay_missing_too")
    ]
    assert seen[0]["at"] <= seen[1]["at"]


def test_complete_unknown_payment_is_404(sandbox_server: EmbeddedSandbox) -> None:
    response = httpx.post(f"{sandbox_server.base_url}/_sandbox/payments/pay_none/complete", json={"outcome": "failed"})
    assert_error(response, 404, "not_found")


async def test_async_control_client(sandbox_server: EmbeddedSandbox) -> None:
    control = AsyncSandboxControl(sandbox_server.base_url)
    token = await control.mint_token()
    async with httpx.AsyncClient(base_url=sandbox_server.base_url, trust_env=False) as client:
        created = (await client.post("/api/payments", json=payout(), headers=auth(token))).json()
    done = await control.complete(created["id"], "failed", "account_closed")
    assert (done["status"], done["failureReason"]) == ("failed", "account_closed")
    assert created["id"] in {p["id"] for p in await control.payments()}
    assert isinstance(await control.webhooks(), list)
    await control.add_fault(method="GET", path="/x", fault="delay", seconds=0)
    await control.clear_faults()
    assert await control.faults() == []


@pytest.mark.parametrize("client_host", ["203.0.113.7", "10.0.0.2", "::ffff:192.0.2.9"])
async def test_control_routes_refuse_non_loopback_clients(client_host: str) -> None:
    app = create_app()
    transport = httpx.ASGITransport(app=app, client=(client_host, 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8765") as client:
        for method, path in [("GET", "/_sandbox/payments"), ("POST", "/_sandbox/tokens"), ("GET", "/_sandbox/webhooks"),
                             ("POST", "/_sandbox/faults"), ("DELETE", "/_sandbox/faults"),
                             ("GET", "/_sandbox/requests")]:  # fmt: skip
            assert_error(await client.request(method, path, json={}), 403, "forbidden")
    loopback = httpx.ASGITransport(app=app, client=("127.0.0.1", 40000))
    async with httpx.AsyncClient(transport=loopback, base_url="http://127.0.0.1:8765") as client:
        assert (await client.get("/_sandbox/payments")).status_code == 200


def test_control_routes_refuse_foreign_host_and_origin_headers(sandbox_server: EmbeddedSandbox) -> None:
    """No DNS rebinding (Host) and no cross-site browser requests (Origin)."""
    url = f"{sandbox_server.base_url}/_sandbox/tokens"
    assert_error(httpx.post(url, json={}, headers={"Host": "evil.example"}), 403, "forbidden")
    assert_error(httpx.post(url, json={}, headers={"Origin": "https://evil.example"}), 403, "forbidden")
    assert httpx.post(url, json={}, headers={"Origin": sandbox_server.base_url}).status_code == 201


def _non_loopback_ipv4() -> str | None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))  # no packet is sent for a UDP connect
            address = str(probe.getsockname()[0])
        except OSError:
            return None
    return None if address.startswith("127.") else address


def test_control_routes_refuse_a_real_non_loopback_connection(
    sandbox_factory: Callable[..., EmbeddedSandbox],
) -> None:
    address = _non_loopback_ipv4()
    if address is None:
        pytest.skip("this machine has no non-loopback IPv4 address")
    sandbox = sandbox_factory(host="0.0.0.0")  # every interface: the point of the test
    port = sandbox.base_url.rsplit(":", 1)[1]
    with httpx.Client(trust_env=False) as client:
        # Even with a loopback Host header the client address decides.
        response = client.get(f"http://{address}:{port}/_sandbox/payments", headers={"Host": f"127.0.0.1:{port}"})
        assert_error(response, 403, "forbidden")
        assert client.get(f"http://127.0.0.1:{port}/_sandbox/payments").status_code == 200
        token = client.post(f"http://127.0.0.1:{port}/_sandbox/tokens", json={}).json()["token"]
        # The provider API itself answers any client.
        assert (
            client.post(f"http://{address}:{port}/api/payments", json=payout(), headers=auth(token)).status_code == 201
        )


def test_binds_to_127_0_0_1_by_default(sandbox: EmbeddedSandbox) -> None:
    assert sandbox.base_url.startswith("http://127.0.0.1:")


def test_embedded_sandbox_start_stop_is_idempotent() -> None:
    embedded = EmbeddedSandbox()
    url = embedded.start()
    assert embedded.start() == url == embedded.base_url
    embedded.stop()
    embedded.stop()
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{url}/openapi.json")
    with pytest.raises(RuntimeError):
        _ = embedded.base_url
