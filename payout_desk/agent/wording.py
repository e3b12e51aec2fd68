"""The agent's words where the desk's shared wording sends a person to Settings, which the agent has none of.

The provider client's messages (``provider.errors`` ``user_message``, ``provider.probe``'s connection check) are
written for the desk: "Check the token in Settings". The agent reads its token from ``PAYOUT_DESK_PROVIDER_TOKEN``
or ``--token-file`` and its provider from ``--provider-url``, so :class:`AgentPayoutsClient` (the client the agent
builds) says that instead — in its self-test, its log, and the ``last_error`` it journals for the team's desks.
Chosen by the error's class or the check's status, never by rewriting text.
"""

from __future__ import annotations

import dataclasses
from typing import Final

import httpx

from payout_desk.provider.client import PayoutsClient
from payout_desk.provider.errors import (
    InsecureBaseUrlError,
    PayoutsNotEnabledError,
    ProviderError,
    UnauthorizedError,
)
from payout_desk.provider.models import ConnectionCheck, ConnectionStatus, Payment

__all__ = ["AgentPayoutsClient", "agent_check", "agent_message"]

_WHERE_FROM: Final = "PAYOUT_DESK_PROVIDER_TOKEN or --token-file"
BAD_TOKEN: Final = f"The provider did not recognise the agent's API token. Check {_WHERE_FROM}."
NO_PAYOUT_PERMISSION: Final = (
    "The agent's API token is valid but is not allowed to send payouts. Create a token with the “Payout” box "
    f"ticked in the Merchant Dashboard and give it to the agent ({_WHERE_FROM})."
)
INSECURE_URL: Final = (
    "--provider-url must start with https:// (plain http is only allowed for a sandbox on this computer)."
)
_BY_STATUS: Final = {
    ConnectionStatus.BAD_TOKEN: BAD_TOKEN,
    ConnectionStatus.NO_PAYOUT_PERMISSION: NO_PAYOUT_PERMISSION,
    ConnectionStatus.INSECURE_URL: INSECURE_URL,
    ConnectionStatus.UNREACHABLE: (
        "The provider could not be reached. Check --provider-url and this computer's network or proxy connection."
    ),
    ConnectionStatus.TLS_ERROR: (
        "A secure connection to the provider could not be established (certificate problem). Check "
        "--provider-url, or ask IT whether a network proxy intercepts HTTPS."
    ),
}
_BY_ERROR: Final[tuple[tuple[type[ProviderError], str], ...]] = (
    (UnauthorizedError, BAD_TOKEN),
    (PayoutsNotEnabledError, NO_PAYOUT_PERMISSION),
    (InsecureBaseUrlError, INSECURE_URL),
)


def agent_message(error: ProviderError) -> str:
    """``error``'s message for the agent's operator (its own when it sends no one to Settings)."""
    for kind, words in _BY_ERROR:
        if isinstance(error, kind):
            return words
    return error.user_message


def agent_check(check: ConnectionCheck) -> ConnectionCheck:
    """``check`` with the agent's words for its verdict."""
    return dataclasses.replace(check, user_message=_BY_STATUS.get(check.status, check.user_message))


class AgentPayoutsClient(PayoutsClient):
    """The desk's provider client with the agent's words in its errors and its connection check."""

    def _classify(self, response: httpx.Response) -> Payment | ProviderError:
        result = super()._classify(response)
        if isinstance(result, ProviderError):
            result.user_message = agent_message(result)
        return result

    async def check_connection(self) -> ConnectionCheck:
        return agent_check(await super().check_connection())
