"""The settings dialog's "Test connection": one profile, one token, a verdict a person can act on.

It builds a short-lived client (same TLS trust store and proxy rules as the real one), runs
:meth:`PayoutsClient.check_connection` — which never creates a payout — and closes it. It never
raises for a network or provider fault, an insecure URL or an unusable token: the
:class:`ConnectionCheck` says what is wrong.
"""

from __future__ import annotations

import logging

import httpx

from payout_desk.provider.client import PayoutsClient, Timeouts
from payout_desk.provider.errors import InsecureBaseUrlError
from payout_desk.provider.models import ConnectionCheck, ConnectionStatus, token_kind
from payout_desk.provider.probe import verdict
from payout_desk.services.availability import NOT_CONNECTED_ACTIONS, NotConnected
from payout_desk.services.settings import Profile

__all__ = ["NOT_CONNECTED_ACTIONS", "NotConnected", "run_connection_test"]

log = logging.getLogger("payout_desk.services.connection")

_QUICK = Timeouts(connect=5.0, read=10.0, deadline=15.0)


async def run_connection_test(
    profile: Profile,
    token: str,
    *,
    timeouts: Timeouts = _QUICK,
    transport: httpx.AsyncBaseTransport | None = None,
) -> ConnectionCheck:
    """Check ``token`` against ``profile``'s provider: ok, bad token, no payout permission,
    unreachable, TLS failure, insecure URL or an unexpected answer."""
    kind = token_kind(token)
    if not profile.base_url:
        return verdict(ConnectionStatus.INSECURE_URL, "the profile has no address", kind, 0.0)
    try:
        client = PayoutsClient(profile.base_url, token, timeouts=timeouts, transport=transport)
    except InsecureBaseUrlError as exc:
        return verdict(ConnectionStatus.INSECURE_URL, exc.detail, kind, 0.0)
    except ValueError as exc:  # an unusable token (never echoed)
        return ConnectionCheck(
            status=ConnectionStatus.BAD_TOKEN,
            user_message="The API token is empty or contains characters a token cannot have. Paste it again.",
            detail=str(exc),
            token_kind=kind,
        )
    async with client:
        result = await client.check_connection()
    log.info("test connection for profile %r: %s", profile.name, result.status.value)
    return result
