"""An administrator changes the team's provider while an agent runs (audit F20): two sandboxes, each in its own
process, the real team database, and the real agent. Nothing goes to the former provider, nothing of it to the new
one; the agent stops (exit 1) with one line; ``set-provider`` names the payouts left bound to the former one."""

from __future__ import annotations

import asyncio
import io
from collections.abc import Awaitable, Callable

import psycopg
import pytest

from payout_desk import admin
from payout_desk.agent.config import AgentConfig
from payout_desk.agent.sender import ProviderChangedError, Sender
from payout_desk.agent.startup import open_agent
from payout_desk.domain.approvals import body_hash
from payout_desk.journal.postgres import approvals
from payout_desk.journal.postgres.leases import Lease
from payout_desk.sandbox.client import SandboxControl
from tests.integration.agent.conftest import AGENT_LOGIN, Rig, start_sandbox
from tests.integration.agent.ops_helpers import events
from tests.integration.postgres import approvals_setup
from tests.integration.postgres.team_setup import confirm, set_provider


def _set_provider(rig: Rig, url: str) -> str:
    out = io.StringIO()
    status = admin.main(["--db", rig.team_db.as_person("ada_admin", "admin"), "set-provider", url], out=out)
    assert status == 0
    return out.getvalue()


def test_a_running_agent_sends_nothing_after_the_provider_changed_and_stops(rig: Rig) -> None:
    _, new_url, _ = start_sandbox(rig.started)
    approvals_setup.rule(rig.team_db, "*", "0", 1)
    rig.team_db.as_person("bob", "approver")
    waiting, body = approvals_setup.confirm(rig.team_db, rig.identity, "250.00")
    agent = rig.agent(token=rig.token)
    agent.output.expect(r"running: sender")

    said = _set_provider(rig, new_url)
    assert f"provider: {new_url} (agents refuse to send anywhere else" in said
    assert f"warning: 1 payout still bound to a former provider will never be sent to {new_url}" in said
    assert f"  #{waiting} awaiting approval, 250.00 EUR, prepared by pia, bound to {rig.base_url}\n" in said
    with approvals_setup.person(rig.team_db, "bob") as conn:
        assert approvals.approve(conn, waiting, body_hash(body)) == "confirmed"  # approved after the switch

    assert agent.popen.wait(timeout=60) == 1
    text = agent.output.text()
    assert f"agent: the team's provider is now {new_url}, not this agent's {rig.base_url}" in text
    assert "Traceback" not in text
    assert "claimed" not in text
    assert rig.control.payments() == []  # nothing to the former provider
    assert SandboxControl(new_url).payments() == []  # nor to the new one
    assert approvals_setup.row(rig.team_db, waiting, "status, lease_holder") == ("confirmed", None)
    assert [kind for kind, _ in events(rig.team_db.admin, waiting)] == ["confirmed", "approval_granted"]


def test_set_provider_says_nothing_when_no_payout_is_left_behind(rig: Rig) -> None:
    said = _set_provider(rig, rig.base_url + "/")  # the same provider
    assert said == f"provider: {rig.base_url} (agents refuse to send anywhere else; an agent still running " \
        "with another provider claims nothing more and stops)\n"  # fmt: skip


async def test_a_payout_claimed_just_before_the_switch_is_released_unsent(rig: Rig) -> None:
    (local_id,) = confirm(rig.team_db, rig.identity, 1)
    config = AgentConfig(rig.team_db.as_person(AGENT_LOGIN, "agent"), rig.base_url, sweep_seconds=0.2)
    context = await open_agent(config, rig.token)
    claim: Callable[[str, str, float], Awaitable[Lease | None]] = context.journal.claim

    async def claim_then_switch(connection_id: str, instance: str, lease_seconds: float) -> Lease | None:
        lease = await claim(connection_id, instance, lease_seconds)
        await asyncio.to_thread(set_provider, rig.team_db, "https://elsewhere.example")  # between claim and send
        return lease

    context.journal.claim = claim_then_switch  # type: ignore[method-assign]
    try:
        with pytest.raises(ProviderChangedError, match=r"is now https://elsewhere\.example"):
            await Sender(context).run(asyncio.Event())
    finally:
        await context.client.aclose()
        await context.journal.close()
    assert rig.control.payments() == []
    with psycopg.connect(rig.team_db.admin) as conn:
        row = conn.execute(
            "SELECT status, lease_holder, lease_generation FROM payout_desk.payouts WHERE local_id = %s", (local_id,)
        ).fetchone()
    assert row == ("confirmed", None, 1)  # claimed once, released unsent
    assert [kind for kind, _ in events(rig.team_db.admin, local_id)] == ["confirmed"]
