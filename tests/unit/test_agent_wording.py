"""Every message the agent takes from the desk's shared provider wording is in the agent's words: none sends the
operator to "Settings" (audit F7)."""

from __future__ import annotations

import inspect
from typing import Any

import pytest

from payout_desk.agent.wording import BAD_TOKEN, agent_check, agent_message
from payout_desk.provider import errors
from payout_desk.provider.models import ConnectionStatus
from payout_desk.provider.probe import verdict


@pytest.mark.parametrize("status", list(ConnectionStatus))
def test_every_connection_check_verdict_is_in_the_agents_words(status: ConnectionStatus) -> None:
    desk = verdict(status, "detail", "test", 1.0)
    said = agent_check(desk).user_message
    assert "Settings" not in said
    assert said  # never empty
    assert agent_check(desk).status is status


ERRORS = [
    cls
    for _name, cls in inspect.getmembers(errors, inspect.isclass)
    if issubclass(cls, errors.ProviderError) and cls.__module__ == errors.__name__
]


@pytest.mark.parametrize("cls", ERRORS, ids=lambda cls: cls.__name__)
def test_every_provider_error_is_in_the_agents_words(cls: type[errors.ProviderError]) -> None:
    takes = inspect.signature(cls.__init__).parameters
    said: dict[str, Any] = {"provider_message": "said by the provider"} if "provider_message" in takes else {}
    error = cls("detail", status=400, **said)
    assert "Settings" not in agent_message(error)


def test_a_bad_token_names_where_the_agent_reads_it() -> None:
    said = agent_message(errors.UnauthorizedError("HTTP 401", status=401))
    assert said == BAD_TOKEN
    assert "PAYOUT_DESK_PROVIDER_TOKEN or --token-file" in said
    desk_words = verdict(ConnectionStatus.BAD_TOKEN, "", None, 0.0).user_message
    assert "Settings" in desk_words  # the desk keeps its own words
