"""``payout-desk-agent --self-test``: checks what the agent needs, sends nothing, and exits (0: all held).

1. the team database: connection and schema version (``FencedPgJournal.open``);
2. the login is a Payout Desk agent;
3. ``--provider-url`` is the team's provider (``team_settings``);
4. the provider answers with the token: ``PayoutsClient.check_connection`` — a GET of a payment id that does not
   exist (401: bad token) and a POST of a payout body with no amount (403: no payout permission; 422: may send);
5. with ``--listen``, the webhook address can be bound (bound and closed again at once).

It never creates a payout, on any provider — a sandbox on this computer included: the agent may only send what a
person confirmed in the team journal, and the self-test confirms nothing.
"""

from __future__ import annotations

import logging

from payout_desk.agent.config import AgentConfig, HostPort
from payout_desk.agent.startup import AgentRefusedError, open_agent
from payout_desk.agent.webhooks import ListenError, bind_listen
from payout_desk.provider.models import ConnectionStatus

__all__ = ["run_self_test"]

log = logging.getLogger("payout_desk.agent.selftest")


def _cannot_listen(listen: HostPort) -> str | None:
    """Why the webhook address cannot be bound, in plain words; None when it can (it is closed again at once)."""
    try:
        bind_listen(listen).close()
    except ListenError as exc:
        return str(exc)
    return None


async def run_self_test(config: AgentConfig, token: str) -> int:
    """Run the checks, each logged as it passes; 0 when all held, 1 at the first that did not."""
    log.info("self-test [1-3/4] database, schema version, agent role and the team's provider")
    try:
        context = await open_agent(config, token)
    except AgentRefusedError as exc:
        log.error("self-test FAILED: %s", exc)
        return 1
    try:
        log.info("self-test ok: database, schema, role (login %s) and provider identity", context.login)
        log.info("self-test [4/4] the provider with the token (nothing is created)")
        check = await context.client.check_connection()
        if check.status is not ConnectionStatus.OK:
            log.error("self-test FAILED: %s (%s)", check.user_message, check.detail)
            return 1
        log.info("self-test ok: %s (%s, token kind %s)", check.user_message, check.detail, check.token_kind)
        if config.listen is not None:
            problem = _cannot_listen(config.listen)
            if problem is not None:
                log.error("self-test FAILED: %s", problem)
                return 1
            log.info("self-test ok: --listen %s can be bound (nothing is served by the self-test)", config.listen)
        log.info("self-test PASSED: this agent can send the team's payouts to %s", context.identity.endpoint)
        return 0
    finally:
        await context.client.aclose()
        await context.journal.close()
