"""The base-URL policy: HTTPS everywhere, plain HTTP only for a sandbox on this computer.

Loopback means the host is ``localhost`` (or a name under ``.localhost``), an IPv4 address in
127.0.0.0/8, or ``::1``. No DNS lookup is made: a name that merely resolves to 127.0.0.1 is not
loopback for this policy, so a poisoned resolver cannot downgrade the connection.
"""

from __future__ import annotations

import ipaddress
from typing import Final
from urllib.parse import SplitResult, urlsplit

from payout_desk.provider.errors import InsecureBaseUrlError

__all__ = ["CHECKIN_RETURN_URL", "is_loopback_host", "normalize_base_url", "url_host"]

#: The ``redirectUrl`` we send: where the provider sends the browser after checkin. ``.invalid``
#: (RFC 2606) never resolves; the checkin view catches the navigation before any traffic.
CHECKIN_RETURN_URL: Final = "https://checkin-return.payout-desk.invalid/done"


def is_loopback_host(host: str) -> bool:
    """True for ``localhost``, ``*.localhost``, 127.0.0.0/8 and ``::1`` (brackets allowed)."""
    host = host.strip().lower().rstrip(".")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _split(base_url: str) -> SplitResult:
    text = base_url.strip()
    try:
        parts = urlsplit(text)
        _ = parts.port  # raises ValueError on a bad port
    except ValueError as exc:
        raise InsecureBaseUrlError(f"not a usable URL: {exc}") from None
    return parts


def url_host(base_url: str) -> str:
    """The host of ``base_url`` (lower case, IPv6 without brackets); "" if it has none."""
    return (_split(base_url).hostname or "").lower()


def normalize_base_url(base_url: str) -> str:
    """``base_url`` checked against the policy and normalised (no trailing slash).

    Raises :class:`InsecureBaseUrlError` for a non-HTTPS URL whose host is not loopback, a URL
    with no host, with credentials (``user:pass@``), a query or a fragment, or a bad port.
    A path prefix (``https://gw.example.com/provider``) is kept.
    """
    parts = _split(base_url)
    scheme = parts.scheme.lower()
    host = parts.hostname or ""
    if scheme not in ("https", "http") or not host:
        raise InsecureBaseUrlError("the base URL must be an absolute http(s) URL with a host")
    if parts.username is not None or parts.password is not None:
        raise InsecureBaseUrlError(
            "the base URL must not contain a user name or password",
            user_message="The provider address must not contain a user name or password.",
        )
    if parts.query or parts.fragment:
        raise InsecureBaseUrlError("the base URL must not have a query or fragment")
    if scheme == "http" and not is_loopback_host(host):
        raise InsecureBaseUrlError(f"plain http is only allowed for loopback, not {host!r}")
    netloc = parts.netloc.lower()
    path = parts.path.rstrip("/")
    return f"{scheme}://{netloc}{path}"
