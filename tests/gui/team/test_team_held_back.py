"""A payout the team's agent held back (audit F1: its saved request disagrees with its columns) reads on the desk
in words: what happened, that nothing was sent, and who decides next (``payout-desk-admin reconcile``), in the
details pane and in the timeline. Real PostgreSQL; the disagreement is made as the schema's owner with the
request's guard triggers disabled for one statement, and the agent's hold is its own journal calls with the words
the agent writes (the provider is never called)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import psycopg
from PySide6.QtWidgets import QLabel

from payout_desk.agent.sender import record_disagreements
from payout_desk.domain.held_back import held_back_message
from payout_desk.journal.postgres.fenced import FencedPgJournal
from tests.fixtures.postgres import TeamDb
from tests.gui.team.helpers import close_desk, open_desk, shown_record
from tests.integration.postgres.approvals_setup import confirm
from tests.integration.postgres.team_setup import set_provider

PROVIDER = "http://127.0.0.1:9"  # the team's provider: never called


def _change_the_saved_request(team_db: TeamDb, local_id: int) -> None:
    """As the owner of the schema, its two guards off for this transaction only."""
    with psycopg.connect(team_db.admin) as conn:
        conn.execute("SET LOCAL ROLE payout_desk_owner")
        conn.execute("ALTER TABLE payout_desk.payouts DISABLE TRIGGER payouts_request_immutable")
        conn.execute(
            "UPDATE payout_desk.payouts SET request_body = replace(request_body::text, '\"12.00\"', '\"1200.00\"')"
            "::jsonb WHERE local_id = %s",
            (local_id,),
        )
        conn.execute("ALTER TABLE payout_desk.payouts ENABLE TRIGGER payouts_request_immutable")


async def _agent_holds_it_back(team_db: TeamDb, connection: str, local_id: int) -> str:
    agent = await FencedPgJournal.open(team_db.as_person("agent_a", "agent"))
    try:
        lease = await agent.claim(connection, "a", 30)
        assert lease is not None
        assert lease.local_id == local_id
        record = await agent.get(local_id)
        problems = record_disagreements(record)
        assert problems == ['amount: the body says "1200.00", the journal 12.00']
        message = held_back_message(problems)
        await agent.record_needs_reconciliation(local_id, message=message, actor="agent_a")
        await agent.release(lease)
        return message
    finally:
        await agent.close()


def _status(window: Any, local_id: int) -> str | None:
    record = shown_record(window, local_id)
    return None if record is None else record.status


def test_the_desk_says_what_the_agent_did_and_who_decides(qtbot: Any, team_db: TeamDb, tmp_path: Path) -> None:
    identity = set_provider(team_db, PROVIDER)
    local_id, _ = confirm(team_db, identity, "12.00")
    _change_the_saved_request(team_db, local_id)
    window = open_desk(qtbot, team_db.as_person("pia", "preparer"), tmp_path / "pia")
    try:
        held = asyncio.ensure_future(_agent_holds_it_back(team_db, identity.key, local_id))
        qtbot.waitUntil(held.done, timeout=10000)
        history = window.history
        qtbot.waitUntil(lambda: _status(window, local_id) == "needs_reconciliation", timeout=10000)
        pane = history.details
        with qtbot.waitSignal(pane.eventsLoaded, timeout=10000):
            history.select_row(history.model.row_of(local_id))
        words = (
            'The agent did not send this payout: its saved request says the amount "1200.00" where the payout says'
            " 12.00. Nothing was sent. An administrator decides: payout-desk-admin reconcile"
            f" {local_id} --not-found --reason … to have it sent again (the agent checks its saved request again"
            " first and holds it back again while it disagrees), or a preparer records the payment the provider"
            f" holds: payout-desk-admin reconcile {local_id} --found PAYMENT_ID --reason …"
        )
        field = pane.fields["failure"]
        assert field.text() == words
        assert field.accessibleName() == "Not sent"
        label = pane._form.labelForField(field)
        assert isinstance(label, QLabel)
        assert label.text() == "Not sent:"
        lines = [pane.timeline.item(i).text().split("\n")[0] for i in range(pane.timeline.count())]
        assert lines[-1] == words
        assert held.result() not in lines  # the agent's own words stay in the journal, not on the desk
        assert pane.fields["payment_id"].text() == "none — the agent did not send it"
        refused = asyncio.ensure_future(window.context.desk.reconcile_not_found(local_id, reason="r"))
        qtbot.waitUntil(refused.done, timeout=5000)
        error = refused.exception()
        assert getattr(error, "user_message", "").startswith("A team desk does not reconcile: nothing was changed.")
        assert f"payout-desk-admin reconcile {local_id} --not-found" in str(error)
    finally:
        close_desk(qtbot, window)
