"""Team mode's provider connection: one provider per team, set by an administrator in the team database
(``team_settings.provider_base_url``) and held by the agents alone (no desk holds a token).

Every payout of a team is confirmed for :func:`team_identity` of that URL, and an agent sends only the payouts
of the identity its own ``--provider-url`` gives, after checking that URL is the team's (:func:`same_provider`).
The URL is compared normalised (``provider.urls.normalize_base_url``: scheme and host lower case, no trailing
slash), so ``https://API.example.com/`` and ``https://api.example.com`` are one provider.
"""

from __future__ import annotations

from typing import Final

from payout_desk.domain.identity import ConnectionIdentity
from payout_desk.provider.errors import InsecureBaseUrlError
from payout_desk.provider.urls import is_loopback_host, normalize_base_url, url_host

__all__ = ["TEAM_ACCOUNT", "TEAM_PROFILE", "ProviderMismatchError", "check_team_provider", "team_identity"]

#: The profile and account parts of every team payout's connection identity.
TEAM_PROFILE: Final = "Team"
TEAM_ACCOUNT: Final = "team"


class ProviderMismatchError(ValueError):
    """The agent's provider is not the team's (or the team has none yet); the message says which."""


def team_identity(base_url: str) -> ConnectionIdentity:
    """The connection identity of a team whose provider is ``base_url`` (InsecureBaseUrlError if unusable).
    A provider on this computer (loopback) is a sandbox; any other is treated as live."""
    endpoint = normalize_base_url(base_url)
    environment = "sandbox" if is_loopback_host(url_host(endpoint)) else "live"
    return ConnectionIdentity(environment, TEAM_PROFILE, endpoint, TEAM_ACCOUNT)


def check_team_provider(own_url: str, team_url: str | None) -> ConnectionIdentity:
    """The team identity when ``own_url`` is the team's provider ``team_url``; ProviderMismatchError otherwise."""
    try:
        own = normalize_base_url(own_url)
    except InsecureBaseUrlError as exc:
        raise ProviderMismatchError(f"--provider-url {own_url}: {exc.detail}") from None
    if team_url is None:
        raise ProviderMismatchError(
            "The team database names no provider yet, so nothing is sent. An administrator sets it first "
            "(SELECT payout_desk.set_provider_base_url('https://…'))."
        )
    try:
        team = normalize_base_url(team_url)
    except InsecureBaseUrlError as exc:
        raise ProviderMismatchError(f"The team's provider {team_url} is not usable: {exc.detail}") from None
    if own != team:
        raise ProviderMismatchError(
            f"--provider-url {own} is not the team's provider {team}. Nothing was claimed or sent: start the agent "
            "with the team's provider URL, or ask an administrator to change the team's provider."
        )
    return team_identity(team)
