"""The base-URL policy: https, or plain http on loopback only."""

from __future__ import annotations

import pytest

from payout_desk.provider.errors import InsecureBaseUrlError
from payout_desk.provider.urls import is_loopback_host, normalize_base_url


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://api.example.com", "https://api.example.com"),
        ("https://api.example.com/", "https://api.example.com"),
        ("HTTPS://API.Example.com:8443/gw/", "https://api.example.com:8443/gw"),
        ("http://127.0.0.1:8765", "http://127.0.0.1:8765"),
        ("http://127.9.8.7", "http://127.9.8.7"),
        ("http://localhost:8765/", "http://localhost:8765"),
        ("http://sandbox.localhost", "http://sandbox.localhost"),
        ("http://[::1]:8765", "http://[::1]:8765"),
        ("  https://example.com  ", "https://example.com"),
    ],
)
def test_accepted(url: str, expected: str) -> None:
    assert normalize_base_url(url) == expected


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com",
        "http://10.0.0.5:8765",
        "http://192.168.1.1",
        "http://127.0.0.1.evil.example",
        "http://localhost.evil.example",
        "http://[::2]",
        "http://0.0.0.0:8765",
        "ftp://127.0.0.1",
        "127.0.0.1:8765",
        "https://",
        "https://user:secret@example.com",
        "https://example.com/?x=1",
        "https://example.com/#frag",
        "https://example.com:99999",
        "",
    ],
)
def test_refused(url: str) -> None:
    with pytest.raises(InsecureBaseUrlError) as info:
        normalize_base_url(url)
    assert info.value.user_message
    assert "secret" not in str(info.value)
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.255.255.254", True),
        ("::1", True),
        ("[::1]", True),
        ("LOCALHOST", True),
        ("localhost.", True),
        ("128.0.0.1", False),
        ("example.com", False),
        ("", False),
    ],
)
def test_is_loopback_host(host: str, loopback: bool) -> None:
    assert is_loopback_host(host) is loopback
