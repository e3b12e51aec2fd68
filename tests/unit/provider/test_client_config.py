"""How the client is built: URL policy, token hygiene, OS trust store, proxies from the environment.

No request is sent here: these inspect the client object (its mounts, its TLS context)."""

from __future__ import annotations

import httpcore
import httpx
import pytest
import truststore

from payout_desk.provider.client import PayoutsClient
from payout_desk.provider.errors import InsecureBaseUrlError
from payout_desk.provider.wire import validate_idempotency_key

TOKEN = "tk_test_Unit0Secret0Token0123456789"
PROXY_VARS = (
    "HTTPS_PROXY",
    "https_proxy",
    "HTTP_PROXY",
    "http_proxy",
    "ALL_PROXY",
    "all_proxy",
    "NO_PROXY",
    "no_proxy",
)


@pytest.fixture(autouse=True)
def no_proxy_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in PROXY_VARS:
        monkeypatch.delenv(name, raising=False)


def _pool(transport: httpx.AsyncBaseTransport) -> object:
    assert isinstance(transport, httpx.AsyncHTTPTransport)
    return transport._pool


async def test_https_proxy_from_environment_is_mounted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.corp.example:3128")
    async with PayoutsClient("https://api.provider.example", TOKEN) as client:
        patterns = {pattern.pattern for pattern in client.http._mounts}
        assert "https://" in patterns
        transport = client.http._transport_for_url(httpx.URL("https://api.provider.example/api/payments"))
        pool = _pool(transport)
        assert isinstance(pool, httpcore.AsyncHTTPProxy)
        assert pool._proxy_url.host == b"proxy.corp.example"
        assert pool._proxy_url.port == 3128
        # the proxied connection still verifies against the OS trust store
        assert isinstance(pool._ssl_context, truststore.SSLContext)


async def test_no_proxy_is_honoured(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.corp.example:3128")
    monkeypatch.setenv("NO_PROXY", "api.provider.example")
    async with PayoutsClient("https://api.provider.example", TOKEN) as client:
        transport = client.http._transport_for_url(httpx.URL("https://api.provider.example/api/payments"))
        assert not isinstance(_pool(transport), httpcore.AsyncHTTPProxy)


@pytest.mark.parametrize("base_url", ["http://127.0.0.1:8765", "http://localhost:8765", "http://[::1]:8765"])
async def test_loopback_sandbox_bypasses_the_proxy(monkeypatch: pytest.MonkeyPatch, base_url: str) -> None:
    monkeypatch.setenv("HTTP_PROXY", "http://proxy.corp.example:3128")
    monkeypatch.setenv("ALL_PROXY", "http://proxy.corp.example:3128")
    async with PayoutsClient(base_url, TOKEN) as client:
        transport = client.http._transport_for_url(httpx.URL(base_url + "/api/payments"))
        assert transport is client.http._transport
        assert not isinstance(_pool(transport), httpcore.AsyncHTTPProxy)
        # ...while other hosts would still use it
        other = client.http._transport_for_url(httpx.URL("http://elsewhere.example/"))
        assert isinstance(_pool(other), httpcore.AsyncHTTPProxy)


async def test_direct_https_uses_the_os_trust_store() -> None:
    async with PayoutsClient("https://api.provider.example", TOKEN) as client:
        pool = _pool(client.http._transport)
        assert isinstance(pool._ssl_context, truststore.SSLContext)  # type: ignore[attr-defined]


async def test_token_never_in_repr_or_errors() -> None:
    async with PayoutsClient("https://api.provider.example", TOKEN) as client:
        assert TOKEN not in repr(client)
        assert "test token" in repr(client)
        assert TOKEN not in repr(client.http.headers)
        assert client.token_kind == "test"
        assert client.scrub(f"echo {TOKEN} back") == "echo [REDACTED] back"


@pytest.mark.parametrize("token", ["", "tk_test_has space", "tk_test_new\nline", "tk_test_ünïcode"])
def test_unusable_token_is_refused_without_echo(token: str) -> None:
    with pytest.raises(ValueError) as info:
        PayoutsClient("https://api.provider.example", token)
    assert token.strip() == "" or token not in str(info.value)
    assert "tk_test" not in str(info.value)


def test_insecure_base_url_is_refused() -> None:
    with pytest.raises(InsecureBaseUrlError):
        PayoutsClient("http://api.provider.example", TOKEN)


def test_idempotency_key_must_be_a_bare_uuid4() -> None:
    key = "3e3f3796-4c3a-41e2-a90a-2c0f3e20b0a1"
    assert validate_idempotency_key(key) == key
    for bad in [
        "",
        "not-a-uuid",
        key.upper(),
        "{" + key + "}",
        key.replace("-", ""),
        "3e3f3796-4c3a-11e2-a90a-2c0f3e20b0a1",
    ]:  # version 1
        with pytest.raises(ValueError):
            validate_idempotency_key(bad)
