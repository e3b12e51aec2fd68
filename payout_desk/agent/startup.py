"""The agent's start: the team database (the desk's sslmode rule first), the login's role, the provider identity,
then the provider client.
Each check that does not hold is an ``AgentRefusedError`` in plain words, and nothing is claimed or sent."""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import uuid
from typing import Final

import psycopg

from payout_desk.agent.config import AgentConfig
from payout_desk.agent.runner import AgentContext
from payout_desk.agent.wording import AgentPayoutsClient
from payout_desk.journal.models import JournalError
from payout_desk.journal.postgres.fenced import FencedPgJournal
from payout_desk.journal.postgres.store import connect
from payout_desk.logging_setup import redact
from payout_desk.provider.errors import InsecureBaseUrlError
from payout_desk.services.team import ProviderMismatchError, check_team_provider
from payout_desk.services.team_connection import check_team_connection

__all__ = ["AGENT_GROUP", "AgentRefusedError", "check_agent_database", "open_agent"]

log = logging.getLogger("payout_desk.agent")
AGENT_GROUP = "payout_desk_agent"


class AgentRefusedError(Exception):
    """The agent will not run as configured; the message says why and what to do (never the token)."""


def check_agent_database(conninfo: str) -> None:
    """The desk's rule for the agent's ``--db`` (it holds the token and sends what the database hands it):
    sslmode=verify-full unless the database is on this computer. AgentRefusedError before anything is dialled."""
    try:
        check_team_connection(conninfo)
    except ValueError as exc:
        raise AgentRefusedError(
            f"--db: {exc}. Nothing was dialled: this agent holds the provider token and sends what the team database "
            "hands it, so it reaches a database on another computer only with sslmode=verify-full (and the server's "
            "CA certificate as sslrootcert)."
        ) from None


#: The login's own attributes and the app roles it really holds (membership, recursively: not the superuser's
#: everything-goes answer of pg_has_role).
_LOGIN_POWERS: Final = """
WITH RECURSIVE held(oid) AS (
    SELECT m.roleid FROM pg_catalog.pg_auth_members m WHERE m.member = (
        SELECT oid FROM pg_catalog.pg_roles WHERE rolname = session_user)
    UNION
    SELECT m.roleid FROM pg_catalog.pg_auth_members m JOIN held h ON m.member = h.oid)
SELECT r.rolsuper, r.rolcreaterole, r.rolbypassrls,
       coalesce((SELECT array_agg(g.rolname::text ORDER BY g.rolname) FROM held h
                   JOIN pg_catalog.pg_roles g ON g.oid = h.oid WHERE g.rolname LIKE 'payout\\_desk\\_%'), '{}')
  FROM pg_catalog.pg_roles r WHERE r.rolname = session_user
"""


def _login_powers(conninfo: str) -> tuple[list[str], list[str]]:
    """What the login may do beyond an app role (superuser, createrole, bypassrls), and the app roles it holds."""
    try:
        with connect(conninfo) as conn:
            row = conn.execute(_LOGIN_POWERS).fetchone()
    except (JournalError, psycopg.Error) as exc:
        raise AgentRefusedError(f"Reading the login's roles failed: {str(exc).strip().splitlines()[0]}") from None
    if row is None:
        return [], []
    superuser, createrole, bypassrls, held = row
    flags = [("superuser", superuser), ("createrole (it can create and grant roles)", createrole),
             ("bypassrls (it reads and writes past row-level security)", bypassrls)]  # fmt: skip
    return [word for word, flag in flags if flag], [str(role) for role in held]


def _instance() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


async def open_agent(config: AgentConfig, token: str) -> AgentContext:
    """Open the journal and check the schema, the login's role and the provider identity; build the client.
    AgentRefusedError (everything closed again) when one of them does not hold."""
    check_agent_database(config.conninfo)
    try:
        journal = await FencedPgJournal.open(config.conninfo)
    except JournalError as exc:
        raise AgentRefusedError(str(exc)) from None
    try:
        login, groups = await journal.roles()
        log.info("database %s, as login %s", await journal.database(), login)
        powers, held = await asyncio.to_thread(_login_powers, config.conninfo)
        if powers:
            raise AgentRefusedError(
                f"The login {login} is {' and '.join(powers)}: an agent's login must be a Payout Desk agent and "
                "nothing more (it holds the provider token and sends what the database hands it). Ask the database "
                "administrator for a login with the agent role alone: payout-desk-admin --db … add-person LOGIN "
                "--role agent."
            )
        if AGENT_GROUP not in groups:
            raise AgentRefusedError(
                f"The login {login} is not a Payout Desk agent (it holds {', '.join(groups) or 'no app role'}). "
                f"Ask the database administrator: payout-desk-admin --db … add-person {login} --role agent."
            )
        extra = [role for role in held if role != AGENT_GROUP]
        if extra:
            raise AgentRefusedError(
                f"The login {login} holds {', '.join(extra)} as well as {AGENT_GROUP}: an agent's login must hold "
                "the agent role alone (whoever runs the agent holds the provider token, so that login must not "
                "also prepare, approve or administer payouts). Give the agent a login of its own: payout-desk-admin "
                "--db … add-person LOGIN --role agent."
            )
        identity = check_team_provider(config.provider_url, await journal.provider_base_url())
        client = AgentPayoutsClient(identity.endpoint, token)  # the agent's words, not the desk's Settings
    except ProviderMismatchError as exc:
        await journal.close()
        raise AgentRefusedError(str(exc)) from None
    except (InsecureBaseUrlError, ValueError) as exc:  # the token's characters: the message never echoes it
        await journal.close()
        raise AgentRefusedError(redact(str(exc))) from None
    except BaseException:
        await journal.close()
        raise
    log.info("provider %s (%s), the team's provider", identity.endpoint, identity.environment)
    return AgentContext(config, journal, client, identity, login, _instance())
