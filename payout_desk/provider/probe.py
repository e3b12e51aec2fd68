"""The connection test behind :meth:`PayoutsClient.check_connection`.

Two requests, one attempt each, and never a payout:

1. ``GET /api/payments/pay_connection_check_<random>`` — 401 means the token is wrong; 404 (or,
   improbably, 200) means the provider knows the token.
2. ``POST /api/payments`` with ``{"type":"payout"}`` and no amount — the provider checks
   401 → 403 → 422 in that order, so 403 means the token may not create payouts and 422 (the
   missing amount) means it may. The body lacks a required field, so nothing is created.

A transport failure becomes "unreachable", or "TLS" when certificate/handshake errors caused it.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from typing import TYPE_CHECKING, Protocol

from payout_desk.provider.models import ConnectionCheck, ConnectionStatus

if TYPE_CHECKING:
    import httpx

__all__ = ["PROBE_BODY", "ProbingClient", "run_connection_check"]

log = logging.getLogger("payout_desk.provider")

#: Deliberately invalid (no amount): it reaches the permission check but can never create.
PROBE_BODY = b'{"type":"payout"}'

_MESSAGES = {
    ConnectionStatus.OK: "Connected. The API token is valid and may send payouts.",
    ConnectionStatus.BAD_TOKEN: ("The provider did not recognise the API token. Check the token in Settings."),
    ConnectionStatus.NO_PAYOUT_PERMISSION: (
        "The API token is valid but is not allowed to send payouts. Create a token with the "
        "“Payout” box ticked in the Merchant Dashboard."
    ),
    ConnectionStatus.UNREACHABLE: (
        "The provider could not be reached. Check the address in Settings and the network or proxy connection."
    ),
    ConnectionStatus.TLS_ERROR: (
        "A secure connection to the provider could not be established (certificate problem). "
        "Check the address, or ask IT whether a network proxy intercepts HTTPS."
    ),
    ConnectionStatus.PROVIDER_ERROR: ("The provider answered, but not as expected. Try again in a few minutes."),
    ConnectionStatus.INSECURE_URL: (
        "The provider address must start with https:// (plain http is only allowed for a sandbox on this computer)."
    ),
}


class ProbingClient(Protocol):
    """What the check needs from :class:`~payout_desk.provider.client.PayoutsClient` (which calls it):
    its address, its token's kind, and one attempt without retries."""

    @property
    def base_url(self) -> str: ...

    @property
    def token_kind(self) -> str | None: ...

    async def probe(
        self,
        method: str,
        path: str,
        content: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[httpx.Response | None, BaseException | None, bool]: ...


def verdict(status: ConnectionStatus, detail: str, token_kind: str | None, duration_ms: float) -> ConnectionCheck:
    """A :class:`ConnectionCheck` with the standard message for ``status``."""
    return ConnectionCheck(
        status=status,
        user_message=_MESSAGES[status],
        detail=detail,
        token_kind=token_kind,
        duration_ms=round(duration_ms, 1),
    )


async def run_connection_check(client: ProbingClient) -> ConnectionCheck:
    """Run the two probes with ``client`` and return the verdict (never raises for faults)."""
    loop = asyncio.get_running_loop()
    started = loop.time()
    kind = client.token_kind

    def done(status: ConnectionStatus, detail: str) -> ConnectionCheck:
        log.info(
            "connection check %s: %s -> %s (%s)",
            client.base_url,
            status.value,
            detail,
            kind or "unrecognised token kind",
        )
        return verdict(status, detail, kind, (loop.time() - started) * 1000.0)

    probe_id = f"pay_connection_check_{uuid.uuid4().hex}"
    response, error, tls = await client.probe("GET", f"/api/payments/{probe_id}")
    if response is None:
        status = ConnectionStatus.TLS_ERROR if tls else ConnectionStatus.UNREACHABLE
        return done(status, f"GET: {error}")
    if response.status_code == 401:
        return done(ConnectionStatus.BAD_TOKEN, "GET: HTTP 401")
    if response.status_code not in (404, 200):
        return done(ConnectionStatus.PROVIDER_ERROR, f"GET: unexpected HTTP {response.status_code}")

    headers = {"Content-Type": "application/json", "Idempotency-Key": str(uuid.uuid4())}
    response, error, tls = await client.probe("POST", "/api/payments", PROBE_BODY, headers)
    if response is None:
        status = ConnectionStatus.TLS_ERROR if tls else ConnectionStatus.UNREACHABLE
        return done(status, f"POST: {error}")
    code = response.status_code
    if code == 401:
        return done(ConnectionStatus.BAD_TOKEN, "POST: HTTP 401")
    if code == 403:
        return done(ConnectionStatus.NO_PAYOUT_PERMISSION, "POST: HTTP 403")
    if code == 422:
        return done(ConnectionStatus.OK, "POST: HTTP 422 for the amount-less probe, as expected")
    if 200 <= code < 300:
        log.error(
            "connection check: the provider accepted a payout body with no amount "
            "(HTTP %s); check the provider account for a stray payout",
            code,
        )
        return done(ConnectionStatus.OK, f"POST: HTTP {code} (unexpected acceptance)")
    return done(ConnectionStatus.PROVIDER_ERROR, f"POST: unexpected HTTP {code}")
